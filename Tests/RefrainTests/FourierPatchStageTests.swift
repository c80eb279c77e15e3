import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `FourierPatchStage` and the vote's `fourier_keep` (issue 18, round 11): a transposed excerpt finds its item
/// by the 2-D Fourier magnitude of CENS patches, and the scan's best items join a shingle vote that missed it.
final class FourierPatchStageTests: XCTestCase {
    /// An excerpt that is one of item 5's patches, transposed by 3 semitones, scores 0 (cosine 1) there at the
    /// patch's time; the other items score worse, only the candidates given are scored, and `keep` cuts.
    func testATransposedExcerptFindsItsItemAndTime() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences) = try shingledTestStore(at: dir, count: 10, frames: 60, seed: 700)
        let items = try store.items()
        let candidates = items.map { Candidate(itemID: $0.id, key: $0.key) }
        let query = transposedCENSExcerpt(sequences[5], from: 24, count: 16, shift: 3)
        let ranked = try FourierPatchStage(keep: 4).run(query, candidates: candidates, store: store)
        XCTAssertEqual(ranked.count, 4)
        XCTAssertEqual(ranked.first?.key, "item5")
        XCTAssertEqual(ranked[0].score, 0, accuracy: 1e-5)
        XCTAssertEqual(ranked[0].start ?? -1, 12, accuracy: 1e-9, "frame 24 at 2 frames/s")
        XCTAssertEqual(ranked[0].end ?? -1, 20, accuracy: 1e-9)
        XCTAssertGreaterThan(ranked[1].score, 0.001)
        XCTAssertEqual(ranked.map(\.score), ranked.map(\.score).sorted())
        // Without item 5 among the candidates, it is not returned.
        let others = try FourierPatchStage(keep: 20).run(query, candidates: candidates.filter { $0.key != "item5" }, store: store)
        XCTAssertEqual(others.count, 9)
        XCTAssertFalse(others.contains { $0.key == "item5" })
        // A query without 12-d CENS passes nothing on.
        XCTAssertEqual(try FourierPatchStage().run(SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 1, features: [:])),
                                                   candidates: candidates, store: store), [])
    }

    /// The table is derived once per item set: an item added later is scored by the next search.
    func testTheTableFollowsTheIndexItems() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 3, frames: 40, seed: 900)
        let query = transposedCENSExcerpt(randomUnitFrames(40, dims: 12, seed: 950), from: 8, count: 20, shift: 7)
        let before = try FourierPatchStage().run(query, candidates: try store.items().map { Candidate(itemID: $0.id, key: $0.key) }, store: store)
        XCTAssertEqual(before.count, 3)
        try store.add(key: "late", path: "/late", title: nil, sha256: String(repeating: "1", count: 64),
                      analysis: ItemAnalysis(kind: .audio, duration: 20,
                                             features: ["cens": FeatureSequence(values: randomUnitFrames(40, dims: 12, seed: 950), hopLength: 1, sampleRate: 2)]))
        let after = try FourierPatchStage().run(query, candidates: try store.items().map { Candidate(itemID: $0.id, key: $0.key) }, store: store)
        XCTAssertEqual(after.count, 4)
        XCTAssertEqual(after.first?.key, "late")
    }

    /// The derived table holds each item's patches at their starts, is saved in the index's `packs/`, and a
    /// later load reads that file (shown by changing its values) until the patch settings differ.
    func testTheTableIsSavedInTheIndexAndReadBack() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences) = try shingledTestStore(at: dir, count: 3, frames: 30, seed: 40)
        let settings = ChromaFourierPatches()
        let table = try FourierPatchTables.load("cens", settings: settings, of: store, threads: 1)
        XCTAssertEqual(table.offsets, [0, 4, 8, 12])
        XCTAssertEqual(Array(table.starts.prefix(4)), [0, 4, 8, 12])
        let ids = try store.items().map(\.id)
        for (k, sequence) in sequences.enumerated() {
            let expected = sequence.storage.withUnsafeBufferPointer { settings.patches($0, frames: 30, hop: settings.itemHop) }
            let at = try XCTUnwrap(table.position[ids[k]])
            XCTAssertEqual(Array(table.patches[(table.offsets[at] * 60)..<(table.offsets[at + 1] * 60)]), expected.storage)
        }
        let folder = dir.appendingPathComponent(PackedArrayFile.folder)
        let saved = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("cens_fourier-") }
        XCTAssertEqual(saved.count, 1)
        // Rewrite the saved pack with every value halved, under the same name and state: the next load reads it.
        let state = PackedArrayFile.state(array: "cens_fourier", setState: try store.arraySetState(named: "cens") + " " + settings.signature)
        let pack = try PackedArrayFile.read(folder.appendingPathComponent(saved[0]), state: state)
        let halved = table.patches.map { $0 / 2 }
        try PackedArrayFile.save(try PackedArrays(dtype: .float32, dims: 60, ids: pack.ids, fileKeys: pack.fileKeys, offsets: pack.offsets,
                                                  bytes: halved.withUnsafeBytes { Array($0) }), array: "cens_fourier", state: state, in: dir)
        XCTAssertEqual(try FourierPatchTables.load("cens", settings: settings, of: store, threads: 1).patches, halved)
        var other = settings
        other.rows = 3
        let derived = try FourierPatchTables.load("cens", settings: other, of: store, threads: 1)
        XCTAssertEqual(derived.patches.count, 12 * 36)
        XCTAssertNotEqual(try FourierPatchTables.load("cens", settings: settings, of: store, threads: 1).patches, halved,
                          "the other settings' pack replaced it, so these are derived again")
    }

    /// With `fourier_keep`, the vote stage (still named `shingle-vote`) passes on the scan's best items too: an
    /// excerpt transposed by 4 semitones gets no vote for its item from untransposed shingles, and the scan adds it.
    func testTheVoteGainsTheScansBestItems() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences, candidates) = try votingTestStore(at: dir, seed: 300)
        let query = transposedCENSExcerpt(sequences[4], from: 10, count: 30, shift: 4)
        func vote(_ options: [String: String]) throws -> any SearchStage {
            let spec = StageSpec(stage: "shingle-vote", options: ["keep": "3", "neighbours": "5", "ef": "50"].merging(options) { $1 })
            return try XCTUnwrap(try StageRegistry.refrain.cascade([spec], store: store).stages.first)
        }
        let alone = try vote([:]).run(query, candidates: candidates, store: store)
        XCTAssertFalse(alone.contains { $0.key == "item4" })
        let stage = try vote(["fourier_keep": "2"])
        XCTAssertEqual(stage.name, "shingle-vote")
        let joined = try stage.run(query, candidates: candidates, store: store)
        XCTAssertEqual(Array(joined.prefix(alone.count)).map(\.key), alone.map(\.key), "the vote's items first, in its order")
        XCTAssertTrue(joined.contains { $0.key == "item4" })
        XCTAssertLessThanOrEqual(joined.count, alone.count + 2)
        XCTAssertEqual(Set(joined.map(\.key)).count, joined.count)
        for bad in ["-1", "x"] {
            let spec = StageSpec(stage: "shingle-vote", options: ["keep": "3", "fourier_keep": bad])
            XCTAssertThrowsError(try StageRegistry.refrain.cascade([spec], store: store), bad)
        }
        XCTAssertThrowsError(try StageRegistry.refrain.cascade([StageSpec(stage: "fourier-patches", options: ["keep": "0"])], store: store))
        let scan = try XCTUnwrap(try StageRegistry.refrain.cascade([StageSpec(stage: "fourier-patches", options: ["keep": "1"])], store: store).stages.first)
        XCTAssertEqual(try scan.run(query, candidates: candidates, store: store).map(\.key), ["item4"])
    }

    /// Audio matching's vote is joined by the scan's best 20 by default; MIDI to audio's and version
    /// identification's are not.
    func testAudioMatchJoinsTheScansBestTwentyByDefault() throws {
        XCTAssertEqual(AudioMatchTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" }?.options["fourier_keep"], "20")
        XCTAssertNil(MIDIToAudioTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" }?.options["fourier_keep"])
        XCTAssertNil(VersionTask().stages(QueryOptions()).first { $0.stage == "shingle-vote" }?.options["fourier_keep"])
    }
}

/// The scan as an order (`CandidateOrdering`, issue 18, round 13): every candidate, the excerpt's item first,
/// whatever `keep` says; candidates without patches follow in the order they came.
final class FourierPatchOrderingTests: XCTestCase {
    func testTheScanOrdersEveryCandidate() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences) = try shingledTestStore(at: dir, count: 10, frames: 60, seed: 700)
        let candidates = try store.items().map { Candidate(itemID: $0.id, key: $0.key) } + [Candidate(itemID: 9_999, key: "stray")]
        let query = transposedCENSExcerpt(sequences[8], from: 24, count: 16, shift: 3)
        let ordered = try FourierPatchStage(keep: 2).ordered(query, candidates, store: store)
        XCTAssertEqual(ordered.count, candidates.count)
        XCTAssertEqual(ordered.first?.key, "item8")
        XCTAssertEqual(ordered.last?.key, "stray")
        XCTAssertEqual(Set(ordered.map(\.key)).count, candidates.count)
    }
}
