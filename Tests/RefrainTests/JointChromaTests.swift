import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `JointChroma` and `CoarseToFineAudioMatcher.joint` (issue 18, round 13): one subsequence DTW over `cens` and
/// `crp_coarse` joined frame by frame is the DTW of the mean of the two arrays' cosine cost matrices.
final class JointChromaTests: XCTestCase {
    /// Frames of either sign and any length, as CRP's are (`seed` chooses them).
    func signedFrames(_ rows: Int, seed: UInt64) -> Matrix {
        var random = SplitMix64(seed: seed)
        return Matrix(rows: rows, cols: 12) { _, _ in Float(Int(random.next() % 2001) - 1000) / 500 }
    }

    /// Cosine cost `1 - a·b / (|a| |b|)` of two rows, in Double.
    func cosineCost(_ a: Matrix, _ i: Int, _ b: Matrix, _ j: Int) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for c in 0..<a.cols {
            dot += Double(a[i, c]) * Double(b[j, c]); na += Double(a[i, c] * a[i, c]); nb += Double(b[j, c] * b[j, c])
        }
        return 1 - dot / (na * nb).squareRoot()
    }

    /// Textbook subsequence DTW (free start and end in the item), steps (1,1), (1,0), (0,1) with `penalty` added
    /// to the two non-diagonal ones, on the cost `cost(i, j)`, in Double: the best total cost.
    func subsequenceDTW(rows: Int, cols: Int, penalty: Double, cost: (Int, Int) -> Double) -> Double {
        var previous = [Double](repeating: 0, count: cols), current = previous
        for i in 0..<rows {
            for j in 0..<cols {
                let c = cost(i, j)
                if i == 0 {
                    current[j] = c
                } else {
                    var best = previous[j] + c + penalty
                    if j > 0 { best = min(best, previous[j - 1] + c, current[j - 1] + c + penalty) }
                    current[j] = best
                }
            }
            swap(&previous, &current)
        }
        return previous.min() ?? .infinity
    }

    func testJoinedFramesCostTheMeanOfTheArraysCosineCosts() throws {
        let a1 = randomUnitFrames(5, dims: 12, seed: 1), a2 = signedFrames(6, seed: 2)
        let b1 = randomUnitFrames(4, dims: 12, seed: 3), b2 = signedFrames(4, seed: 4)
        let a = try XCTUnwrap(JointChroma.joined([a1, a2])), b = try XCTUnwrap(JointChroma.joined([b1, b2]))
        XCTAssertEqual(a.rows, 5, "the shorter array's frames")
        XCTAssertEqual(a.cols, 24)
        for i in 0..<a.rows {
            XCTAssertEqual(a.row(i).reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5, "unit length")
            for j in 0..<b.rows {
                var dot: Float = 0
                for c in 0..<24 { dot += a[i, c] * b[j, c] }
                XCTAssertEqual(Double(1 - dot), (cosineCost(a1, i, b1, j) + cosineCost(a2, i, b2, j)) / 2, accuracy: 1e-5)
            }
        }
        XCTAssertNil(JointChroma.joined([a1, Matrix(rows: 0, cols: 12)]))
        XCTAssertNil(JointChroma.joined([a1, Matrix(rows: 5, cols: 24)]))
    }

    /// A transposition moves both arrays' pitch classes; halving averages frame pairs per array, and one block is
    /// the old halving exactly.
    func testShiftsAndHalvingActOnEachArray() throws {
        let a1 = randomUnitFrames(5, dims: 12, seed: 5), a2 = signedFrames(5, seed: 6)
        let joined = try XCTUnwrap(JointChroma.joined([a1, a2]))
        let moved = try XCTUnwrap(JointChroma.joined([cyclicallyShifted(a1, by: 5), cyclicallyShifted(a2, by: 5)]))
        for (x, y) in zip(JointChroma.shifted(joined, by: 5).storage, moved.storage) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        XCTAssertEqual(JointChroma.shifted(a1, by: 5).storage, cyclicallyShifted(a1, by: 5).storage)
        let halved = JointChroma.halved(joined, blocks: 2)
        let unitA2 = try XCTUnwrap(JointChroma.joined([a2]))
        let expected = try XCTUnwrap(JointChroma.joined([JointChroma.halved(a1, blocks: 1), JointChroma.halved(unitA2, blocks: 1)]))
        XCTAssertEqual(halved.rows, 3)
        for (x, y) in zip(halved.storage, expected.storage) { XCTAssertEqual(x, y, accuracy: 1e-6) }
        let pair = JointChroma.halved(a1, blocks: 1)
        var sum = [Float](repeating: 0, count: 12)
        for c in 0..<12 { sum[c] = a1[2, c] + a1[3, c] }
        let norm = sum.reduce(0) { $0 + $1 * $1 }.squareRoot()
        for c in 0..<12 { XCTAssertEqual(pair[1, c], sum[c] / norm, accuracy: 1e-6) }
        XCTAssertEqual(JointChroma.firstBlock(joined).storage.count, a1.storage.count)
        for (x, y) in zip(JointChroma.firstBlock(joined).storage, a1.storage) { XCTAssertEqual(x, y, accuracy: 1e-6) }
    }

    /// An item with `cens` and `crp_coarse` arrays (24 frames at 2 frames/s), or with `cens` alone.
    func storedItem(withCRP: Bool, in dir: URL) throws -> (item: [String: StoredFeature], cens: Matrix, crp: Matrix) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let cens = randomUnitFrames(24, dims: 12, seed: 11), crp = try XCTUnwrap(JointChroma.joined([signedFrames(24, seed: 12)]))
        var features = [CENSEncoder.name: FeatureSequence(values: cens, hopLength: 1, sampleRate: 2)]
        if withCRP { features[CoarseCRPEncoder.name] = FeatureSequence(values: crp, hopLength: 1, sampleRate: 2) }
        guard case .added(let item) = try store.add(key: "item", path: "/item", title: nil, sha256: String(repeating: "d", count: 64),
                                                    analysis: ItemAnalysis(kind: .audio, duration: 12, features: features)) else {
            throw XCTSkip("not added")
        }
        return (try features.keys.reduce(into: [:]) { $0[$1] = try store.feature($1, of: item.id) }, cens, crp)
    }

    /// The query: 8 frames of each array, near item frames 9...16 but not equal.
    func query(cens: Matrix, crp: Matrix) -> SearchQuery {
        func near(_ m: Matrix, seed: UInt64) -> FeatureSequence {
            let noise = randomUnitFrames(8, dims: 12, seed: seed)
            return FeatureSequence(values: Matrix(rows: 8, cols: 12) { r, c in m[9 + r, c] + 0.6 * noise[r, c] }, hopLength: 1, sampleRate: 2)
        }
        return SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 4,
                                                  features: [CENSEncoder.name: near(cens, seed: 13), CoarseCRPEncoder.name: near(crp, seed: 14)]))
    }

    /// One key, one tempo, no relative term: the joint matcher's best score is the textbook subsequence DTW of the
    /// mean cost matrix per query frame (and the same reference on `cens` alone gives the `cens` matcher's), at
    /// least the mean of each array's own best; an item or a query without `crp_coarse` is matched on `cens` alone.
    func testTheJointMatcherIsTheDTWOfTheMeanCostMatrix() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (item, cens, crp) = try storedItem(withCRP: true, in: dir)
        let q = query(cens: cens, crp: crp)
        var base = AudioMatchMatcher(matchesPerItem: 1, relativeWeight: 0)
        base.tempoFactors = [1]
        var joint = CoarseToFineAudioMatcher(base: base, keyShifts: 0, refine: 1)
        joint.joint = [CENSEncoder.name, CoarseCRPEncoder.name]
        XCTAssertEqual(joint.arrays, [CENSEncoder.name])
        XCTAssertEqual(joint.optionalArrays, [CoarseCRPEncoder.name])
        let qc = q.analysis.features[CENSEncoder.name]!.values, qr = q.analysis.features[CoarseCRPEncoder.name]!.values
        let penalty = Double(base.penalty)
        let meanReference = subsequenceDTW(rows: 8, cols: 24, penalty: penalty) { i, j in
            (self.cosineCost(qc, i, cens, j) + self.cosineCost(qr, i, crp, j)) / 2
        } / 8
        let found = try XCTUnwrap(try joint.matches(q, item: item, abandonAbove: .infinity).first)
        XCTAssertEqual(found.score, meanReference, accuracy: 1e-5)

        let censOnly = CoarseToFineAudioMatcher(base: base, keyShifts: 0, refine: 1)
        let censReference = subsequenceDTW(rows: 8, cols: 24, penalty: penalty) { i, j in self.cosineCost(qc, i, cens, j) } / 8
        let censBest = try XCTUnwrap(try censOnly.matches(q, item: item, abandonAbove: .infinity).first).score
        XCTAssertEqual(censBest, censReference, accuracy: 1e-5)
        var crpBase = base
        crpBase.array = CoarseCRPEncoder.name
        let crpBest = try XCTUnwrap(try CoarseToFineAudioMatcher(base: crpBase, keyShifts: 0, refine: 1).matches(q, item: item, abandonAbove: .infinity).first).score
        XCTAssertGreaterThanOrEqual(found.score, (censBest + crpBest) / 2 - 1e-6, "one path for both arrays")

        let dir2 = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir2) }
        let (censItem, _, _) = try storedItem(withCRP: false, in: dir2)
        XCTAssertEqual(try joint.matches(q, item: censItem, abandonAbove: .infinity).map(\.score), [censBest])
        // A query without crp_coarse (an index made before it) is matched on cens alone too.
        var censQuery = q
        censQuery.analysis.features[CoarseCRPEncoder.name] = nil
        XCTAssertEqual(try joint.matches(censQuery, item: item, abandonAbove: .infinity).map(\.score), [censBest])
    }

    /// In every key, with the coarse pass and seven tempi: an excerpt of the item moved up 5 semitones in both
    /// arrays is found at its place at cost 0, and the stage option `joint=true` makes this matcher.
    func testATransposedExcerptIsFoundAndTheOptionBuildsTheJointStage() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (item, cens, crp) = try storedItem(withCRP: true, in: dir)
        func excerpt(_ m: Matrix) -> FeatureSequence {
            FeatureSequence(values: cyclicallyShifted(Matrix(rows: 10, cols: 12) { r, c in m[6 + r, c] }, by: -5), hopLength: 1, sampleRate: 2)
        }
        let q = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 5, features: [CENSEncoder.name: excerpt(cens), CoarseCRPEncoder.name: excerpt(crp)]))
        let spec = StageSpec(stage: "audio-match", options: ["array": "cens,crp_coarse", "joint": "true", "relative_weight": "0"])
        let stage = try XCTUnwrap(try StageRegistry.refrain.cascade([spec], store: try IndexStore.open(at: dir)).stages.first as? ExactStage)
        let matcher = try XCTUnwrap(stage.matcher as? CoarseToFineAudioMatcher)
        XCTAssertEqual(matcher.joint, [CENSEncoder.name, CoarseCRPEncoder.name])
        let best = try XCTUnwrap(try matcher.matches(q, item: item, abandonAbove: .infinity).first)
        XCTAssertEqual(best.score, 0, accuracy: 1e-5)
        XCTAssertEqual(best.start, 3, accuracy: 1e-9, "frame 6 at 2 frames/s")
        var off = spec
        off.options["joint"] = "false"
        XCTAssertTrue(try StageRegistry.refrain.cascade([off], store: try IndexStore.open(at: dir)).stages.first.map { ($0 as? ExactStage)?.matcher is ArrayMeanMatcher } ?? false)
        off.options["joint"] = "yes"
        XCTAssertThrowsError(try StageRegistry.refrain.cascade([off], store: try IndexStore.open(at: dir)))
    }
}

/// Audio matching's first DTW stage reads `cens` and `crp_coarse` joined by default (issue 18, round 13).
final class AudioMatchJointDefaultTests: XCTestCase {
    func testAudioMatchJoinsCENSAndCoarseCRPByDefault() throws {
        let spec = try XCTUnwrap(AudioMatchTask().stages(QueryOptions()).first { $0.stage == "audio-match" })
        XCTAssertEqual(spec.options["array"], "cens,crp_coarse")
        XCTAssertEqual(spec.options["joint"], "true")
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let stage = try XCTUnwrap(try StageRegistry.refrain.cascade([spec], store: store).stages.first as? ExactStage)
        XCTAssertEqual((stage.matcher as? CoarseToFineAudioMatcher)?.joint, [CENSEncoder.name, CoarseCRPEncoder.name])
        XCTAssertEqual(stage.matcher.arrays, [CENSEncoder.name], "crp_coarse is optional")
    }
}
