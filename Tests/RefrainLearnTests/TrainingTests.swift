import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// Classes of feature sequences with a known answer: class `c` is a fixed pattern (`frames x 12`), a base
/// shared by all classes plus a class-specific part of 0.6 its size, seen through a random time shift
/// (a crop of a longer loop), a random gain in [0.5, 2] and noise of standard deviation 0.15.
struct ShiftedPatterns {
    let patterns: [Matrix]
    init(classes: Int, frames: Int, seed: UInt64) {
        var random = SeededRandom(seed: seed)
        let base = Matrix(rows: frames, cols: 12) { _, _ in random.uniform() }
        patterns = (0..<classes).map { _ in Matrix(rows: frames, cols: 12) { t, d in base[t, d] + 0.6 * random.uniform() } }
    }

    /// `count` sequences of `length` frames with their labels.
    func samples(_ count: Int, length: Int, random: inout SeededRandom) -> ([Matrix], [Int]) {
        var sequences: [Matrix] = [], labels: [Int] = []
        for k in 0..<count {
            let c = k % patterns.count, p = patterns[c]
            let shift = Int(random.next() % UInt64(p.rows)), gain = 0.5 + 1.5 * random.uniform()
            sequences.append(Matrix(rows: length, cols: 12) { t, d in
                gain * p[(t + shift) % p.rows, d] + 0.15 * random.normal()
            })
            labels.append(c)
        }
        return (sequences, labels)
    }
}

final class TrainingTests: XCTestCase {
    static let architecture = Architecture(inputShape: [1, 32, 12], layers: [
        .conv2d(1, 8, kernel: [3, 3], padding: [1, 1], name: "conv1"), .relu, .maxPool2d([2, 2]), .toSequence,
        .dense(48, 32, name: "dense1"), .relu, .attention(32, name: "attention"), .dense(32, 16, name: "embed"), .l2Normalize(),
    ])

    func embed(_ net: Network, _ sequences: [Matrix]) throws -> Matrix {
        let data = sequences.flatMap(\.storage)
        let y = try net.forward(Tensor(shape: [sequences.count, 1, 32, 12], data: data))
        return y.matrix()
    }

    func train(seed: UInt64, steps: Int, checkpoint: URL? = nil, resumeFrom: URL? = nil, stopAt: Int? = nil,
               threads: Int = 2) throws -> (Network, TrainingReport) {
        let data = ShiftedPatterns(classes: 16, frames: 24, seed: 99)
        var random = SeededRandom(seed: 5)
        let (train, trainLabels) = data.samples(320, length: 48, random: &random)
        let crops = try RandomCrops(sequences: train, labels: trainLabels, length: 32)
        let (val, valLabels) = data.samples(64, length: 32, random: &random)
        let net = try Network(Self.architecture, seed: seed)
        let loss = TripletLoss(margin: 0.2, mining: .semiHard)
        let settings = TrainingSettings(maxSteps: stopAt ?? steps, validateEvery: 10, initialPatience: steps, clipNorm: 10,
                                        threads: threads, seed: seed, checkpoint: checkpoint)
        let trainer = Trainer(network: net, optimizer: Adam(learningRate: 3e-3), settings: settings)
        if let resumeFrom { try trainer.resume(from: resumeFrom) }
        let report = try trainer.run(lossAndGradient: { net, random, pass in
            let (x, labels, _) = crops.batch(32, random: &random)
            let y = try net.forward(x, pass)
            let (value, gradient) = try loss.evaluate(embeddings: y, labels: labels)
            net.backward(gradient, pass)
            return value
        }, validate: { net in
            let z = try self.embed(net, val)
            let r = try EmbeddingEvaluation.retrieval(queries: z, queryLabels: valLabels, database: z, databaseLabels: valLabels,
                                                      ks: [1], leaveOneOut: true)
            return Float(1 - r.recall[1]!)
        })
        return (net, report)
    }

