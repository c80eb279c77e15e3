import Foundation
import RefrainLearn
import RefrainMath

/// How the hasher is trained (Raffel & Ellis, "Learning a Similarity-Preserving Hash for DTW", NIPS workshop
/// 2015; "Large-Scale Content-Based Matching of MIDI and Audio Files", ISMIR 2015). Widths are chosen for a
/// 2-core machine (Raffel's 2048-unit dense layers are not needed at our scale: docs/learned-models.md).
public struct HasherTrainingOptions: Sendable {
    /// Units of the two dense layers applied to every output step.
    public var width = 128
    /// Hash bits per output step (16: one `UInt16` code per step).
    public var bits = 16
    /// Learned-input frames per training window (a multiple of 4: `windowFrames / 4` output steps).
    public var windowFrames = 64
    /// Windows per batch (each gives `windowFrames / 4` positive pairs and as many negatives).
    public var batch = 32
    public var maxSteps = 3000
    /// Steps between validations (validation Bhattacharyya coefficient, lower is better).
    public var validateEvery = 100
    /// Steps trained at least; each validation that improves on the best by 0.5 % raises the patience to
    /// twice its step (Raffel's early stopping).
    public var initialPatience = 1200
    public var learningRate: Float = 1e-3
    /// Hashing-loss weight of negative pairs and margin on their squared distance (Raffel & Ellis 2015).
    /// With outputs in [-1, 1]^16, two codes 4 bits apart are at squared distance 16. Chosen by short runs
    /// (300 steps, 6 pieces): alpha 4 / margin 32 and alpha 2 / margin 16 collapse to one constant code per
    /// network (validation BC 1.0); alpha 1 / margin 16 reaches BC 0.90 where alpha 1 / margin 24 reaches 0.92.
    public var alpha: Float = 1
    public var margin: Float = 16
    public var seed: UInt64 = 20
    /// Cores for each step's products.
    public var threads = 1
    /// Windows of the validation pieces (fixed, seeded) the validation figure is measured on.
    public var validationWindows = 240
    /// Factor on the He-initialised output layer's weights (keeps the tanh outputs off saturation at first).
    public var outputScale: Float = 0.1

    public init() {}
}

/// One point of a training curve.
public struct HasherCurvePoint: Sendable {
    public var step: Int
    /// Mean training loss since the previous point.
    public var loss: Float
    /// Validation Bhattacharyya coefficient between the Hamming-distance distributions of matching and
    /// non-matching hash pairs (lower is better; Raffel reports 0.488 for synthesized CQT on real data).
    public var validationBC: Double
    /// Mean Hamming distance (bits) of matching and of non-matching validation pairs.
    public var matchingBits: Double = .nan
    public var nonMatchingBits: Double = .nan
    public var seconds: Double
}

/// What a hasher training run gives: the model (the networks at their best validation step) and its curve.
public struct HasherTrainingResult: @unchecked Sendable {
    public var model: LearnedModel
    public var curve: [HasherCurvePoint]
    public var bestStep: Int
    public var bestBC: Double
    public var steps: Int
    public var seconds: Double
}

/// Trains the two networks of a hasher: `audio` reads recordings' scaled log-CQT, `synth` reads the CQT of
/// the score synthesized with the reference soundfont. A training pair is a window of a rendition's frames
/// and the reference frames aligned to them (the synthesized score warped onto the rendition's clock by the
/// known alignment), so output step `s` of one network and step `s` of the other hash the same music.
public enum HasherTraining {
    /// A batch of aligned windows: `[batch, 1, frames, 48]` each. `synth` holds the score side: the synthesized
    /// score's CQT, or its piano roll (`ScoreSide`).
    struct Batch {
        var audio: Tensor
        var synth: Tensor
    }

    /// What a window's score side is made of.
    enum ScoreSide {
        /// The score synthesized with the reference soundfont, its CQT frames warped onto the rendition's clock.
        case synth
        /// The score's piano roll on the rendition's clock (`TrainingPiece.PieceRendition.rollFrames`).
        case roll
    }

