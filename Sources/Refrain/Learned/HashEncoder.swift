import Foundation
import RefrainIndex
import RefrainLearn
import RefrainMath

/// `hashes`: the learned hash sequence of Raffel & Ellis ("Large-Scale Content-Based Matching of MIDI and
/// Audio Files", ISMIR 2015): one 16-bit code per 4 learned-input frames (≈ 186 ms, 5.4 codes per second),
/// compared by Hamming DTW. A recording is read by the model's `audio` network; a score is synthesized with
/// the engine's soundfont and read by its `synth` network, so that a score's codes and its recording's codes
/// agree bit for bit where the music does. With the setting `midi=pianoroll` a score is instead read from its
/// piano roll by the piano-roll hasher (`PianoRollHasher`, the NIPS 2015 workshop paper's third modality), which
/// needs no synthesizer; recordings are hashed alike either way, so an index's audio codes serve both.
///
/// Output: `steps x 1` uint16, times at the centre of each step's 4 frames, seconds. The record's version is
/// the encoder's code version; its weights hash is the model file's SHA-256, so an index built with other
/// weights refuses queries until re-encoded (`refrain reindex`).
public struct HashEncoder: MusicEncoder {
    public static let name = "hashes"
    /// 1: the first hasher (sign of the tanh outputs, bit k from output k).
    public static let version = 1
    /// The shipped model's resource name (`Resources/models/hasher.npz`).
    public static let shippedModel = "hasher"

    public let model: LearnedModel
    /// Where the model came from: "shipped" or a file path (recorded in the settings, informational).
    let source: String
    let bits: Int
    let audio: NetworkPool
    let synth: NetworkPool
    let input: LearnedInput
    let standardization: [String: InputStandardization]
    /// Reads scores when set (`midi=pianoroll`); nil: scores are synthesized and read by `synth`.
    let pianoRoll: PianoRollHasher?

    /// How a score (MIDI) is hashed.
    public enum MIDIModality: String, Sendable, CaseIterable {
        /// Synthesized with the engine's soundfont, its CQT read by the `synth` network.
        case synth
        /// Its piano roll read by the piano-roll hasher (no synthesizer).
        case pianoroll
    }

    /// How scores are hashed.
    public var midiModality: MIDIModality { pianoRoll == nil ? .synth : .pianoroll }

    /// The encoder with `model` (a hasher with `audio` and `synth` networks of at most 16 bits), reading scores
    /// with `pianoRoll` when given (it must have been trained against `model`: `PianoRollHasher.init`).
    /// - Throws: `RefrainError.invalidFile` when the model is not such a hasher, or the piano-roll hasher gives
    ///   another number of bits.
    public init(model: LearnedModel, source: String = "shipped", pianoRoll: PianoRollHasher? = nil) throws {
        guard model.kind == "hasher" else { throw RefrainError.invalidFile(source, "holds a \(model.kind) model, not a hasher") }
        self.model = model
        self.source = source
        audio = try NetworkPool(model: model, role: "audio")
        synth = try NetworkPool(model: model, role: "synth")
        let outputs = try audio.with { $0.outputShape.last ?? 0 }
        guard (1...16).contains(outputs), try synth.with({ $0.outputShape.last ?? 0 }) == outputs else {
            throw RefrainError.invalidFile(source, "its hasher networks give \(outputs) bits per step; Refrain stores 1 to 16")
        }
        bits = outputs
        if let pianoRoll, pianoRoll.bits != outputs {
            throw RefrainError.invalidFile(pianoRoll.source, "gives \(pianoRoll.bits) bits per step where the hasher gives \(outputs)")
        }
        self.pianoRoll = pianoRoll
        input = try LearnedInput()
        var standardization: [String: InputStandardization] = [:]
        for role in ["audio", "synth"] {
            standardization[role] = try InputStandardization.read(model.metadata, role: role, name: source)
        }
        self.standardization = standardization
    }

    /// The encoder with the model shipped with this Refrain.
    public static func shipped() throws -> HashEncoder {
        try HashEncoder(model: try LearnedModel.shipped(shippedModel, kind: "hasher"))
    }

