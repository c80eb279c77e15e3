import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `FourierPatchPooling.max` (issue 18, round 12): every query patch finds its best item patch, and an item
/// scores one minus the mean of those cosines.
final class FourierPatchPoolingTests: XCTestCase {
    /// The scores equal the mean over query patches of the best cosine with the item's patches, computed here in
    /// Double from the patches' definition; the transposed excerpt's own item ranks first, at the excerpt's time.
    func testMaxPoolingScoresTheMeanOfEveryQueryPatchsBestCosine() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences) = try shingledTestStore(at: dir, count: 6, frames: 60, seed: 1200)
        let items = try store.items()
        let candidates = items.map { Candidate(itemID: $0.id, key: $0.key) }
        let query = transposedCENSExcerpt(sequences[2], from: 8, count: 40, shift: 5)
        let ranked = try FourierPatchStage(keep: 6, pooling: .max).run(query, candidates: candidates, store: store)
        XCTAssertEqual(ranked.count, 6)

        let settings = ChromaFourierPatches()
        let chroma = query.analysis.features["cens"]!.values
        let hop = FourierPatchPooling.hop(frames: 40, window: settings.window)
        XCTAssertEqual(hop, FourierPatchPooling.queryHop)
        let queryPatches = chroma.storage.withUnsafeBufferPointer { settings.patches($0, frames: 40, hop: hop) }
        XCTAssertEqual(queryPatches.rows, 13, "starts 0, 2, ..., 24")
        for (k, sequence) in sequences.enumerated() {
            let itemPatches = sequence.storage.withUnsafeBufferPointer { settings.patches($0, frames: 60, hop: settings.itemHop) }
            var sum = 0.0
            for j in 0..<queryPatches.rows {
                var best = -Double.infinity
                for p in 0..<itemPatches.rows {
                    let cosine = (0..<settings.dims).reduce(0.0) { $0 + Double(queryPatches[j, $1]) * Double(itemPatches[p, $1]) }
                    best = max(best, cosine)
                }
                sum += best
            }
            let scored = try XCTUnwrap(ranked.first { $0.key == "item\(k)" })
            XCTAssertEqual(scored.score, 1 - sum / Double(queryPatches.rows), accuracy: 1e-4, "item\(k)")
        }
        XCTAssertEqual(ranked.first?.key, "item2")
        XCTAssertGreaterThan(ranked[0].score, 1e-4, "the odd query patches fall between the item's patches")
        // Query patch 0 is the item's patch at frame 8 exactly: the span starts there (4 s) and covers the query.
        XCTAssertEqual(ranked[0].start ?? -1, 4, accuracy: 1e-9)
        XCTAssertEqual(ranked[0].end ?? -1, 24, accuracy: 1e-9)
        XCTAssertEqual(ranked.map(\.score), ranked.map(\.score).sorted())
        // The median pooling scores otherwise.
        let median = try FourierPatchStage(keep: 6).run(query, candidates: candidates, store: store)
        XCTAssertNotEqual(median.first { $0.key == "item0" }?.score, ranked.first { $0.key == "item0" }?.score)
    }

    /// A long query is read with a wider hop, so that it has at most `maxQueryPatches` patches.
    func testALongQueryHasAtMostTheMaximumNumberOfPatches() {
        let window = ChromaFourierPatches().window
        for frames in [1, 16, 17, 40, 78, 79, 80, 200, 401, 1000, 5000] {
            let hop = FourierPatchPooling.hop(frames: frames, window: window)
            let count = ChromaFourierPatches().starts(frames: frames, hop: hop).count
            XCTAssertGreaterThanOrEqual(hop, FourierPatchPooling.queryHop)
            XCTAssertLessThanOrEqual(count, FourierPatchPooling.maxQueryPatches, "\(frames) frames")
            if frames >= 200 { XCTAssertGreaterThan(count, FourierPatchPooling.maxQueryPatches / 2, "\(frames) frames: spread, not cut") }
        }
    }

    /// The vote's `fourier_pool` and the scan's `pool` choose the pooling; other names are refused.
    func testThePoolingIsAnOptionOfTheVoteAndOfTheScan() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, sequences, candidates) = try votingTestStore(at: dir, seed: 310)
        let query = transposedCENSExcerpt(sequences[4], from: 10, count: 30, shift: 4)
        let scan = try XCTUnwrap(try StageRegistry.refrain.cascade([StageSpec(stage: "fourier-patches", options: ["keep": "12", "pool": "max"])],
                                                                    store: store).stages.first)
        let expected = try FourierPatchStage(keep: 12, pooling: .max).run(query, candidates: candidates, store: store)
        XCTAssertEqual(try scan.run(query, candidates: candidates, store: store).map(\.score), expected.map(\.score))
        XCTAssertNotEqual(try FourierPatchStage(keep: 12).run(query, candidates: candidates, store: store).map(\.score), expected.map(\.score))
        let vote = StageSpec(stage: "shingle-vote", options: ["keep": "3", "neighbours": "5", "ef": "50", "fourier_keep": "2", "fourier_pool": "max"])
        XCTAssertNoThrow(try StageRegistry.refrain.cascade([vote], store: store))
        for (stage, option) in [("fourier-patches", "pool"), ("shingle-vote", "fourier_pool")] {
            XCTAssertThrowsError(try StageRegistry.refrain.cascade([StageSpec(stage: stage, options: ["keep": "3", option: "mean"])], store: store)) {
                XCTAssertTrue(String(describing: $0).contains("median or max"), String(describing: $0))
            }
        }
    }
}