    /// Windows of `pieces` whose every frame is aligned, drawn with `random` (the draws do not depend on `side`:
    /// the same seed gives the same windows of either side).
    static func batch(_ pieces: [TrainingPiece], count: Int, frames: Int, random: inout SplitMix64,
                      standardization: (audio: InputStandardization, synth: InputStandardization)? = nil,
                      side: ScoreSide = .synth) -> Batch? {
        let d = LearnedInput.bins
        var audio = [Float](), synth = [Float]()
        audio.reserveCapacity(count * frames * d)
        synth.reserveCapacity(count * frames * d)
        var made = 0, tries = 0
        while made < count && tries < count * 50 {
            tries += 1
            let piece = random.pick(pieces)
            guard !piece.renditions.isEmpty else { continue }
            let rendition = random.pick(piece.renditions)
            guard rendition.audio.rows > frames else { continue }
            let start = Int(random.next() % UInt64(rendition.audio.rows - frames))
            let reference = rendition.referenceFrames(count: piece.synth.rows)
            guard (start..<(start + frames)).allSatisfy({ reference[$0] >= 0 }) else { continue }
            audio.append(contentsOf: rendition.audio.storage[(start * d)..<((start + frames) * d)])
            if side == .roll, let roll = rendition.roll {
                synth.append(contentsOf: roll.storage[(start * d)..<((start + frames) * d)])
            } else {
                let source = side == .roll ? piece.roll : piece.synth
                for t in start..<(start + frames) {
                    let r = min(Int(reference[t]), source.rows - 1)
                    synth.append(contentsOf: source.storage[(r * d)..<((r + 1) * d)])
                }
            }
            made += 1
        }
        guard made > 0 else { return nil }
        if let standardization {
            standardization.audio.apply(&audio)
            standardization.synth.apply(&synth)
        }
        return Batch(audio: Tensor(shape: [made, 1, frames, d], data: audio), synth: Tensor(shape: [made, 1, frames, d], data: synth))
    }

    /// The Bhattacharyya coefficient of two histograms of integer distances `0...bits`.
    public static func bhattacharyya(matching: [Int], nonMatching: [Int], bits: Int) -> Double {
        guard !matching.isEmpty, !nonMatching.isEmpty else { return 1 }
        var p = [Double](repeating: 0, count: bits + 1), q = p
        for m in matching { p[min(bits, max(0, m))] += 1 }
        for n in nonMatching { q[min(bits, max(0, n))] += 1 }
        var bc = 0.0
        for k in 0...bits { bc += (p[k] / Double(matching.count) * q[k] / Double(nonMatching.count)).squareRoot() }
        return bc
    }

    /// The sign bits of each row of `outputs` (`rows x bits`, bits <= 16), bit `k` set where column `k` > 0.
    public static func codes(_ outputs: [Float], bits: Int) -> [UInt16] {
        let rows = outputs.count / bits
        var out = [UInt16](repeating: 0, count: rows)
        for r in 0..<rows {
            var code: UInt16 = 0
            for k in 0..<bits where outputs[r * bits + k] > 0 { code |= 1 << UInt16(k) }
            out[r] = code
        }
        return out
    }

    /// Hamming distances of matching step pairs (audio step `i`, synth step `i`) and of non-matching ones
    /// (audio step `i`, synth step `partner[i]`, a seeded derangement across the whole set) of `batch`.
    static func distances(audio: Network, synth: Network, batch: Batch, bits: Int, threads: Int, seed: UInt64) throws
        -> (matching: [Int], nonMatching: [Int]) {
        var a: [UInt16] = [], s: [UInt16] = []
        let n = batch.audio.batch, item = batch.audio.itemSize
        // In chunks of 16 windows, so inference memory stays small.
        for lo in stride(from: 0, to: n, by: 16) {
            let hi = min(n, lo + 16)
            func slice(_ t: Tensor) -> Tensor {
                Tensor(shape: [hi - lo] + Array(t.shape.dropFirst()), data: Array(t.data[(lo * item)..<(hi * item)]))
            }
            let pass = Pass(training: false, threads: threads)
            a += codes(try audio.forward(slice(batch.audio), pass).data, bits: bits)
            s += codes(try synth.forward(slice(batch.synth), pass).data, bits: bits)
        }
        var random = SeededRandom(seed: seed)
        let partner = HashingLoss.shuffledNegatives(a.count, random: &random)
        let matching = (0..<a.count).map { (a[$0] ^ s[$0]).nonzeroBitCount }
        let nonMatching = (0..<a.count).map { (a[$0] ^ s[partner[$0]]).nonzeroBitCount }
        return (matching, nonMatching)
    }

