import Foundation
import RefrainLearn
import RefrainMath

/// How the embedder is trained (Raffel & Ellis, "Pruning Subsequence Search with Attention-Based Embedding",
/// ICASSP 2016): two attention-pooled networks, `audio` and `synth`, map a window of a recording and the
/// aligned window of its synthesized score to nearby unit vectors, and other windows far away. Widths are
/// sized for a 2-core machine (docs/learned-models.md).
public struct EmbedderTrainingOptions: Sendable {
    /// Units of the two dense layers applied to every output step (also the attention's feature count).
    public var width = 128
    /// Dimensions of the embedding (Raffel & Ellis: 128).
    public var dimensions = 128
    /// Learned-input frames per training window (a multiple of 4): 256 frames ≈ 11.9 s, 64 output steps pooled.
    /// With `shortestWindowFrames`, the longest window.
    public var windowFrames = 256
    /// When set (a multiple of 4, at most `windowFrames`), windows of varied lengths from this to
    /// `windowFrames` frames, each modality on its own clock (`EmbedderWindows`), for training and validation;
    /// nil: every window `windowFrames` frames, the score side warped onto the rendition's clock.
    public var shortestWindowFrames: Int?
    /// Aligned window pairs per batch; every other pair's windows are the negatives of a pair.
    public var batch = 16
    public var maxSteps = 2000
    /// Steps between validations (validation mean reciprocal rank, higher is better).
    public var validateEvery = 100
    /// Steps trained at least; a validation that improves the best by 0.5 % raises the patience to twice its step.
    public var initialPatience = 1000
    public var learningRate: Float = 3e-4
    /// Triplet margin on the Euclidean distance of unit vectors (range 0...2).
    public var margin: Float = 0.5
    public var seed: UInt64 = 20
    public var threads = 1
    /// Fixed, seeded validation window pairs the validation figures are measured on.
    public var validationWindows = 128
    /// A hasher of the same width whose front end and dense layers start the embedder's networks (role by
    /// role); nil: He initialisation.
    public var initialHasher: LearnedModel?
    /// An embedder of the same width and dimensions whose weights and input standardisation start the
    /// networks (training continued on other material or windows); it takes precedence over `initialHasher`.
    public var initialEmbedder: LearnedModel?

    public init() {}
}

/// One point of an embedder training curve.
public struct EmbedderCurvePoint: Sendable {
    public var step: Int
    /// Mean training loss since the previous point.
    public var loss: Float
    /// Mean reciprocal rank of each validation window's partner among all validation windows of the other
    /// modality (1 is perfect; chance is about `ln(n) / n`).
    public var validationMRR: Double
    /// Share of validation windows whose partner is the nearest of the other modality.
    public var validationTop1: Double
    /// Mean Euclidean distance of matching and of non-matching validation pairs.
    public var matchingDistance: Double
    public var nonMatchingDistance: Double
    public var seconds: Double
}

/// What an embedder training run gives: the model at its best validation step and its curve.
public struct EmbedderTrainingResult: @unchecked Sendable {
    public var model: LearnedModel
    public var curve: [EmbedderCurvePoint]
    public var bestStep: Int
    public var bestMRR: Double
    public var steps: Int
    public var seconds: Double
}

/// Trains the two networks of an embedder with the triplet loss (every valid triplet of the batch, Hermans
/// et al. 2017) over the `2 x batch` embeddings of a batch: a window's partner in the other modality is its
/// only positive; every other window, of either modality, is a negative.
public enum EmbedderTraining {
    /// Embeddings (`windows x dimensions`) of `batch`'s windows by `network`, in chunks of 16 windows.
    static func embed(_ network: Network, _ windows: Tensor, threads: Int) throws -> [Float] {
        var out: [Float] = []
        let n = windows.batch, item = windows.itemSize
        for lo in stride(from: 0, to: n, by: 16) {
            let hi = min(n, lo + 16)
            let x = Tensor(shape: [hi - lo] + Array(windows.shape.dropFirst()), data: Array(windows.data[(lo * item)..<(hi * item)]),
                           lengths: windows.lengths.map { Array($0[lo..<hi]) })
            out += try network.forward(x, Pass(training: false, threads: threads)).data
        }
        return out
    }

