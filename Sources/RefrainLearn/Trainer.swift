import Foundation
import RefrainMath

/// Settings of a training run.
public struct TrainingSettings: Sendable {
    /// Most optimiser steps.
    public var maxSteps: Int
    /// Validate (and checkpoint) every this many steps.
    public var validateEvery: Int
    /// Early stopping in the style of Raffel & Ellis (after the Theano tutorials they built on): training runs
    /// at least `initialPatience` steps; whenever the validation figure (lower is better) beats the best so
    /// far by more than `improvement` (1 %), the run is allowed to go on to `patienceIncrease` times the
    /// current step. It stops when the step count reaches the patience.
    public var initialPatience: Int
    public var patienceIncrease: Double
    public var improvement: Float
    /// Clip the global gradient norm to this (nil: no clipping).
    public var clipNorm: Float?
    /// Cores for the forward and backward passes and the update (a compute budget).
    public var threads: Int
    /// Seed of everything random in the run (crops, negatives, mining order), with the network's own seed.
    public var seed: UInt64
    /// Where the resumable checkpoint is written (atomically) after every validation; nil: none.
    public var checkpoint: URL?
    /// Where the best model so far is written (a network model file); nil: none.
    public var bestModel: URL?

    public init(maxSteps: Int, validateEvery: Int = 100, initialPatience: Int = 1000, patienceIncrease: Double = 2,
                improvement: Float = 0.01, clipNorm: Float? = nil, threads: Int = 1, seed: UInt64 = 0,
                checkpoint: URL? = nil, bestModel: URL? = nil) {
        self.maxSteps = maxSteps
        self.validateEvery = max(1, validateEvery)
        self.initialPatience = initialPatience
        self.patienceIncrease = patienceIncrease
        self.improvement = improvement
        self.clipNorm = clipNorm
        self.threads = max(1, threads)
        self.seed = seed
        self.checkpoint = checkpoint
        self.bestModel = bestModel
    }
}

/// Where a run stands, for a progress line.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var maxSteps: Int
    /// Mean training loss since the previous report.
    public var loss: Float
    public var validation: Float?
    public var best: Float
    public var stepsPerSecond: Double

    public init(step: Int, maxSteps: Int, loss: Float, validation: Float?, best: Float, stepsPerSecond: Double) {
        self.step = step
        self.maxSteps = maxSteps
        self.loss = loss
        self.validation = validation
        self.best = best
        self.stepsPerSecond = stepsPerSecond
    }

    /// "step 1200/5000 [######..............] loss 0.4123 val 0.3120 best 0.3011 14.2 steps/s"
    public var line: String {
        let width = 20, filled = maxSteps > 0 ? min(width, width * step / maxSteps) : 0
        var s = "step \(step)/\(maxSteps) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"
        s += " loss " + String(format: "%.4f", loss)
        if let validation { s += " val " + String(format: "%.4f", validation) }
        if best.isFinite { s += " best " + String(format: "%.4f", best) }
        s += " " + String(format: "%.1f", stepsPerSecond) + " steps/s"
        return s
    }
}

/// How a run ended.
public struct TrainingReport: Sendable {
    public var steps: Int
    public var bestValidation: Float
    public var bestStep: Int
    /// Whether early stopping ended the run (else `maxSteps` did).
    public var stoppedEarly: Bool
}

/// The training loop: minibatch steps, gradient clipping, the optimiser update, validation every N steps,
/// Raffel-style early stopping, atomic checkpoints that a later run resumes from, and a stop with a sentence
/// naming the step and layer when a value becomes NaN or infinite (the last checkpoint on disk is then the
/// last good one, since checkpoints are only written after finite steps).
public final class Trainer {
    public let network: Network
    public let optimizer: Optimizer
    public let settings: TrainingSettings
    /// The run's randomness; saved in checkpoints.
    public var random: SeededRandom
    public private(set) var step = 0
    public private(set) var best = Float.infinity
    public private(set) var bestStep = 0
    public private(set) var patience: Int

    public init(network: Network, optimizer: Optimizer, settings: TrainingSettings) {
        self.network = network
        self.optimizer = optimizer
        self.settings = settings
        random = SeededRandom(seed: settings.seed)
        patience = settings.initialPatience
    }