    /// The validation figure of two networks on fixed windows: the Bhattacharyya coefficient of matching and
    /// non-matching Hamming distances.
    static func validationBC(audio: Network, synth: Network, batch: Batch, bits: Int, threads: Int) throws
        -> (bc: Double, matching: Double, nonMatching: Double) {
        let (m, n) = try distances(audio: audio, synth: synth, batch: batch, bits: bits, threads: threads, seed: 99)
        func mean(_ v: [Int]) -> Double { Double(v.reduce(0, +)) / Double(max(v.count, 1)) }
        return (bhattacharyya(matching: m, nonMatching: n, bits: bits), mean(m), mean(n))
    }

    /// The facts a hasher model's metadata records about its run: bits, width, window, seed, best and last step,
    /// best validation BC and piece counts.
    static func runFacts(_ options: HasherTrainingOptions, bits: Int, bestStep: Int, steps: Int, bestBC: Double, train: Int,
                         validation: Int) -> [String: String] {
        ["bits": "\(bits)", "width": "\(options.width)", "window_frames": "\(options.windowFrames)", "seed": "\(options.seed)",
         "best_step": "\(bestStep)", "steps": "\(steps)", "validation_bc": String(format: "%.4f", bestBC), "train_pieces": "\(train)",
         "validation_pieces": "\(validation)"]
    }