    /// Validation figures of two networks on fixed aligned window pairs: each audio window's partner ranked
    /// among every synth window by Euclidean distance.
    static func validate(audio: Network, synth: Network, batch: HasherTraining.Batch, dimensions: Int, threads: Int) throws
        -> (mrr: Double, top1: Double, matching: Double, nonMatching: Double) {
        let a = try embed(audio, batch.audio, threads: threads), s = try embed(synth, batch.synth, threads: threads)
        let n = a.count / dimensions
        func distance(_ i: Int, _ j: Int) -> Double {
            var sum: Float = 0
            for k in 0..<dimensions { let d = a[i * dimensions + k] - s[j * dimensions + k]; sum += d * d }
            return Double(sum.squareRoot())
        }
        var mrr = 0.0, top1 = 0, matching = 0.0, nonMatching = 0.0
        for i in 0..<n {
            let own = distance(i, i)
            var rank = 1
            for j in 0..<n where j != i {
                let d = distance(i, j)
                nonMatching += d
                if d < own { rank += 1 }
            }
            matching += own
            mrr += 1 / Double(rank)
            if rank == 1 { top1 += 1 }
        }
        let pairs = Double(max(n, 1))
        return (mrr / pairs, Double(top1) / pairs, matching / pairs, nonMatching / Double(max(n * (n - 1), 1)))
    }

