import Foundation
import RefrainIndex
import RefrainLearn
import RefrainMath

/// `embedding`: one L2-normalised vector per item and per query from the attention-pooled embedder of Raffel
/// & Ellis ("Pruning Subsequence Search with Attention-Based Embedding", ICASSP 2016). A recording is read by
/// the model's `audio` network, a score is synthesized with the engine's soundfont and read by its `synth`
/// network; the whole piece's steps are pooled by attention, so a score and its recording land near each other
/// whatever their lengths and tempi.
///
/// Output: `1 x dimensions` float32 (128 for the shipped model), unit Euclidean norm, time 0. The record's
/// weights hash is the model file's SHA-256 (an index made with other weights refuses queries until
/// `refrain reindex`).
public struct EmbeddingEncoder: MusicEncoder {
    public static let name = "embedding"
    /// 1: the first embedder (attention pooling over the whole piece).
    public static let version = 1
    /// The shipped model's resource name (`Resources/models/embedder.npz`).
    public static let shippedModel = "embedder"

    public let model: LearnedModel
    /// "shipped" or a model file's path (recorded in the settings).
    let source: String
    public let dimensions: Int
    let audio: NetworkPool
    let synth: NetworkPool
    let input: LearnedInput
    let standardization: [String: InputStandardization]

    /// The encoder with `model` (an embedder with `audio` and `synth` networks ending in attention pooling).
    /// - Throws: `RefrainError.invalidFile` when the model is not such an embedder.
    public init(model: LearnedModel, source: String = "shipped") throws {
        guard model.kind == "embedder" else { throw RefrainError.invalidFile(source, "holds a \(model.kind) model, not an embedder") }
        self.model = model
        self.source = source
        audio = try NetworkPool(model: model, role: "audio")
        synth = try NetworkPool(model: model, role: "synth")
        for pool in [audio, synth] {
            guard try pool.with({ net in net.layers.contains { $0 is AttentionPooling } }) else {
                throw RefrainError.invalidFile(source, "its \(pool.role) network has no attention pooling layer")
            }
        }
        let outputs = try audio.with { $0.outputShape.last ?? 0 }
        guard outputs >= 1, try synth.with({ $0.outputShape.last ?? 0 }) == outputs else {
            throw RefrainError.invalidFile(source, "its embedder networks give vectors of different sizes")
        }
        dimensions = outputs
        input = try LearnedInput()
        var standardization: [String: InputStandardization] = [:]
        for role in ["audio", "synth"] {
            standardization[role] = try InputStandardization.read(model.metadata, role: role, name: source)
        }
        self.standardization = standardization
    }

    /// The encoder with the model shipped with this Refrain.
    public static func shipped() throws -> EmbeddingEncoder {
        try EmbeddingEncoder(model: try LearnedModel.shipped(shippedModel, kind: "embedder"))
    }

    /// The encoder an index recorded (`settings["model"]`: "shipped" or a model file's path).
    public init(settings: [String: String]) throws {
        var reader = SettingsReader(encoder: Self.name, settings)
        let source = try reader.value("model", default: "shipped")
        try reader.finish()
        if source == "shipped" {
            try self.init(model: try LearnedModel.shipped(Self.shippedModel, kind: "embedder"))
        } else {
            try self.init(model: try LearnedModel.read(URL(fileURLWithPath: source), expecting: "embedder"), source: source)
        }
    }

    public var record: EncoderRecord {
        EncoderRecord(name: Self.name, version: Self.version, settings: ["model": source], weightsSHA256: model.sha256,
                      dims: dimensions)
    }

    public var inputs: Set<InputKind> { [.audio, .midi] }

    /// The unit vector (`dimensions` values) of learned-input frames (`frames x 48`, at least 8, standardised
    /// here with the model's per-bin statistics) read by the `role` network ("audio" or "synth"): the layers
    /// before the attention run in chunks over the whole sequence, the attention pools every step.
    public func embedding(frames: Matrix, role: String, threads: Int = 1) throws -> [Float] {
        guard frames.rows >= LearnedInference.minimumFrames, frames.cols == LearnedInput.bins else {
            throw RefrainError.invalidArgument("the embedder needs at least \(LearnedInference.minimumFrames) frames of \(LearnedInput.bins) bins")
        }
        guard role == "audio" || role == "synth" else { throw RefrainError.invalidArgument("the embedder's networks are audio and synth, not \(role)") }
        let prepared = standardization[role].map { $0.applied(frames) } ?? frames
        return try (role == "synth" ? synth : audio).with { net in
            let pooling = net.layers.firstIndex { $0 is AttentionPooling }!
            let steps = LearnedInference.perStep(net.layers[..<pooling], frames: prepared, threads: threads)
            var y = Tensor(shape: [1, steps.rows, steps.cols], data: steps.storage)
            let pass = Pass(training: false, threads: threads)
            for layer in net.layers[pooling...] { y = layer.forward(y, pass) }
            return y.data
        }
    }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray {
        let frames = try input.audioFrames(of: source)
        guard frames.rows >= LearnedInference.minimumFrames else {
            throw RefrainError.invalidArgument("\(source.name): too short for the embedder (under 0.4 s)")
        }
        let vector = try embedding(frames: frames, role: source.kind == .midi ? "synth" : "audio", threads: source.threads)
        return .features(FeatureSequence(values: Matrix(rows: 1, cols: vector.count, storage: vector), times: [0]))
    }
}

extension EncoderRegistry {
    mutating func registerEmbedding(isDefault: Bool) {
        register(EmbeddingEncoder.name, version: EmbeddingEncoder.version,
                 summary: "learned 128-d attention embedding per piece (Raffel & Ellis 2016)", isDefault: isDefault) { settings in
            try EmbeddingEncoder(settings: settings)
        }
    }
}
