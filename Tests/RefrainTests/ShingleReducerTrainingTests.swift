import Foundation
@testable import Refrain
import RefrainIndex
import RefrainLearn
import RefrainMath
import XCTest

/// The shingle reducer (Zalkow & Müller 2020): a seeded training run on a few synthetic pieces puts the shingles
/// of one passage in two versions nearer than other passages', where the untrained network of the same seed
/// does not; triplet batches pair aligned passages; the seeded run is repeatable.
final class ShingleReducerTrainingTests: XCTestCase {
    /// `count` pieces of two versions, 80 CENS frames each: the music lives in pitch classes 0-5 (a piece's own
    /// walk, the same in both versions); pitch classes 6-11 carry loud noise of each version's own (a timbre the
    /// versions do not share). Version 1 is version 0 one frame later in the score (frame `i` at score time of
    /// frame `i + 1`), so the alignment is not the identity.
    static func pieces(_ count: Int, seed: UInt64) -> [ShinglePiece] {
        var random = SplitMix64(seed: seed)
        func uniform() -> Float { Float(random.next() >> 40) / Float(1 << 24) }
        let frames = 80, rate = Float(CENSEncoder.Settings().rate)
        return (0..<count).map { p in
            var music = [[Float]](repeating: [Float](repeating: 0, count: 6), count: frames + 1)
            var state = (0..<6).map { _ in uniform() }
            for t in 0...frames {
                if t % 4 == 0 { state[Int(random.next() % 6)] = 1.5 * uniform() }
                for c in 0..<6 { state[c] = max(0, state[c] + 0.2 * (uniform() - 0.5)) }
                music[t] = state
            }
            let versions = (0..<2).map { v -> ShinglePiece.Version in
                var cens = Matrix(rows: frames, cols: 12)
                for t in 0..<frames {
                    let noise: [Float] = (0..<6).map { _ in 1.2 * uniform() }
                    let row: [Float] = music[t + v] + noise
                    var sum: Float = 0
                    for x in row { sum += x * x }
                    let norm = max(sum.squareRoot(), 1e-6)
                    for c in 0..<12 { cens[t, c] = row[c] / norm }
                }
                return ShinglePiece.Version(cens: cens, referenceTimes: (0..<frames).map { Float($0 + v) / rate })
            }
            return ShinglePiece(key: "piece\(p)", versions: versions)
        }
    }

    static var options: ShingleReducerTrainingOptions {
        var options = ShingleReducerTrainingOptions()
        options.length = 6
        options.transform = ShingleTransform.none
        options.width = 32
        options.dimensions = 4
        options.piecesPerBatch = 8
        options.passagesPerPiece = 2
        options.maxSteps = 400
        options.validateEvery = 100
        options.learningRate = 3e-3
        options.seed = 7
        return options
    }

    func testTrainingPutsMatchingShinglesNearerThanAnUntrainedNetworkDoes() throws {
        let train = Self.pieces(12, seed: 1), validation = Self.pieces(6, seed: 2)
        let result = try ShingleReducerTraining.train(train: train, validation: validation, options: Self.options)
        let untrained = try XCTUnwrap(result.curve.first).validation
        XCTAssertEqual(result.model.kind, "shingles")
        XCTAssertEqual(result.model.metadata["dimensions"], "4")
        let reducer = try ShingleReducerModel.reducer(of: result.model)
        XCTAssertEqual(reducer.inputDimension, 72)
        XCTAssertEqual(reducer.outputDimension, 4)
        // Matching pairs (the same passage in both versions) against the other passages of the validation pieces.
        let set = ShingleRetrievalSet(pieces: validation, length: 6, transform: .none, queryHop: 2, databaseHop: 2)
        let trained = try set.evaluate { try reducer.reduce($0) }
        XCTAssertEqual(trained.precisionAt1, result.bestPrecision, accuracy: 1e-9, "the model is the best step's")
        XCTAssertGreaterThan(trained.precisionAt1, untrained.precisionAt1 + 0.2,
                             "trained \(trained.precisionAt1) against untrained \(untrained.precisionAt1)")
        func distances(_ network: (Matrix) throws -> Matrix) throws -> (matching: Float, other: Float) {
            let a = try network(validation[0].versions[0].cens.rows(10..<16).reshaped(rows: 1, cols: 72).normalizedRows())
            let b = try network(validation[0].versions[1].cens.rows(9..<15).reshaped(rows: 1, cols: 72).normalizedRows())
            let c = try network(validation[1].versions[1].cens.rows(30..<36).reshaped(rows: 1, cols: 72).normalizedRows())
            func d(_ x: Matrix, _ y: Matrix) -> Float {
                var sum: Float = 0
                for (u, v) in zip(x.storage, y.storage) { sum += (u - v) * (u - v) }
                return sum.squareRoot()
            }
            return (d(a, b), d(a, c))
        }
        let after = try distances { try reducer.reduce($0) }
        XCTAssertLessThan(after.matching, after.other, "the same passage lies nearer than another piece's")
        // The same seed trains the same weights.
        let again = try ShingleReducerTraining.train(train: train, validation: validation, options: Self.options)
        XCTAssertEqual(again.model.sha256, result.model.sha256)
    }

    func testTripletBatchesPairAlignedPassagesOfTwoVersions() throws {
        let pieces = Self.pieces(4, seed: 3)
        let triplets = ShingleTriplets(pieces, length: 6, transform: .none)
        var random = SplitMix64(seed: 1)
        let batch = try XCTUnwrap(triplets.batch(pieces: 4, passages: 2, minimumGap: 3, random: &random))
        XCTAssertEqual(batch.labels, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7])
        XCTAssertEqual(batch.x.count, 16 * 72)
        // Each pair is one passage: the music (pitch classes 0-5) of both shingles is the same up to the noise's
        // share of the norm, so their music parts point the same way.
        for pair in 0..<8 {
            let a = Array(batch.x[(2 * pair * 72)..<((2 * pair + 1) * 72)]), b = Array(batch.x[((2 * pair + 1) * 72)..<((2 * pair + 2) * 72)])
            func music(_ x: [Float]) -> [Float] { (0..<6).flatMap { t in x[(t * 12)..<(t * 12 + 6)] } }
            let ma = music(a), mb = music(b)
            var dot: Float = 0, na: Float = 0, nb: Float = 0
            for (u, v) in zip(ma, mb) {
                dot += u * v
                na += u * u
                nb += v * v
            }
            let cosine = dot / (na.squareRoot() * nb.squareRoot())
            XCTAssertGreaterThan(cosine, 0.95, "pair \(pair)")
        }
        XCTAssertNil(ShingleTriplets(Array(pieces.prefix(1)), length: 6, transform: .none)
            .batch(pieces: 4, passages: 2, minimumGap: 3, random: &random), "one piece gives no negatives")
    }

    func testOptionsOutOfRangeAreRefused() {
        var options = Self.options
        options.piecesPerBatch = 1
        XCTAssertThrowsError(try ShingleReducerTraining.train(train: Self.pieces(3, seed: 1), validation: Self.pieces(2, seed: 2), options: options))
        XCTAssertThrowsError(try options.setMining("hardest"))
    }
}

private extension Matrix {
    /// Rows scaled to unit length, as shingles are.
    func normalizedRows() -> Matrix {
        var out = self
        for r in 0..<rows {
            var sum: Float = 0
            for v in row(r) { sum += v * v }
            let norm = max(sum.squareRoot(), 1e-12)
            for c in 0..<cols { out[r, c] /= norm }
        }
        return out
    }
}
