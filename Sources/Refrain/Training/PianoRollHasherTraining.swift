import Foundation
import RefrainLearn
import RefrainMath

/// Trains the hasher's third network, `pianoroll`: a score's piano roll computed straight from the MIDI
/// (`LearnedInput.rollFrames`, no synthesizer) hashed into the codes of a frozen `audio` network, as Raffel &
/// Ellis's piano-roll hasher ("Learning a Similarity-Preserving Hash for DTW", NIPS workshop 2015) does. Only
/// the piano-roll side learns, so every index's stored audio hash sequences stay valid.
///
/// A training pair is a window of a rendition's CQT frames and the reference score's piano roll on the
/// rendition's clock (`TrainingPiece.PieceRendition.roll`); output step `s` of the frozen audio network is the
/// positive partner of step `s` of the piano-roll network, negatives a random derangement across the batch, and
/// the loss Raffel's hashing loss (`HashingLoss`). Early stopping on the validation Bhattacharyya coefficient, as
/// `HasherTraining` does, on the windows the same seed draws there (so the figures are comparable with the
/// `synth` network's, which the run measures on the same windows).
public enum PianoRollHasherTraining {
    /// The model kind of a piano-roll hasher file.
    public static let kind = "pianoroll-hasher"
    /// Its one network's role.
    public static let role = "pianoroll"
    /// Metadata key: the SHA-256 of the hasher whose `audio` network the piano-roll network was trained against.
    public static let audioHasherKey = "audio_hasher_sha256"
    /// Metadata key: the validation Bhattacharyya coefficient of that hasher's `synth` network on the same windows.
    public static let synthBCKey = "synth_validation_bc"

    /// The `role` network of `hasher` (frozen: never stepped) for training windows of `frames` frames; nil when
    /// the model has no such network.
    static func windowed(_ hasher: LearnedModel, role: String, frames: Int) throws -> Network? {
        guard var architecture = hasher.architectures[role] else { return nil }
        architecture.inputShape = [1, frames, LearnedInput.bins]
        let net = try Network(architecture, seed: 0)
        try net.load(namedTensors: try hasher.network(role).namedTensors())
        return net
    }

