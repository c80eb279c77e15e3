import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `CoarseDTWOrdering` and the vote's `fill_order=coarse` (issue 18, round 14): the items a vote found nothing for
/// fill its keep by a subsequence DTW of the joined `cens` and `crp_coarse` on a quarter of the frame rate.
final class CoarseDTWOrderingTests: XCTestCase {
    /// Random unit frames raised to the 8th power and normalised again: a few strong pitch classes per frame, as in
    /// music, so that frames averaged four at a time do not all tend to the same flat direction.
    func peaked(_ rows: Int, seed: UInt64) -> Matrix {
        var m = randomUnitFrames(rows, dims: 12, seed: seed)
        for r in 0..<rows {
            for c in 0..<12 { m[r, c] = pow(m[r, c], 8) }
            let norm = m.row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<12 { m[r, c] /= norm }
        }
        return m
    }

    /// 10 items of 64 peaked frames with `cens` and `crp_coarse` (item 9: `cens` alone), every one a candidate.
    func jointStore(at dir: URL) throws -> (IndexStore, cens: [Matrix], crp: [Matrix], [Candidate]) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        var cens: [Matrix] = [], crp: [Matrix] = []
        for k in 0..<10 {
            cens.append(peaked(64, seed: 900 + UInt64(k)))
            crp.append(peaked(64, seed: 950 + UInt64(k)))
            var features = [CENSEncoder.name: FeatureSequence(values: cens[k], hopLength: 1, sampleRate: 2)]
            if k < 9 { features[CoarseCRPEncoder.name] = FeatureSequence(values: crp[k], hopLength: 1, sampleRate: 2) }
            try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(repeating: "0", count: 56) + String(format: "%08d", k),
                          analysis: ItemAnalysis(kind: .audio, duration: 32, features: features))
        }
        return (store, cens, crp, try store.items().map { Candidate(itemID: $0.id, key: $0.key) })
    }

    /// Frames `from ..< from + count` of `x`, every pitch class moved up by `shift` semitones, resampled by `tempo`.
    func excerpt(_ x: Matrix, from: Int, count: Int, shift: Int, tempo: Double) -> FeatureSequence {
        let moved = Matrix(rows: count, cols: 12) { r, c in x[from + r, ((c - shift) % 12 + 12) % 12] }
        return FeatureSequence(values: tempo == 1 ? moved : timeScaled(moved, by: tempo), hopLength: 1, sampleRate: 2)
    }

    /// An excerpt of item 7 moved up 3 semitones, in both arrays: item 7 comes first, at cost 0 in the excerpt's tempo
    /// (frames 20..<52: whole pairs of pairs, so the quartered frames are the item's) and still first played 1.41x
    /// slower; every candidate comes back once with scores ascending, and the item without `crp_coarse` and an
    /// unknown one follow in the order they came. A query without `crp_coarse` leaves the order unchanged.
    func testTheItemTheQueryWasCutFromComesFirstInAnyKeyAndTempo() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, cens, crp, candidates) = try jointStore(at: dir)
        let stray = Candidate(itemID: 9_999, key: "stray")
        for tempo in [1.0, 1.41] {
            let query = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 16, features: [
                CENSEncoder.name: excerpt(cens[7], from: 20, count: 32, shift: 3, tempo: tempo),
                CoarseCRPEncoder.name: excerpt(crp[7], from: 20, count: 32, shift: 3, tempo: tempo)]))
            let ordered = try CoarseDTWOrdering().ordered(query, candidates + [stray], store: store)
            XCTAssertEqual(ordered.first?.key, "item7", "tempo \(tempo)")
            if tempo == 1 { XCTAssertEqual(ordered[0].score, 0, accuracy: 1e-5) }
            XCTAssertLessThan(ordered[0].score + 0.05, ordered[1].score, "tempo \(tempo)")
            XCTAssertEqual(ordered.suffix(2).map(\.key), ["item9", "stray"])
            XCTAssertEqual(ordered.count, candidates.count + 1)
            XCTAssertEqual(Set(ordered.map(\.key)), Set((candidates + [stray]).map(\.key)))
            let scores = ordered.dropLast(2).map(\.score)
            XCTAssertEqual(scores, scores.sorted())
            var censOnly = query
            censOnly.analysis.features[CoarseCRPEncoder.name] = nil
            XCTAssertEqual(try CoarseDTWOrdering().ordered(censOnly, candidates, store: store), candidates)
        }
    }

    /// Halving the clock `halvings` times: 64 frames become 32, then 16, each joined block at length 1/sqrt(2).
    func testTheClockIsHalvedPerJoinedBlock() throws {
        let joined = try XCTUnwrap(JointChroma.joined([randomUnitFrames(64, dims: 12, seed: 1), randomUnitFrames(64, dims: 12, seed: 2)]))
        XCTAssertEqual(CoarseDTWOrdering(halvings: 0).coarsened(joined).storage, joined.storage)
        XCTAssertEqual(CoarseDTWOrdering(halvings: 1).coarsened(joined).rows, 32)
        let quarter = CoarseDTWOrdering(halvings: 2).coarsened(joined)
        XCTAssertEqual(quarter.rows, 16)
        for r in 0..<quarter.rows {
            for block in 0..<2 {
                let norm = (0..<12).reduce(Float(0)) { $0 + quarter[r, block * 12 + $1] * quarter[r, block * 12 + $1] }
                XCTAssertEqual(norm, 0.5, accuracy: 1e-5)
            }
        }
    }

    /// The vote's option `fill_order=coarse` names this ordering, its clock halved `fill_halvings` times (default 2);
    /// a negative count is refused.
    func testTheCoarseFillOrderOption() throws {
        func order(_ options: [String: String]) throws -> (any CandidateOrdering)? {
            try StageRegistry.fillOrder(StageSpec(stage: "shingle-vote", options: options))
        }
        XCTAssertEqual((try order(["fill_order": "coarse"]) as? CoarseDTWOrdering)?.halvings, 2)
        XCTAssertEqual((try order(["fill_order": "coarse", "fill_halvings": "3"]) as? CoarseDTWOrdering)?.halvings, 3)
        XCTAssertEqual((try order(["fill_order": "coarse"]) as? CoarseDTWOrdering)?.arrays, [CENSEncoder.name, CoarseCRPEncoder.name])
        XCTAssertThrowsError(try order(["fill_order": "coarse", "fill_halvings": "-1"]))
        XCTAssertEqual((try order(["fill_order": "coarse"]) as? CoarseDTWOrdering)?.maxCandidates, 2_000)
        XCTAssertEqual((try order(["fill_order": "coarse", "fill_limit": "50"]) as? CoarseDTWOrdering)?.maxCandidates, 50)
        XCTAssertThrowsError(try order(["fill_order": "coarse", "fill_limit": "-1"]))
    }

    /// More candidates than `maxCandidates` come back in the order they came (no store read, no DTW); at the limit
    /// they are ordered.
    func testMoreCandidatesThanTheLimitKeepTheirOrder() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, cens, crp, candidates) = try jointStore(at: dir)
        let query = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 16, features: [
            CENSEncoder.name: excerpt(cens[7], from: 20, count: 32, shift: 0, tempo: 1),
            CoarseCRPEncoder.name: excerpt(crp[7], from: 20, count: 32, shift: 0, tempo: 1)]))
        XCTAssertEqual(try CoarseDTWOrdering(maxCandidates: candidates.count - 1).ordered(query, candidates, store: store), candidates)
        XCTAssertEqual(try CoarseDTWOrdering(maxCandidates: candidates.count).ordered(query, candidates, store: store).first?.key, "item7")
    }

    /// Audio matching fills its vote's keep in the coarse DTW's order by default (issue 18, round 14).
    func testAudioMatchingFillsInTheCoarseOrderByDefault() throws {
        let vote = try XCTUnwrap(AudioMatchTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" })
        XCTAssertEqual(vote.options["fill_order"], "coarse")
        XCTAssertTrue(try StageRegistry.fillOrder(vote) is CoarseDTWOrdering)
    }
}
