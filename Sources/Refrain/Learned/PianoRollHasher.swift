import Foundation
import RefrainLearn
import RefrainMath

/// The hasher's piano-roll network (Raffel & Ellis, "Learning a Similarity-Preserving Hash for DTW", NIPS
/// workshop 2015): a score's octave-folded piano roll read straight from the MIDI (`LearnedInput.rollFrames`,
/// `frames x 48`, no synthesizer) to one 16-bit code per 4 frames, in the code space of one particular
/// hasher's `audio` network (trained against it frozen, `PianoRollHasherTraining`). Its model file
/// (`Resources/models/pianoroll-hasher.npz`, kind `pianoroll-hasher`, one network `pianoroll`) records that
/// hasher's SHA-256; pairing it with another hasher is refused, since its codes would mean nothing there.
public struct PianoRollHasher: Sendable {
    /// The shipped model's resource name.
    public static let shippedModel = "pianoroll-hasher"

    public let model: LearnedModel
    /// "shipped" or the model file's path.
    let source: String
    let network: NetworkPool
    let standardization: InputStandardization?

    /// The piano-roll network of `model`, for codes comparable with those of `audioHasher`'s audio network.
    /// - Throws: `RefrainError.invalidFile` when `model` is not a piano-roll hasher, or was trained against
    ///   another audio hasher than `audioHasher`.
    public init(model: LearnedModel, source: String = "shipped", audioHasher: LearnedModel) throws {
        guard model.kind == PianoRollHasherTraining.kind else {
            throw RefrainError.invalidFile(source, "holds a \(model.kind) model, not a \(PianoRollHasherTraining.kind)")
        }
        let trainedAgainst = model.metadata[PianoRollHasherTraining.audioHasherKey] ?? "none recorded"
        guard trainedAgainst == audioHasher.sha256 else {
            throw RefrainError.invalidFile(source, "was trained against the audio hasher \(trainedAgainst.prefix(12)), not this one "
                                           + "(\(audioHasher.sha256.prefix(12))); its codes would not match: train it against this hasher "
                                           + "(`refrain train hasher --modality pianoroll --audio-hasher MODEL`)")
        }
        self.model = model
        self.source = source
        network = try NetworkPool(model: model, role: PianoRollHasherTraining.role)
        standardization = try InputStandardization.read(model.metadata, role: PianoRollHasherTraining.role, name: source)
    }

    /// The shipped piano-roll hasher, paired with `audioHasher`.
    public static func shipped(audioHasher: LearnedModel) throws -> PianoRollHasher {
        try PianoRollHasher(model: try LearnedModel.shipped(shippedModel, kind: PianoRollHasherTraining.kind), audioHasher: audioHasher)
    }

    /// The piano-roll hasher at `source` ("shipped" or a model file's path), paired with `audioHasher`.
    public static func load(_ source: String, audioHasher: LearnedModel) throws -> PianoRollHasher {
        if source == "shipped" { return try shipped(audioHasher: audioHasher) }
        return try PianoRollHasher(model: try LearnedModel.read(URL(fileURLWithPath: source), expecting: PianoRollHasherTraining.kind),
                                   source: source, audioHasher: audioHasher)
    }

    /// Bits per step.
    var bits: Int { (try? network.with { $0.outputShape.last ?? 0 }) ?? 0 }

    /// The tanh outputs for piano-roll frames (`frames x 48`, values in [0, 1], standardised here with the
    /// model's per-bin statistics): `(frames / 4) x bits`, values in [-1, 1].
    public func outputs(frames: Matrix, threads: Int = 1) throws -> Matrix {
        guard frames.rows >= LearnedInference.minimumFrames, frames.cols == LearnedInput.bins else {
            throw RefrainError.invalidArgument("the piano-roll hasher needs at least \(LearnedInference.minimumFrames) frames of \(LearnedInput.bins) bins")
        }
        let prepared = standardization.map { $0.applied(frames) } ?? frames
        return try network.with { net in LearnedInference.perStep(net.layers[...], frames: prepared, threads: threads) }
    }
}
