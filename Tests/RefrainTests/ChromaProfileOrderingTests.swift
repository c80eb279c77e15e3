import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `ChromaProfileOrdering` and the vote's `fill_order` (issue 18, round 13): the items a vote found nothing for
/// fill its keep nearest first, by key profile or by the Fourier patch scan, instead of in catalogue order.
final class ChromaProfileOrderingTests: XCTestCase {
    /// An excerpt of item 7 moved up 3 semitones: item 7 has a window with the same profile in another key, so it
    /// comes first at likeness 1 (score 0); every candidate comes back once, scores ascending, and candidates
    /// without the array (or any candidate, for a query without it) keep the order they came in.
    func testTheItemWithTheQuerysProfileInSomeKeyComesFirst() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences) = try shingledTestStore(at: dir, count: 10, frames: 60, seed: 500)
        let candidates = try store.items().map { Candidate(itemID: $0.id, key: $0.key) }
        let query = transposedCENSExcerpt(sequences[7], from: 20, count: 16, shift: 3)
        let stray = Candidate(itemID: 9_999, key: "stray")
        let ordered = try ChromaProfileOrdering().ordered(query, candidates + [stray], store: store)
        XCTAssertEqual(ordered.first?.key, "item7")
        XCTAssertEqual(ordered[0].score, 0, accuracy: 1e-5)
        XCTAssertGreaterThan(ordered[1].score, 1e-4)
        XCTAssertEqual(ordered.last?.key, "stray")
        XCTAssertEqual(Set(ordered.map(\.key)), Set((candidates + [stray]).map(\.key)))
        XCTAssertEqual(ordered.count, candidates.count + 1)
        let scores = ordered.dropLast().map(\.score)
        XCTAssertEqual(scores, scores.sorted())
        let silent = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 1, features: [:]))
        XCTAssertEqual(try ChromaProfileOrdering().ordered(silent, candidates, store: store), candidates)
    }

    /// Reverses the candidates: the fill must then take the last item without a vote, not the first.
    struct Reversed: CandidateOrdering {
        func ordered(_ query: SearchQuery, _ candidates: [Candidate], store: IndexStore) throws -> [Candidate] { candidates.reversed() }
    }

    /// The vote with `fill=true` and one place left fills it with the ordering's first item without a vote (the
    /// catalogue's first without one when there is no ordering), after the voted items in their order, with score 1.
    func testTheVotesFillTakesTheOrderingsFirstItemWithoutAVote() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _, candidates) = try votingTestStore(at: dir, seed: 300)
        // 12 frames: 3 shingles, each voting for its one nearest item.
        let query = transposedCENSExcerpt(randomUnitFrames(12, dims: 12, seed: 77), from: 0, count: 12, shift: 0)
        func vote(keep: Int, fill: Bool, order: (any CandidateOrdering)?) throws -> [Candidate] {
            var stage = try ShingleVoteStage(spec: StageSpec(stage: "shingle-vote", options: ["neighbours": "1", "ef": "50", "rotations": "1",
                                                                                              "keep": String(keep), "fill": String(fill)]),
                                             store: store)
            stage.fillOrder = order
            return try stage.run(query, candidates: candidates, store: store)
        }
        let voted = try vote(keep: 12, fill: false, order: nil)
        XCTAssertGreaterThan(voted.count, 0)
        XCTAssertLessThanOrEqual(voted.count, 3)
        let unvoted = candidates.filter { c in !voted.contains { $0.itemID == c.itemID } }
        let catalogue = try vote(keep: voted.count + 1, fill: true, order: nil)
        XCTAssertEqual(catalogue.map(\.key), voted.map(\.key) + [unvoted[0].key])
        let ordered = try vote(keep: voted.count + 1, fill: true, order: Reversed())
        XCTAssertEqual(ordered.map(\.key), voted.map(\.key) + [unvoted[unvoted.count - 1].key])
        XCTAssertEqual(ordered.last?.score, 1)
        XCTAssertNil(ordered.last?.start)
        // Places for all: no ordering is asked, the catalogue order stays.
        XCTAssertEqual(try vote(keep: 12, fill: true, order: Reversed()).map(\.key), voted.map(\.key) + unvoted.map(\.key))
    }

    /// The vote's option `fill_order` names the ordering: none for `catalogue` (the default), the scan for `fourier`,
    /// the profile for `profile`; anything else is refused.
    func testTheFillOrderOption() throws {
        func order(_ name: String?) throws -> (any CandidateOrdering)? {
            try StageRegistry.fillOrder(StageSpec(stage: "shingle-vote", options: name.map { ["fill_order": $0] } ?? [:]))
        }
        XCTAssertNil(try order(nil))
        XCTAssertNil(try order("catalogue"))
        XCTAssertTrue(try order("fourier") is FourierPatchStage)
        XCTAssertTrue(try order("profile") is ChromaProfileOrdering)
        XCTAssertThrowsError(try order("random"))
    }
}
