import Foundation
import RefrainIndex
import RefrainLearn
import RefrainMath

/// How the shingle reducer is trained (Zalkow & Müller 2020, "Learning low-dimensional embeddings of audio
/// shingles for cross-version retrieval of classical music", TISMIR): a small network maps a CENS shingle to a
/// unit vector of a few dimensions, trained with the triplet loss so that the shingles of one passage in two
/// versions lie closer than shingles of other passages and pieces.
public struct ShingleReducerTrainingOptions: Sendable {
    /// CENS frames per shingle and the transform the index applies before reducing (the music index's: 12
    /// frames, `canonicalKey`, so the network sees the shingles an index would give it).
    public var length = 12
    public var transform = ShingleTransform.canonicalKey
    /// Units of the two hidden layers and dimensions of the output.
    public var width = 128
    public var dimensions = 12
    /// Pieces per batch and passages per piece (each passage two shingles: 2 x pieces x passages per batch).
    public var piecesPerBatch = 32
    public var passagesPerPiece = 2
    public var maxSteps = 3000
    /// Steps between validations (validation precision at 1, higher is better).
    public var validateEvery = 250
    public var learningRate: Float = 1e-3
    /// Triplet margin on the Euclidean distance of unit vectors (range 0...2).
    public var margin: Float = 0.3
    public var mining = TripletLoss.Mining.batchAll
    public var seed: UInt64 = 20
    public var threads = 1

    public init() {}

    /// Sets `mining` by name (`all`, `semihard` or `hard`, `TripletLoss.Mining`).
    /// - Throws: `RefrainError.invalidArgument` for another name.
    public mutating func setMining(_ name: String) throws {
        guard let chosen = TripletLoss.Mining(rawValue: name) else {
            throw RefrainError.invalidArgument("triplet mining must be all, semihard or hard, got '\(name)'")
        }
        mining = chosen
    }
}

/// One point of a shingle reducer training curve.
public struct ShingleReducerCurvePoint: Sendable {
    public var step: Int
    /// Mean training loss since the previous point.
    public var loss: Float
    /// Shingle-level retrieval on the validation pieces (`ShingleRetrievalSet`: version 0 against the others).
    public var validation: NearestLabelRetrieval.Result
    public var seconds: Double
}

/// What a training run gives: the model at its best validation step and its curve.
public struct ShingleReducerTrainingResult: @unchecked Sendable {
    public var model: LearnedModel
    public var curve: [ShingleReducerCurvePoint]
    public var bestStep: Int
    public var bestPrecision: Double
    public var steps: Int
    public var seconds: Double
}

/// Trains the shingle reducer (`LearnedArchitectures.shingleReducer`, role `chroma`) with the triplet loss over
/// the passages of a batch (`ShingleTriplets`), Adam, early stopping on the validation precision at 1.
public enum ShingleReducerTraining {
    /// The reduced rows of `x` (`n x inputs`, unit-length shingles) by `network`, scaled as the index scales them.
    static func reduce(_ network: Network, _ x: Matrix, threads: Int) throws -> Matrix {
        let scale = LearnedShingleReducer.inputScale(width: x.cols)
        var out: [Float] = []
        for lo in stride(from: 0, to: x.rows, by: 4096) {
            let part = x.rows(lo..<min(x.rows, lo + 4096))
            out += try network.forward(Tensor(shape: [part.rows, part.cols], data: part.storage.map { $0 * scale }),
                                       Pass(training: false, threads: threads)).data
        }
        return Matrix(rows: x.rows, cols: network.outputShape[0], storage: out)
    }

