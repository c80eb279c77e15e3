import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// Issue 18, round 3: the shingle-vote stage tells tied votes apart by how near the hits were, and the
/// audio-match stage takes its step penalty as an option.
final class ShingleVoteClosenessTests: XCTestCase {
    /// Twelve random items; a short query (one shingle) is a slightly perturbed excerpt of the last one.
    /// With neighbours enough to reach every item, each item gets one vote: the votes tie, and only the
    /// closeness of the hits can put the true item (the highest id, last in id order) first.
    func testTiedVotesKeepTheItemWhoseShingleWasNearest() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences) = try shingledTestStore(at: dir, count: 12, frames: 40, seed: 100)
        try ShingleIndex.rebuild(store)
        let index = try XCTUnwrap(try ShingleIndex.current(in: store))
        var excerpt = sequences[11].rows(15..<25)
        let noise = randomUnitFrames(10, dims: 12, seed: 7)
        for i in excerpt.storage.indices { excerpt.storage[i] = 0.9 * excerpt.storage[i] + 0.1 * noise.storage[i] }
        let query = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 5, features: [
            CENSEncoder.name: FeatureSequence(values: excerpt, hopLength: 1, sampleRate: 2)]))
        let items = try store.items()
        let candidates = items.map { Candidate(itemID: $0.id, key: $0.key, score: 0) }
        var stage = ShingleVoteStage(index: index, keep: 1, neighbours: 400, ef: 400, rotations: 1)
        stage.consistency = 0
        let all = try ShingleVoteStage(index: index, keep: 12, neighbours: 400, ef: 400, rotations: 1).run(query, candidates: candidates, store: store)
        XCTAssertEqual(all.count, 12, "every item is voted for")
        XCTAssertEqual(Set(all.map { (1 - $0.score).rounded() }), [1], "one vote each: the votes alone tie")
        let kept = try stage.run(query, candidates: candidates, store: store)
        XCTAssertEqual(kept.map(\.key), ["item11"])
    }

    func testScoreLetsClosenessBreakTiesOnly() {
        let tiedNear = ShingleVoteStage.score(consistent: 3, closeness: 2.9, shingles: 4)
        let tiedFar = ShingleVoteStage.score(consistent: 3, closeness: 0.5, shingles: 4)
        let moreVotes = ShingleVoteStage.score(consistent: 4, closeness: 0.1, shingles: 4)
        XCTAssertLessThan(tiedNear, tiedFar)
        XCTAssertLessThan(moreVotes, tiedNear, "a consistent vote outweighs any closeness")
    }

    func testAudioMatchReadsItsStepPenalty() throws {
        XCTAssertEqual(try AudioMatchMatcher(spec: StageSpec(stage: "audio-match", options: ["penalty": "0.2"])).penalty, 0.2)
        XCTAssertEqual(try AudioMatchMatcher(spec: StageSpec(stage: "audio-match")).penalty, 0.45)
        XCTAssertThrowsError(try AudioMatchMatcher(spec: StageSpec(stage: "audio-match", options: ["penalty": "-1"])))
    }
}
