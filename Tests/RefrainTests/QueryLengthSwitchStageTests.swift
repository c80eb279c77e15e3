import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// Issue 18, round 6: short audio-match queries vote wider (more rotations, more items kept) than long ones.
final class QueryLengthSwitchStageTests: XCTestCase {
    /// A CENS-like query of `frames` random frames at 2 frames/s.
    func query(frames: Int, seed: UInt64) -> SearchQuery {
        SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: Double(frames) / 2, features: [
            CENSEncoder.name: FeatureSequence(values: randomUnitFrames(frames, dims: 12, seed: seed), hopLength: 1, sampleRate: 2)]))
    }

    /// Answers with one candidate named after itself.
    struct Named: SearchStage {
        let name: String
        func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
            [Candidate(itemID: 1, key: name)]
        }
    }

    func testQueriesShorterThanTheLimitRunTheShortStage() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let stage = QueryLengthSwitchStage(short: Named(name: "short"), long: Named(name: "long"), frames: 22)
        XCTAssertEqual(try stage.run(query(frames: 21, seed: 1), candidates: [], store: store).map(\.key), ["short"])
        XCTAssertEqual(try stage.run(query(frames: 22, seed: 2), candidates: [], store: store).map(\.key), ["long"])
        XCTAssertEqual(stage.name, "long")
    }

    /// Through the stage registry: with `short_frames`, a query below it keeps `short_keep` items and one at
    /// or above it `keep`; every item is within reach of the votes (neighbours 400 over 12 items).
    func testTheVoteStageKeepsMoreItemsForShortQueries() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _, candidates) = try votingTestStore(at: dir, seed: 200)
        let spec = StageSpec(stage: "shingle-vote", options: ["keep": "2", "neighbours": "400", "ef": "400", "consistency": "0",
                                                              "short_frames": "30", "short_keep": "5", "short_rotations": "3"])
        let cascade = try StageRegistry.refrain.cascade([spec], store: store)
        let stage = try XCTUnwrap(cascade.stages.first)
        XCTAssertEqual(try stage.run(query(frames: 20, seed: 3), candidates: candidates, store: store).count, 5)
        XCTAssertEqual(try stage.run(query(frames: 40, seed: 4), candidates: candidates, store: store).count, 2)
        var bad = spec
        bad.options["short_keep"] = "0"
        XCTAssertThrowsError(try StageRegistry.refrain.cascade([bad], store: store))
    }

    /// Audio matching's default vote: under 22 frames, 4 rotations and 1.5 times the items kept.
    func testAudioMatchVotesWiderForExcerptsUnderTenSeconds() throws {
        let vote = try XCTUnwrap(AudioMatchTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" })
        XCTAssertEqual(vote.options["short_frames"], "22")
        XCTAssertEqual(vote.options["short_rotations"], "4")
        XCTAssertEqual(vote.options["short_keep"], "300")
        XCTAssertEqual(AudioMatchTask().stages(QueryOptions(keep: 100)).first?.options["short_keep"], "150")
        XCTAssertNil(MIDIToAudioTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" }?.options["short_frames"])
    }
}
