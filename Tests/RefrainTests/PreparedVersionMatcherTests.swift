import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `PreparedVersionMatcher` (the version stage's query side made once per item length) against the plain
/// `VersionMatcher.matches`, which makes it for every item: the same matches bit for bit, alone, in every key
/// (`KeyInvariantMatcher`) and as the stage that keeps the best (`KeepBestStage` over `ExactStage`).
final class PreparedVersionMatcherTests: XCTestCase {
    /// `VersionMatcher` without its preparation (the protocol's default `prepared(for:)`, itself): the plain path.
    struct Unprepared: SequenceMatcher {
        let inner: VersionMatcher
        var arrays: [String] { inner.arrays }
        func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
            try inner.matches(query, item: item, abandonAbove: abandonAbove)
        }
    }

    func query(_ values: Matrix) -> SearchQuery {
        SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: Double(values.rows) / 2,
                                           features: [CENSEncoder.name: FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
    }

    /// Items of lengths that repeat, short ones (no halving) and long ones, stored as CENS at 2 Hz.
    func storedItems(in dir: URL) throws -> (IndexStore, [Candidate], [StoredFeature]) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let lengths = [30, 40, 120, 120, 121, 200, 200, 60, 47, 300, 120, 1]
        var candidates: [Candidate] = [], features: [StoredFeature] = []
        for (n, rows) in lengths.enumerated() {
            let values = randomUnitFrames(rows, dims: 12, seed: UInt64(100 + n))
            guard case .added(let item) = try store.add(key: "item\(n)", path: "/item\(n)", title: nil,
                                                        sha256: String(format: "%064d", n),
                                                        analysis: ItemAnalysis(kind: .audio, duration: Double(rows) / 2, features: [
                                                            "cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)])) else {
                throw XCTSkip("not added")
            }
            candidates.append(Candidate(itemID: item.id, key: "item\(n)"))
            features.append(try store.feature("cens", of: item.id))
        }
        return (store, candidates, features)
    }

    func testPreparedMatchesEqualThePlainOnes() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (_, _, features) = try storedItems(in: dir)
        for frames in [100, 20, 130] {
            let q = query(randomUnitFrames(frames, dims: 12, seed: UInt64(frames)))
            for settings in [VersionMatcher(), VersionMatcher(bandFraction: 0.2, relativeWeight: 0.5, penalty: 0.3)] {
                let prepared = try settings.prepared(for: q)
                XCTAssertTrue(prepared is PreparedVersionMatcher)
                let plainScores = try features.map { try settings.matches(q, item: [CENSEncoder.name: $0], abandonAbove: .infinity) }
                let finite = plainScores.compactMap { $0.first?.score }.sorted()
                // Twice over each item (the second time from the table), without and with abandoning.
                for limit in [Double.infinity, finite[finite.count / 2]] {
                    for _ in 0..<2 {
                        for feature in features {
                            let item = [CENSEncoder.name: feature]
                            XCTAssertEqual(try prepared.matches(q, item: item, abandonAbove: limit),
                                           try settings.matches(q, item: item, abandonAbove: limit), "query \(frames), item \(feature.values.frames), limit \(limit)")
                        }
                    }
                }
            }
        }
        // The raffel method has nothing to prepare.
        let raffel = VersionMatcher(method: "raffel")
        XCTAssertFalse(try raffel.prepared(for: query(randomUnitFrames(50, dims: 12, seed: 3))) is PreparedVersionMatcher)
    }

    /// The version stage as the learned cascade runs it (every key, keep the best 3, pass the first 2) keeps the
    /// same items with the same scores as the plain matcher, on one thread and on two.
    func testTheKeepingStageKeepsWhatThePlainOneKeeps() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, candidates, _) = try storedItems(in: dir)
        for frames in [110, 25] {
          for threads in [1, 2] {
            var q = query(randomUnitFrames(frames, dims: 12, seed: UInt64(7 * frames)))
            q.threads = threads
            let prepared = KeepBestStage(ExactStage(name: "version", matcher: KeyInvariantMatcher(VersionMatcher(), window: .whole)), keep: 3, pass: 2)
            let plain = KeepBestStage(ExactStage(name: "version", matcher: KeyInvariantMatcher(Unprepared(inner: VersionMatcher()), window: .whole)),
                                      keep: 3, pass: 2)
            // On two threads the passed items' scores depend on which of them were abandoned (timing): compare the kept 3.
            let count = threads == 1 ? Int.max : 3
            let got = try prepared.run(q, candidates: candidates, store: store).prefix(count)
            let expected = try plain.run(q, candidates: candidates, store: store).prefix(count)
            XCTAssertEqual(got.map(\.key), expected.map(\.key), "query \(frames), threads \(threads)")
            XCTAssertEqual(got.map(\.score), expected.map(\.score), "query \(frames), threads \(threads)")
          }
        }
    }
}
