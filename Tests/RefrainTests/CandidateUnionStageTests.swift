import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// Issue 20, round 7: `candidate-union` passes on every item any of its source stages kept, once.
final class CandidateUnionStageTests: XCTestCase {
    /// Keeps the candidates whose keys are listed, in the listed order, scored by position.
    struct Picking: SearchStage {
        let name: String
        let keys: [String]
        func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
            keys.enumerated().compactMap { k, key in
                candidates.first { $0.key == key }.map { var c = $0; c.score = Double(k); return c }
            }
        }
    }

    /// Twelve random CENS items with their shingle graph, every item as a candidate, and item 4 as the query.
    func votingFixture(at dir: URL) throws -> (IndexStore, [Candidate], SearchQuery) {
        let (store, sequences, candidates) = try votingTestStore(at: dir, seed: 300)
        let query = FeatureSequence(values: sequences[4], hopLength: 1, sampleRate: 2)
        return (store, candidates, SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 20, features: ["cens": query])))
    }

    func emptyStore(at dir: URL) throws -> IndexStore {
        try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1", features: ["frame_rate": "2", "array": "cens"], shingles: nil))
    }

    /// The first source's ranking, then the later sources' other items in their order; nothing twice, nothing
    /// that no source kept, and only the candidates given.
    func testUnionKeepsWhatAnySourceKeptOnceInSourceOrder() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try emptyStore(at: dir)
        let candidates = (1...6).map { Candidate(itemID: Int64($0), key: "item-\($0)") }
        let union = CandidateUnionStage(sources: [Picking(name: "a", keys: ["item-3", "item-1"]),
                                                  Picking(name: "b", keys: ["item-1", "item-5", "item-9", "item-2"])])
        let query = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 1, features: [:]))
        let kept = try union.run(query, candidates: candidates, store: store)
        XCTAssertEqual(kept.map(\.key), ["item-3", "item-1", "item-5", "item-2"])
        XCTAssertEqual(kept.map(\.score), [0, 1, 1, 3])
        XCTAssertEqual(union.name, "candidate-union")
    }

    /// With `lead` 2 each source's first two come first, source by source (an item both lead with once), then
    /// the rest as without it: the same set. Through the registry `lead` is read and a negative one refused.
    func testLeadListsEverySourcesBestFirst() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try emptyStore(at: dir)
        let candidates = (1...8).map { Candidate(itemID: Int64($0), key: "item-\($0)") }
        let sources = [Picking(name: "a", keys: ["item-3", "item-1", "item-7", "item-8"]),
                       Picking(name: "b", keys: ["item-1", "item-5", "item-6", "item-2"])]
        let query = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 1, features: [:]))
        let plain = try CandidateUnionStage(sources: sources).run(query, candidates: candidates, store: store)
        XCTAssertEqual(plain.map(\.key), ["item-3", "item-1", "item-7", "item-8", "item-5", "item-6", "item-2"])
        let led = try CandidateUnionStage(sources: sources, lead: 2).run(query, candidates: candidates, store: store)
        XCTAssertEqual(led.map(\.key), ["item-3", "item-1", "item-5", "item-7", "item-8", "item-6", "item-2"])
        XCTAssertEqual(Set(led.map(\.itemID)), Set(plain.map(\.itemID)))
        XCTAssertEqual(try CandidateUnionStage(sources: sources, lead: 100).run(query, candidates: candidates, store: store).map(\.key),
                       ["item-3", "item-1", "item-7", "item-8", "item-5", "item-6", "item-2"])
        let spec = StageSpec(stage: "candidate-union", options: ["sources": "kind-filter", "lead": "3"])
        XCTAssertEqual((try StageRegistry.refrain.cascade([spec], store: store).stages.first as? CandidateUnionStage)?.lead, 3)
        XCTAssertThrowsError(try StageRegistry.refrain.cascade([StageSpec(stage: "candidate-union", options: ["lead": "-1"])], store: store))
    }

    /// Through the registry: each source gets the options prefixed with its name (here `shingle-vote.keep`), and
    /// a union of no stage, of itself, of a stage twice or of an unknown stage is refused.
    func testRegistryMakesEachSourceWithItsOwnOptions() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, candidates, query) = try votingFixture(at: dir)
        for keep in [2, 5] {
            let spec = StageSpec(stage: "candidate-union", options: ["sources": "shingle-vote", "shingle-vote.keep": "\(keep)",
                                                                     "shingle-vote.neighbours": "400", "shingle-vote.ef": "400", "keep": "1"])
            let stage = try XCTUnwrap(try StageRegistry.refrain.cascade([spec], store: store).stages.first)
            let kept = try stage.run(query, candidates: candidates, store: store)
            XCTAssertEqual(kept.count, keep)
            let alone = try ShingleVoteStage(spec: StageSpec(stage: "shingle-vote", options: ["keep": "\(keep)", "neighbours": "400", "ef": "400"]),
                                             store: store)
            XCTAssertEqual(kept.map(\.key), try alone.run(query, candidates: candidates, store: store).map(\.key))
        }
        for sources in ["", "candidate-union", "shingle-vote,shingle-vote", "no-such-stage"] {
            XCTAssertThrowsError(try StageRegistry.refrain.cascade([StageSpec(stage: "candidate-union", options: ["sources": sources])], store: store))
        }
    }
}

extension CandidateUnionStageTests {
    /// The learned cascade's first stage unites the default cascade's shingle vote keeping 250, first, with the
    /// embedding (its own default keep; tune half at 10,000 items: 97 of 98 true matches survived with the
    /// embedding alone, 98 with the union; docs/learned-models.md, seventh round); the hash stage lets the vote's
    /// first `hashPass` through.
    func testHashedCascadeUnitesTheEmbeddingWithTheDefaultShingleVote() throws {
        let first = try XCTUnwrap(HashedMIDIToAudioTask().stages(QueryOptions()).first { $0.stage == "candidate-union" })
        XCTAssertEqual(first.options["sources"], "shingle-vote,embedding-nn")
        let hash = try XCTUnwrap(HashedMIDIToAudioTask().stages(QueryOptions()).first { $0.stage == "hash-dtw" })
        XCTAssertEqual(try HashDTWStage(spec: hash).pass, HashedMIDIToAudioTask.hashPass)
        XCTAssertGreaterThan(HashedMIDIToAudioTask.hashPass, 0)
        XCTAssertEqual(first.options["shingle-vote.keep"], "250")
        XCTAssertNil(first.options["embedding-nn.keep"])
        let vote = try XCTUnwrap(MIDIToAudioTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" })
        for (key, value) in vote.options where !["keep", "ef", "neighbours"].contains(key) {
            XCTAssertEqual(first.options["shingle-vote." + key], value, key)
        }
        // A narrower search than the default vote's 200 (twelfth round: the same survival and top-1 on the tune half).
        XCTAssertEqual(vote.options["ef"], "200")
        XCTAssertEqual(first.options["shingle-vote.ef"], "\(HashedMIDIToAudioTask.voteBreadth)")
        XCTAssertEqual(first.options["shingle-vote.neighbours"], "\(HashedMIDIToAudioTask.voteBreadth)")
        XCTAssertLessThan(HashedMIDIToAudioTask.voteBreadth, 200)
        XCTAssertFalse(HashedMIDIToAudioTask().stages(QueryOptions(prune: false)).first { $0.stage == "candidate-union" }?.enabled ?? true)
    }
}