    /// 16 classes (a random guess finds its class 1 time in 16): after 600 steps from seed 1, held-out recall@1
    /// (160 sequences, leave-one-out) is at least 0.9 (0.931 on this machine, MAP 0.86, Bhattacharyya
    /// coefficient 0.33), against 0.34 (MAP 0.20) for the same network untrained.
    func testTripletEmbeddingSeparatesShiftedScaledClasses() throws {
        let data = ShiftedPatterns(classes: 16, frames: 24, seed: 99)
        var random = SeededRandom(seed: 1234)
        let (test, testLabels) = data.samples(160, length: 32, random: &random)
        let untrained = try Network(Self.architecture, seed: 1)
        let before = try EmbeddingEvaluation.retrieval(queries: embed(untrained, test), queryLabels: testLabels,
                                                       database: embed(untrained, test), databaseLabels: testLabels,
                                                       ks: [1, 5], leaveOneOut: true)
        let (net, report) = try train(seed: 1, steps: 600)
        let z = try embed(net, test)
        let after = try EmbeddingEvaluation.retrieval(queries: z, queryLabels: testLabels, database: z, databaseLabels: testLabels,
                                                      ks: [1, 5], leaveOneOut: true)
        let (m0, o0) = EmbeddingEvaluation.pairDistances(z, labels: testLabels)
        print("Bhattacharyya \(try EmbeddingEvaluation.bhattacharyya(matching: m0, nonMatching: o0)); held-out recall@1 before \(before.recall[1]!) after \(after.recall[1]!), MAP \(before.map) -> \(after.map); best validation \(report.bestValidation) at step \(report.bestStep)")
        XCTAssertLessThanOrEqual(before.recall[1]!, 0.6)
        XCTAssertGreaterThanOrEqual(after.recall[1]!, 0.9)
        XCTAssertGreaterThan(after.map, before.map + 0.2)
        let (matching, other) = EmbeddingEvaluation.pairDistances(z, labels: testLabels)
        XCTAssertLessThan(try EmbeddingEvaluation.bhattacharyya(matching: matching, nonMatching: other), 0.5)
    }

    /// Same seed, same data, same threads: the same model bit for bit; and a run interrupted at a checkpoint and
    /// resumed ends where the uninterrupted run does.
    func testDeterministicAndResumable() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (a, _) = try train(seed: 7, steps: 40)
        let (b, _) = try train(seed: 7, steps: 40)
        XCTAssertEqual(a.parameters.map(\.value), b.parameters.map(\.value))
        let checkpoint = directory.appendingPathComponent("run.npz")
        _ = try train(seed: 7, steps: 40, checkpoint: checkpoint, stopAt: 20)
        XCTAssertEqual(try ModelFile.read(checkpoint).description.metadata["step"], "20")
        let (resumed, report) = try train(seed: 7, steps: 40, resumeFrom: checkpoint)
        XCTAssertEqual(report.steps, 40)
        XCTAssertEqual(resumed.parameters.map(\.value), a.parameters.map(\.value))
    }

    func testEarlyStoppingStopsWhenValidationStalls() throws {
        let net = try Network(Architecture(inputShape: [2], layers: [.dense(2, 1)]), seed: 1)
        var figures: [Float] = [1.0, 0.5, 0.4, 0.399, 0.398, 0.398, 0.398, 0.398, 0.398, 0.398, 0.398, 0.398]
        let trainer = Trainer(network: net, optimizer: SGD(learningRate: 0), settings: TrainingSettings(
            maxSteps: 1000, validateEvery: 10, initialPatience: 20, patienceIncrease: 2))
        let report = try trainer.run(lossAndGradient: { _, _, _ in 0 }, validate: { _ in figures.removeFirst() })
        // Last improvement by more than 1 % at step 30 (0.4 < 0.5 * 0.99): patience 60, so the run ends at step 60.
        XCTAssertTrue(report.stoppedEarly)
        XCTAssertEqual(report.steps, 60)
        XCTAssertEqual(report.bestStep, 50)
    }

    func testNaNStopsNamingStepAndLayerAndKeepsLastCheckpoint() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("ckpt.npz")
        let net = try Network(Architecture(inputShape: [4], layers: [.dense(4, 3, name: "hidden"), .tanh, .dense(3, 1, name: "out")]), seed: 2)
        let trainer = Trainer(network: net, optimizer: SGD(learningRate: 0.01), settings: TrainingSettings(
            maxSteps: 100, validateEvery: 5, initialPatience: 100, checkpoint: checkpoint))
        XCTAssertThrowsError(try trainer.run(lossAndGradient: { net, _, pass in
            // From step 8 on the input holds an infinity, which the first dense layer turns into NaN.
            let x = Tensor(shape: [2, 4], data: [1, 2, 3, trainer.step >= 7 ? .infinity : 4, 0, 1, 0, 1])
            let y = try net.forward(x, pass)
            net.backward(Tensor(shape: y.shape, data: y.data.map { $0 }), pass)
            return y.data.reduce(0) { $0 + $1 * $1 } / 2
        }, validate: { _ in 1 })) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("step 8") && message.contains("layer hidden"), message)
        }
        XCTAssertEqual(try ModelFile.read(checkpoint).description.metadata["step"], "5")
        XCTAssertTrue(try ModelFile.read(checkpoint).tensors.allSatisfy { allFinite($0.array.floats()) })
    }

    func testProgressLine() {
        let p = TrainingProgress(step: 50, maxSteps: 100, loss: 0.25, validation: 0.5, best: 0.4, stepsPerSecond: 12.5)
        XCTAssertEqual(p.line, "step 50/100 [##########..........] loss 0.2500 val 0.5000 best 0.4000 12.5 steps/s")
    }
}