    /// Copies the hasher's `role` weights whose names and shapes the embedder shares (front end, dense1, dense2).
    static func initialise(_ network: Network, from hasher: LearnedModel, role: String) throws {
        let source = try hasher.network(role)
        let weights = Dictionary(source.parameters.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for p in network.parameters {
            if let w = weights[p.name], w.shape == p.shape { p.value = w.value }
        }
    }

    /// The input standardisation `embedder` was trained with (kept when training continues from it); nil
    /// without an embedder.
    /// - Throws: `RefrainError.invalidFile` when the embedder lacks one for either role.
    static func initialStandardization(_ embedder: LearnedModel?) throws -> (audio: InputStandardization, synth: InputStandardization)? {
        guard let embedder else { return nil }
        guard let audio = try InputStandardization.read(embedder.metadata, role: "audio", name: "the initial embedder"),
              let synth = try InputStandardization.read(embedder.metadata, role: "synth", name: "the initial embedder") else {
            throw RefrainError.invalidFile("the initial embedder", "it records no input standardisation")
        }
        return (audio, synth)
    }

    /// Trains an embedder on `train` pieces with early stopping on `validation` pieces.
    /// - Throws: `RefrainError.invalidArgument` when the pieces give no aligned windows, the options are out
    ///   of range, or training diverges (a NaN).
    public static func train(train: [TrainingPiece], validation: [TrainingPiece], options: EmbedderTrainingOptions,
                             metadata: [String: String] = [:],
                             progress: ((EmbedderCurvePoint) -> Void)? = nil) throws -> EmbedderTrainingResult {
        let shortest = options.shortestWindowFrames ?? options.windowFrames
        guard options.windowFrames >= 8, options.windowFrames % LearnedInference.stride == 0, options.batch >= 2,
              shortest >= 8, shortest % LearnedInference.stride == 0, shortest <= options.windowFrames,
              options.width >= 1, options.dimensions >= 1, options.maxSteps >= 1, options.validateEvery >= 1 else {
            throw RefrainError.invalidArgument("embedder training needs windows of a multiple of 4 frames (at least 8, the shortest no longer than the longest), batches of 2 or more and positive widths, dimensions and steps")
        }
        let started = Date()
        let architecture = LearnedArchitectures.embedder(frames: options.windowFrames, width: options.width, dimensions: options.dimensions)
        let audio = try Network(architecture, seed: options.seed)
        let synth = try Network(architecture, seed: options.seed &+ 1)
        if let embedder = options.initialEmbedder {
            try audio.load(namedTensors: try embedder.network("audio").namedTensors())
            try synth.load(namedTensors: try embedder.network("synth").namedTensors())
        } else if let hasher = options.initialHasher {
            try initialise(audio, from: hasher, role: "audio")
            try initialise(synth, from: hasher, role: "synth")
        }
        let optimizers = [Adam(learningRate: options.learningRate), Adam(learningRate: options.learningRate)]
        var random = SplitMix64(seed: options.seed &+ 2)
        var validationRandom = SplitMix64(seed: options.seed &+ 3)
        let standardization = try initialStandardization(options.initialEmbedder)
            ?? (audio: InputStandardization.measured(train.flatMap { $0.renditions.map(\.audio) }),
                synth: InputStandardization.measured(train.map(\.synth)))
        func windows(_ pieces: [TrainingPiece], count: Int, random: inout SplitMix64) -> HasherTraining.Batch? {
            guard options.shortestWindowFrames != nil else {
                return HasherTraining.batch(pieces, count: count, frames: options.windowFrames, random: &random, standardization: standardization)
            }
            return EmbedderWindows.batch(pieces, count: count, shortest: shortest, longest: options.windowFrames, random: &random,
                                         standardization: standardization)
        }
        guard let check = windows(validation, count: options.validationWindows, random: &validationRandom) else {
            throw RefrainError.invalidArgument("the validation pieces give no aligned windows of \(options.windowFrames) frames")
        }
        let loss = TripletLoss(margin: options.margin, mining: .batchAll)
        let pass = Pass(training: true, threads: options.threads)
        func figures() throws -> (mrr: Double, top1: Double, matching: Double, nonMatching: Double) {
            try validate(audio: audio, synth: synth, batch: check, dimensions: options.dimensions, threads: options.threads)
        }
        let initial = try figures()
        var best = initial.mrr, bestStep = 0
        var bestWeights = (audio.namedTensors(), synth.namedTensors())
        var curve = [EmbedderCurvePoint(step: 0, loss: .nan, validationMRR: initial.mrr, validationTop1: initial.top1,
                                        matchingDistance: initial.matching, nonMatchingDistance: initial.nonMatching, seconds: 0)]
        progress?(curve[0])
        var patience = options.initialPatience
        var lossSum: Double = 0, lossCount = 0, step = 0
        while step < options.maxSteps && step < patience {
            guard let b = windows(train, count: options.batch, random: &random), b.audio.batch >= 2 else { break }
            let n = b.audio.batch, d = options.dimensions
            audio.zeroGradients()
            synth.zeroGradients()
            let x = try audio.forward(b.audio, pass), y = try synth.forward(b.synth, pass)
            let both = Tensor(shape: [2 * n, d], data: x.data + y.data)
            let (value, gradient) = try loss.evaluate(embeddings: both, labels: Array(0..<n) + Array(0..<n))
            audio.backward(Tensor(shape: x.shape, data: Array(gradient.data[0..<(n * d)])), pass)
            synth.backward(Tensor(shape: y.shape, data: Array(gradient.data[(n * d)...])), pass)
            if !value.isFinite || audio.firstNonFinite() != nil || synth.firstNonFinite() != nil {
                throw RefrainError.invalidArgument("embedder training diverged at step \(step + 1) (a NaN or an infinity); lower the learning rate")
            }
            optimizers[0].step(audio.parameters, threads: options.threads)
            optimizers[1].step(synth.parameters, threads: options.threads)
            step += 1
            lossSum += Double(value)
            lossCount += 1
            if step % options.validateEvery == 0 {
                let f = try figures()
                if f.mrr > best * 1.005 { patience = max(patience, 2 * step) }
                if f.mrr > best {
                    best = f.mrr
                    bestStep = step
                    bestWeights = (audio.namedTensors(), synth.namedTensors())
                }
                let point = EmbedderCurvePoint(step: step, loss: Float(lossSum / Double(max(lossCount, 1))), validationMRR: f.mrr,
                                               validationTop1: f.top1, matchingDistance: f.matching, nonMatchingDistance: f.nonMatching,
                                               seconds: Date().timeIntervalSince(started))
                curve.append(point)
                progress?(point)
                lossSum = 0
                lossCount = 0
            }
        }
        func restored(_ tensors: [(name: String, shape: [Int], values: [Float])]) throws -> Network {
            let net = try Network(architecture, seed: 0)
            try net.load(namedTensors: tensors)
            return net
        }
        var meta = metadata
        meta.merge(standardization.audio.metadata(role: "audio")) { _, new in new }
        meta.merge(standardization.synth.metadata(role: "synth")) { _, new in new }
        meta["dimensions"] = "\(options.dimensions)"
        meta["width"] = "\(options.width)"
        meta["window_frames"] = "\(options.windowFrames)"
        if let shortest = options.shortestWindowFrames { meta["shortest_window_frames"] = "\(shortest)" }
        meta["seed"] = "\(options.seed)"
        meta["best_step"] = "\(bestStep)"
        meta["steps"] = "\(step)"
        meta["validation_mrr"] = String(format: "%.4f", best)
        meta["train_pieces"] = "\(train.count)"
        meta["validation_pieces"] = "\(validation.count)"
        if let embedder = options.initialEmbedder {
            meta["initial_embedder"] = embedder.sha256
        } else if let hasher = options.initialHasher {
            meta["initial_hasher"] = hasher.sha256
        }
        let model = try LearnedModel(kind: "embedder", networks: ["audio": try restored(bestWeights.0), "synth": try restored(bestWeights.1)],
                                     metadata: meta)
        return EmbedderTrainingResult(model: model, curve: curve, bestStep: bestStep, bestMRR: best, steps: step,
                                      seconds: Date().timeIntervalSince(started))
    }
}