    /// The encoder an index recorded: `model` ("shipped" or a hasher file's path), `midi` ("synth", the
    /// default, or "pianoroll"), and with piano rolls `pianoroll_model` ("shipped" or a file's path) and
    /// `pianoroll_sha256` (the piano-roll model the index's scores were hashed with; another is refused).
    public init(settings: [String: String]) throws {
        var reader = SettingsReader(encoder: Self.name, settings)
        let source = try reader.value("model", default: "shipped")
        let midi = try reader.value("midi", default: MIDIModality.synth.rawValue)
        let rollSource = try reader.value("pianoroll_model", default: "shipped")
        let rollSHA = try reader.value("pianoroll_sha256", default: "")
        try reader.finish()
        guard let modality = MIDIModality(rawValue: midi) else {
            throw RefrainError.invalidArgument("encoder hashes: midi is synth or pianoroll, not '\(midi)'")
        }
        let model = try source == "shipped" ? LearnedModel.shipped(Self.shippedModel, kind: "hasher")
            : LearnedModel.read(URL(fileURLWithPath: source), expecting: "hasher")
        var pianoRoll: PianoRollHasher?
        if modality == .pianoroll {
            let loaded = try PianoRollHasher.load(rollSource, audioHasher: model)
            guard rollSHA.isEmpty || rollSHA == loaded.model.sha256 else {
                throw RefrainError.invalidArgument("scores were hashed with the piano-roll model \(rollSHA.prefix(12)), this one is \(loaded.model.sha256.prefix(12))")
            }
            pianoRoll = loaded
        }
        try self.init(model: model, source: source, pianoRoll: pianoRoll)
    }

    public var record: EncoderRecord {
        var settings = ["model": source]
        if let pianoRoll {
            settings["midi"] = MIDIModality.pianoroll.rawValue
            settings["pianoroll_model"] = pianoRoll.source
            settings["pianoroll_sha256"] = pianoRoll.model.sha256
        }
        return EncoderRecord(name: Self.name, version: Self.version, settings: settings, weightsSHA256: model.sha256, dims: 1, dtype: .uint16)
    }

    public var inputs: Set<InputKind> { [.audio, .midi] }

    /// The learned-input frames of `source` (`frames x 48`): its audio, or its score synthesized (shared with
    /// the embedder, `LearnedInput.audioFrames(of:)`).
    func frames(_ source: AnalysisSource) throws -> Matrix {
        try input.audioFrames(of: source)
    }

    /// The tanh outputs of the `role` network ("audio", "synth", or "pianoroll" with a piano-roll hasher) for
    /// learned-input or piano-roll frames (`frames x 48`, standardised here with the network's per-bin
    /// statistics): `(frames / 4) x bits`, values in [-1, 1].
    public func outputs(frames: Matrix, role: String, threads: Int = 1) throws -> Matrix {
        guard frames.rows >= LearnedInference.minimumFrames, frames.cols == LearnedInput.bins else {
            throw RefrainError.invalidArgument("the hasher needs at least \(LearnedInference.minimumFrames) frames of \(LearnedInput.bins) bins")
        }
        if role == PianoRollHasherTraining.role, let pianoRoll { return try pianoRoll.outputs(frames: frames, threads: threads) }
        guard role == "audio" || role == "synth" else {
            throw RefrainError.invalidArgument("the hasher's networks are audio, synth and (with midi=pianoroll) pianoroll, not \(role)")
        }
        let pool = role == "synth" ? synth : audio
        let prepared = standardization[role].map { $0.applied(frames) } ?? frames
        return try pool.with { net in LearnedInference.perStep(net.layers[...], frames: prepared, threads: threads) }
    }

    /// The hash codes of learned-input frames read by the `role` network: bit `k` of step `s` is set where
    /// output `k` of the step is positive.
    public func codes(frames: Matrix, role: String, threads: Int = 1) throws -> [UInt16] {
        HasherTraining.codes(try outputs(frames: frames, role: role, threads: threads).storage, bits: bits)
    }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray {
        let score = pianoRoll == nil ? nil : source.score
        let values = try score.map { LearnedInput.rollFrames($0) } ?? frames(source)
        guard values.rows >= LearnedInference.minimumFrames else {
            throw RefrainError.invalidArgument("\(source.name): too short for the hasher (under 0.4 s)")
        }
        let role = score != nil ? PianoRollHasherTraining.role : source.kind == .midi ? "synth" : "audio"
        let codes = try self.codes(frames: values, role: role, threads: source.threads)
        let times = LearnedInference.stepTimes(codes.count)
        return .codes(try CodeSequence(array: NPYArray(codes, shape: [codes.count, 1]), times: times))
    }
}

extension EncoderRegistry {
    /// The standard encoders with the learned `hashes` and `embedding` among the defaults of a new index, so that indexes made
    /// with this registry carry hash sequences for the learned cascade (`refrain index create --learned`).
    public static var learned: EncoderRegistry {
        var registry = EncoderRegistry.standard
        registry.registerHashes(isDefault: true)
        registry.registerEmbedding(isDefault: true)
        return registry
    }

    mutating func registerHashes(isDefault: Bool) {
        register(HashEncoder.name, version: HashEncoder.version,
                 summary: "learned 16-bit hash sequences, 5.4 per second (Raffel & Ellis 2015)", isDefault: isDefault) { settings in
            try HashEncoder(settings: settings)
        }
    }
}