    /// Trains on `train` pieces, validating on `validation` pieces.
    /// - Throws: `RefrainError.invalidArgument` when the options are out of range, the pieces give no batch, or
    ///   training diverges.
    public static func train(train: [ShinglePiece], validation: [ShinglePiece], options: ShingleReducerTrainingOptions,
                             metadata: [String: String] = [:],
                             progress: ((ShingleReducerCurvePoint) -> Void)? = nil) throws -> ShingleReducerTrainingResult {
        guard options.length >= 1, options.width >= 1, options.dimensions >= 1, options.piecesPerBatch >= 2,
              options.passagesPerPiece >= 1, options.maxSteps >= 1, options.validateEvery >= 1 else {
            throw RefrainError.invalidArgument("shingle reducer training needs a positive length, width, dimensions, steps and passages, and 2 or more pieces per batch")
        }
        let started = Date()
        let triplets = ShingleTriplets(train, length: options.length, transform: options.transform)
        let check = ShingleRetrievalSet(pieces: validation, length: options.length, transform: options.transform, queryHop: 2, databaseHop: 2)
        guard check.queries.rows > 0, check.database.rows > 0 else {
            throw RefrainError.invalidArgument("the validation pieces give no shingles of \(options.length) frames")
        }
        let architecture = LearnedArchitectures.shingleReducer(inputs: triplets.width, width: options.width, dimensions: options.dimensions)
        let network = try Network(architecture, seed: options.seed)
        let optimizer = Adam(learningRate: options.learningRate)
        var random = SplitMix64(seed: options.seed &+ 2)
        let loss = TripletLoss(margin: options.margin, mining: options.mining)
        let pass = Pass(training: true, threads: options.threads)
        let minimumGap = Float(Double(options.length) / CENSEncoder.Settings().rate)
        func figures() throws -> NearestLabelRetrieval.Result { try check.evaluate { try reduce(network, $0, threads: options.threads) } }
        let initial = try figures()
        var best = initial.precisionAt1, bestStep = 0, bestWeights = network.namedTensors()
        var curve = [ShingleReducerCurvePoint(step: 0, loss: .nan, validation: initial, seconds: 0)]
        progress?(curve[0])
        var lossSum: Double = 0, lossCount = 0, step = 0
        let scale = LearnedShingleReducer.inputScale(width: triplets.width)
        while step < options.maxSteps {
            guard let b = triplets.batch(pieces: options.piecesPerBatch, passages: options.passagesPerPiece, minimumGap: minimumGap,
                                         random: &random) else {
                throw RefrainError.invalidArgument("the training pieces give no batch of aligned passages")
            }
            network.zeroGradients()
            let y = try network.forward(Tensor(shape: [b.labels.count, triplets.width], data: b.x.map { $0 * scale }), pass)
            let (value, gradient) = try loss.evaluate(embeddings: y, labels: b.labels)
            network.backward(gradient, pass)
            if !value.isFinite || network.firstNonFinite() != nil {
                throw RefrainError.invalidArgument("shingle reducer training diverged at step \(step + 1) (a NaN or an infinity); lower the learning rate")
            }
            optimizer.step(network.parameters, threads: options.threads)
            step += 1
            lossSum += Double(value)
            lossCount += 1
            if step % options.validateEvery == 0 || step == options.maxSteps {
                let f = try figures()
                if f.precisionAt1 > best {
                    best = f.precisionAt1
                    bestStep = step
                    bestWeights = network.namedTensors()
                }
                let point = ShingleReducerCurvePoint(step: step, loss: Float(lossSum / Double(max(lossCount, 1))), validation: f,
                                                     seconds: Date().timeIntervalSince(started))
                curve.append(point)
                progress?(point)
                lossSum = 0
                lossCount = 0
            }
        }
        let restored = try Network(architecture, seed: 0)
        try restored.load(namedTensors: bestWeights)
        var meta = metadata
        meta["dimensions"] = "\(options.dimensions)"
        meta["width"] = "\(options.width)"
        meta["shingle_length"] = "\(options.length)"
        meta["shingle_transform"] = options.transform.rawValue
        meta["input_scale"] = "sqrt(inputs)"
        meta["margin"] = "\(options.margin)"
        meta["seed"] = "\(options.seed)"
        meta["best_step"] = "\(bestStep)"
        meta["steps"] = "\(step)"
        meta["validation_precision_at_1"] = String(format: "%.4f", best)
        meta["train_pieces"] = "\(train.count)"
        meta["validation_pieces"] = "\(validation.count)"
        let model = try LearnedModel(kind: ShingleReducerModel.kind, networks: [ShingleReducerModel.role: restored], metadata: meta)
        return ShingleReducerTrainingResult(model: model, curve: curve, bestStep: bestStep, bestPrecision: best, steps: step,
                                            seconds: Date().timeIntervalSince(started))
    }
}