    /// Trains a hasher on `train` pieces with early stopping on `validation` pieces.
    /// - Throws: `RefrainError.invalidArgument` when the pieces give no aligned windows, the options are out
    ///   of range, or training diverges (a NaN).
    public static func train(train: [TrainingPiece], validation: [TrainingPiece], options: HasherTrainingOptions,
                             metadata: [String: String] = [:],
                             progress: ((HasherCurvePoint) -> Void)? = nil) throws -> HasherTrainingResult {
        guard options.windowFrames >= 8, options.windowFrames % LearnedInference.stride == 0, options.bits >= 1, options.bits <= 16,
              options.batch >= 2, options.width >= 1, options.maxSteps >= 1, options.validateEvery >= 1 else {
            throw RefrainError.invalidArgument("hasher training needs windows of a multiple of 4 frames (at least 8), 1-16 bits, batches of 2 or more and positive widths and steps")
        }
        let started = Date()
        let architecture = LearnedArchitectures.hasher(frames: options.windowFrames, width: options.width, bits: options.bits)
        let audio = try Network(architecture, seed: options.seed)
        let synth = try Network(architecture, seed: options.seed &+ 1)
        // He initialisation saturates the tanh outputs at constant codes from the first step (each network
        // then hashes every input alike and nothing is learned): the output layer starts 10x smaller.
        for net in [audio, synth] {
            for p in net.parameters where p.name == "out.weight" { p.value = p.value.map { $0 * options.outputScale } }
        }
        let optimizers = [Adam(learningRate: options.learningRate), Adam(learningRate: options.learningRate)]
        var random = SplitMix64(seed: options.seed &+ 2)
        var validationRandom = SplitMix64(seed: options.seed &+ 3)
        let standardization = (audio: InputStandardization.measured(train.flatMap { $0.renditions.map(\.audio) }),
                               synth: InputStandardization.measured(train.map(\.synth)))
        guard let check = batch(validation, count: options.validationWindows, frames: options.windowFrames, random: &validationRandom,
                                standardization: standardization) else {
            throw RefrainError.invalidArgument("the validation pieces give no aligned windows of \(options.windowFrames) frames")
        }
        guard batch(train, count: 1, frames: options.windowFrames, random: &validationRandom) != nil else {
            throw RefrainError.invalidArgument("the training pieces give no aligned windows of \(options.windowFrames) frames")
        }
        let loss = HashingLoss(margin: options.margin, alpha: options.alpha)
        let pass = Pass(training: true, threads: options.threads)
        var lossRandom = SeededRandom(seed: options.seed &+ 4)
        let initial = try validationBC(audio: audio, synth: synth, batch: check, bits: options.bits, threads: options.threads)
        var best = initial.bc
        var bestStep = 0
        var bestWeights = (audio.namedTensors(), synth.namedTensors())
        var curve = [HasherCurvePoint(step: 0, loss: .nan, validationBC: best, matchingBits: initial.matching,
                                      nonMatchingBits: initial.nonMatching, seconds: 0)]
        progress?(curve[0])
        var patience = options.initialPatience
        var lossSum: Double = 0, lossCount = 0
        var step = 0
        while step < options.maxSteps && step < patience {
            guard let b = batch(train, count: options.batch, frames: options.windowFrames, random: &random,
                                standardization: standardization) else { break }
            audio.zeroGradients()
            synth.zeroGradients()
            let x = try audio.forward(b.audio, pass), y = try synth.forward(b.synth, pass)
            let rows = x.count / options.bits
            let flatX = x.reshaped([rows, options.bits]), flatY = y.reshaped([rows, options.bits])
            let negatives = HashingLoss.shuffledNegatives(rows, random: &lossRandom)
            let (value, dx, dy) = try loss.evaluate(x: flatX, y: flatY, negatives: negatives)
            audio.backward(dx.reshaped(x.shape), pass)
            synth.backward(dy.reshaped(y.shape), pass)
            if !value.isFinite || audio.firstNonFinite() != nil || synth.firstNonFinite() != nil {
                throw RefrainError.invalidArgument("hasher training diverged at step \(step + 1) (a NaN or an infinity); lower the learning rate")
            }
            optimizers[0].step(audio.parameters, threads: options.threads)
            optimizers[1].step(synth.parameters, threads: options.threads)
            step += 1
            lossSum += Double(value)
            lossCount += 1
            if step % options.validateEvery == 0 {
                let figures = try validationBC(audio: audio, synth: synth, batch: check, bits: options.bits, threads: options.threads)
                let bc = figures.bc
                if bc < best * (1 - 0.005) { patience = max(patience, 2 * step) }
                if bc < best {
                    best = bc
                    bestStep = step
                    bestWeights = (audio.namedTensors(), synth.namedTensors())
                }
                let point = HasherCurvePoint(step: step, loss: Float(lossSum / Double(max(lossCount, 1))), validationBC: bc,
                                             matchingBits: figures.matching, nonMatchingBits: figures.nonMatching,
                                             seconds: Date().timeIntervalSince(started))
                curve.append(point)
                progress?(point)
                lossSum = 0
                lossCount = 0
            }
        }
        // The networks at their best validation step, for inference on inputs of any length.
        func restored(_ tensors: [(name: String, shape: [Int], values: [Float])]) throws -> Network {
            let net = try Network(LearnedArchitectures.hasher(frames: options.windowFrames, width: options.width, bits: options.bits), seed: 0)
            try net.load(namedTensors: tensors)
            return net
        }
        var meta = metadata
        meta.merge(standardization.audio.metadata(role: "audio")) { _, new in new }
        meta.merge(standardization.synth.metadata(role: "synth")) { _, new in new }
        meta.merge(runFacts(options, bits: options.bits, bestStep: bestStep, steps: step, bestBC: best, train: train.count,
                            validation: validation.count)) { _, new in new }
        let model = try LearnedModel(kind: "hasher", networks: ["audio": try restored(bestWeights.0), "synth": try restored(bestWeights.1)],
                                     metadata: meta)
        return HasherTrainingResult(model: model, curve: curve, bestStep: bestStep, bestBC: best, steps: step,
                                    seconds: Date().timeIntervalSince(started))
    }
}