    /// Trains a piano-roll network on `train` against `audioHasher`'s frozen audio network, stopping early on
    /// `validation`. `options.width` sizes the new network; its bits are the audio network's.
    /// - Throws: `RefrainError.invalidArgument` when the hasher has no audio network or its standardisation, the
    ///   pieces give no aligned windows, the options are out of range, or training diverges.
    public static func train(train: [TrainingPiece], validation: [TrainingPiece], audioHasher: LearnedModel,
                             options: HasherTrainingOptions, metadata: [String: String] = [:],
                             progress: ((HasherCurvePoint) -> Void)? = nil) throws -> HasherTrainingResult {
        guard options.windowFrames >= 8, options.windowFrames % LearnedInference.stride == 0, options.batch >= 2, options.width >= 1,
              options.maxSteps >= 1, options.validateEvery >= 1 else {
            throw RefrainError.invalidArgument("piano-roll hasher training needs windows of a multiple of 4 frames (at least 8), batches of 2 or more and positive widths and steps")
        }
        guard audioHasher.kind == "hasher", let audioStandardization = try InputStandardization.read(audioHasher.metadata, role: "audio", name: "the audio hasher") else {
            throw RefrainError.invalidArgument("the audio hasher must be a hasher model with its audio input standardisation")
        }
        let started = Date()
        guard let audio = try windowed(audioHasher, role: "audio", frames: options.windowFrames) else {
            throw RefrainError.invalidArgument("the audio hasher has no audio network")
        }
        let bits = audio.outputShape.last ?? 0
        guard (1...16).contains(bits) else { throw RefrainError.invalidArgument("the audio hasher gives \(bits) bits per step; Refrain stores 1 to 16") }
        let architecture = LearnedArchitectures.hasher(frames: options.windowFrames, width: options.width, bits: bits)
        let roll = try Network(architecture, seed: options.seed &+ 1)
        for p in roll.parameters where p.name == "out.weight" { p.value = p.value.map { $0 * options.outputScale } }
        let optimizer = Adam(learningRate: options.learningRate)
        var random = SplitMix64(seed: options.seed &+ 2)
        let standardization = (audio: audioStandardization, synth: InputStandardization.measured(train.map(\.roll)))
        var validationRandom = SplitMix64(seed: options.seed &+ 3)
        guard let check = HasherTraining.batch(validation, count: options.validationWindows, frames: options.windowFrames,
                                               random: &validationRandom, standardization: standardization, side: .roll) else {
            throw RefrainError.invalidArgument("the validation pieces give no aligned windows of \(options.windowFrames) frames")
        }
        var meta = metadata
        meta.merge(try synthBaseline(validation, audioHasher: audioHasher, audio: audio, options: options)) { _, new in new }
        let loss = HashingLoss(margin: options.margin, alpha: options.alpha)
        let pass = Pass(training: true, threads: options.threads), frozen = Pass(training: false, threads: options.threads)
        var lossRandom = SeededRandom(seed: options.seed &+ 4)
        let initial = try HasherTraining.validationBC(audio: audio, synth: roll, batch: check, bits: bits, threads: options.threads)
        var best = initial.bc, bestStep = 0, bestWeights = roll.namedTensors()
        var curve = [HasherCurvePoint(step: 0, loss: .nan, validationBC: best, matchingBits: initial.matching,
                                      nonMatchingBits: initial.nonMatching, seconds: 0)]
        progress?(curve[0])
        var patience = options.initialPatience, step = 0
        var lossSum: Double = 0, lossCount = 0
        while step < options.maxSteps && step < patience {
            guard let b = HasherTraining.batch(train, count: options.batch, frames: options.windowFrames, random: &random,
                                               standardization: standardization, side: .roll) else {
                throw RefrainError.invalidArgument("the training pieces give no aligned windows of \(options.windowFrames) frames")
            }
            roll.zeroGradients()
            let x = try audio.forward(b.audio, frozen), y = try roll.forward(b.synth, pass)
            let rows = y.count / bits
            let negatives = HashingLoss.shuffledNegatives(rows, random: &lossRandom)
            let (value, _, dy) = try loss.evaluate(x: x.reshaped([rows, bits]), y: y.reshaped([rows, bits]), negatives: negatives)
            roll.backward(dy.reshaped(y.shape), pass)
            if !value.isFinite || roll.firstNonFinite() != nil {
                throw RefrainError.invalidArgument("piano-roll hasher training diverged at step \(step + 1) (a NaN or an infinity); lower the learning rate")
            }
            optimizer.step(roll.parameters, threads: options.threads)
            step += 1
            lossSum += Double(value)
            lossCount += 1
            guard step % options.validateEvery == 0 else { continue }
            let figures = try HasherTraining.validationBC(audio: audio, synth: roll, batch: check, bits: bits, threads: options.threads)
            if figures.bc < best * (1 - 0.005) { patience = max(patience, 2 * step) }
            if figures.bc < best { (best, bestStep, bestWeights) = (figures.bc, step, roll.namedTensors()) }
            let point = HasherCurvePoint(step: step, loss: Float(lossSum / Double(lossCount)), validationBC: figures.bc,
                                         matchingBits: figures.matching, nonMatchingBits: figures.nonMatching,
                                         seconds: Date().timeIntervalSince(started))
            curve.append(point)
            progress?(point)
            (lossSum, lossCount) = (0, 0)
        }
        let network = try Network(LearnedArchitectures.hasher(frames: options.windowFrames, width: options.width, bits: bits), seed: 0)
        try network.load(namedTensors: bestWeights)
        meta.merge(standardization.synth.metadata(role: role)) { _, new in new }
        meta[audioHasherKey] = audioHasher.sha256
        meta.merge(HasherTraining.runFacts(options, bits: bits, bestStep: bestStep, steps: step, bestBC: best, train: train.count,
                                           validation: validation.count)) { _, new in new }
        let model = try LearnedModel(kind: kind, networks: [role: network], metadata: meta)
        return HasherTrainingResult(model: model, curve: curve, bestStep: bestStep, bestBC: best, steps: step,
                                    seconds: Date().timeIntervalSince(started))
    }

    /// The validation figure of `audioHasher`'s own `synth` network on the windows the piano-roll run validates
    /// on (same seed, same draws), as metadata (`synthBCKey`); empty when the hasher has no synth network.
    static func synthBaseline(_ validation: [TrainingPiece], audioHasher: LearnedModel, audio: Network,
                              options: HasherTrainingOptions) throws -> [String: String] {
        guard let synth = try windowed(audioHasher, role: "synth", frames: options.windowFrames),
              let synthStandardization = try InputStandardization.read(audioHasher.metadata, role: "synth", name: "the audio hasher"),
              let audioStandardization = try InputStandardization.read(audioHasher.metadata, role: "audio", name: "the audio hasher") else { return [:] }
        var validationRandom = SplitMix64(seed: options.seed &+ 3)
        guard let check = HasherTraining.batch(validation, count: options.validationWindows, frames: options.windowFrames, random: &validationRandom,
                                               standardization: (audio: audioStandardization, synth: synthStandardization)) else { return [:] }
        let bits = audio.outputShape.last ?? 0
        let figures = try HasherTraining.validationBC(audio: audio, synth: synth, batch: check, bits: bits, threads: options.threads)
        return [synthBCKey: String(format: "%.4f", figures.bc)]
    }
}