    /// Runs until `maxSteps` or early stopping.
    /// - Parameters:
    ///   - lossAndGradient: one step's work on a fresh batch drawn with the given generator: forward in training
    ///     mode, the loss, and `network.backward` of its gradient; returns the loss.
    ///   - validate: the validation figure, lower is better (e.g. a loss, or 1 - recall).
    ///   - progress: called after every validation (and every `validateEvery / 10` steps without one).
    public func run(lossAndGradient: (Network, inout SeededRandom, Pass) throws -> Float,
                    validate: (Network) throws -> Float,
                    progress: ((TrainingProgress) -> Void)? = nil) throws -> TrainingReport {
        let pass = Pass(training: true, threads: settings.threads)
        var lossSum: Double = 0, lossCount = 0
        var clock = Date()
        var stepsSinceClock = 0
        let reportEvery = max(1, settings.validateEvery / 10)
        while step < settings.maxSteps && step < patience {
            let loss = try lossAndGradient(network, &random, pass)
            let next = step + 1
            if !loss.isFinite || network.firstNonFinite() != nil {
                let place = network.firstNonFinite() ?? "the loss"
                let kept = settings.checkpoint.map { " (the last good checkpoint, \($0.lastPathComponent), is kept)" } ?? ""
                throw RefrainError.invalidArgument("training stopped at step \(next): \(place) became NaN or infinite\(kept)")
            }
            if let clip = settings.clipNorm { GradientClipping.clipNorm(network.parameters, maxNorm: clip) }
            optimizer.step(network.parameters, threads: settings.threads)
            step = next
            lossSum += Double(loss)
            lossCount += 1
            stepsSinceClock += 1
            let validating = step % settings.validateEvery == 0
            var figure: Float?
            if validating {
                let v = try validate(network)
                figure = v
                if v.isFinite && v < best * (1 - settings.improvement) || (best.isInfinite && v.isFinite) {
                    patience = max(patience, Int(Double(step) * settings.patienceIncrease))
                }
                if v < best {
                    best = v
                    bestStep = step
                    if let url = settings.bestModel {
                        try ModelFile(network: network, metadata: ["step": "\(step)", "validation": "\(v)"]).write(to: url)
                    }
                }
                if let url = settings.checkpoint { try checkpoint().write(to: url) }
            }
            if validating || step % reportEvery == 0, let progress {
                let elapsed = Date().timeIntervalSince(clock)
                progress(TrainingProgress(step: step, maxSteps: settings.maxSteps, loss: Float(lossSum / Double(max(lossCount, 1))),
                                          validation: figure, best: best,
                                          stepsPerSecond: elapsed > 0 ? Double(stepsSinceClock) / elapsed : 0))
                lossSum = 0
                lossCount = 0
                clock = Date()
                stepsSinceClock = 0
            }
        }
        return TrainingReport(steps: step, bestValidation: best, bestStep: bestStep, stoppedEarly: step < settings.maxSteps)
    }

    /// Everything needed to resume: weights, optimiser buffers (tensors "optimizer/<buffer>"), and in the
    /// metadata the step, the best figure, the patience, the generators' states and the optimiser's settings.
    public func checkpoint() -> ModelFile {
        var tensors = network.parameters.map { (name: $0.name, array: NPYArray($0.value, shape: $0.shape)) }
        for key in optimizer.state.keys.sorted() {
            let values = optimizer.state[key]!
            tensors.append(("optimizer/" + key, NPYArray(values, shape: [values.count])))
        }
        var metadata: [String: String] = [
            "step": "\(step)", "best": "\(best)", "bestStep": "\(bestStep)", "patience": "\(patience)",
            "random": "\(random.state)", "optimizer": optimizer.kind, "optimizerSteps": "\(optimizer.steps)",
            "learningRate": "\(optimizer.learningRate)",
        ]
        for case let dropout as Dropout in network.layers { metadata["random." + dropout.name] = "\(dropout.random.state)" }
        return ModelFile(description: ModelDescription(kind: "checkpoint", architecture: network.architecture, metadata: metadata),
                         tensors: tensors)
    }

    /// Restores a checkpoint written by `checkpoint()` (same architecture and optimiser kind), so that the run
    /// continues exactly as if it had not been interrupted.
    /// - Throws: `RefrainError(.invalidFile)` for a file that is not a checkpoint of this network.
    public func resume(from url: URL) throws {
        let file = try ModelFile.read(url)
        guard file.description.kind == "checkpoint", file.description.architecture == network.architecture else {
            throw RefrainError.invalidFile(url.path, "is not a checkpoint of this network's architecture")
        }
        let meta = file.description.metadata
        guard meta["optimizer"] == optimizer.kind, let s = meta["step"].flatMap(Int.init), let r = meta["random"].flatMap(UInt64.init),
              let p = meta["patience"].flatMap(Int.init), let b = meta["best"].flatMap(Float.init),
              let bs = meta["bestStep"].flatMap(Int.init), let os = meta["optimizerSteps"].flatMap(Int.init) else {
            throw RefrainError.invalidFile(url.path, "checkpoint metadata is incomplete or for another optimiser")
        }
        do {
            try network.load(Dictionary(file.tensors.map { ($0.name, $0.array) }, uniquingKeysWith: { a, _ in a }))
        } catch let error as RefrainError {
            throw RefrainError.invalidFile(url.path, error.message)
        }
        var state: [String: [Float]] = [:]
        for t in file.tensors where t.name.hasPrefix("optimizer/") { state[String(t.name.dropFirst("optimizer/".count))] = t.array.floats() }
        optimizer.state = state
        optimizer.steps = os
        for case let dropout as Dropout in network.layers {
            if let v = meta["random." + dropout.name].flatMap(UInt64.init) { dropout.random = SeededRandom(seed: v) }
        }
        step = s
        random = SeededRandom(seed: r)
        patience = p
        best = b
        bestStep = bs
    }
}
