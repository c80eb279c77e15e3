import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `ArrayMeanMatcher` (issue 18, round 10): an item's score is the mean of its best score on each chroma array,
/// its spans those of the array that scored it best; arrays the query or the item lacks are left out, and the
/// early-abandoning bound passed on is exact.
final class ArrayMeanMatcherTests: XCTestCase {
    /// Returns fixed matches (those within `abandonAbove`) for one array, and records the bounds it was given.
    final class Fixed: SequenceMatcher, @unchecked Sendable {
        let array: String
        let found: [SequenceMatch]
        var bounds: [Double] = []
        init(_ array: String, _ found: [(score: Double, start: Double)]) {
            self.array = array
            self.found = found.map { SequenceMatch(score: $0.score, start: $0.start, end: $0.start + 2) }
        }
        var arrays: [String] { [array] }
        func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
            bounds.append(abandonAbove)
            return found.filter { $0.score <= abandonAbove }
        }
    }

    /// One item with a `cens` array and, when asked, a `crp_coarse` array.
    func storedItem(withCRP: Bool, in dir: URL) throws -> [String: StoredFeature] {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let frames = FeatureSequence(values: randomUnitFrames(8, dims: 12, seed: 3), hopLength: 1, sampleRate: 2)
        var features = [CENSEncoder.name: frames]
        if withCRP { features[CoarseCRPEncoder.name] = frames }
        guard case .added(let item) = try store.add(key: "item", path: "/item", title: nil, sha256: String(repeating: "c", count: 64),
                                                    analysis: ItemAnalysis(kind: .audio, duration: 4, features: features)) else {
            throw XCTSkip("not added")
        }
        return try features.keys.reduce(into: [:]) { $0[$1] = try store.feature($1, of: item.id) }
    }

    func query(_ arrays: [String]) -> SearchQuery {
        let frames = FeatureSequence(values: randomUnitFrames(4, dims: 12, seed: 4), hopLength: 1, sampleRate: 2)
        return SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 2, features: Dictionary(uniqueKeysWithValues: arrays.map { ($0, frames) })))
    }

    func testTheMeanOfEachArraysBestWithTheSpansOfTheArrayThatScoredBest() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let item = try storedItem(withCRP: true, in: dir)
        let cens = Fixed(CENSEncoder.name, [(0.2, 1), (0.5, 10)])
        let crp = Fixed(CoarseCRPEncoder.name, [(0.1, 5), (0.3, 20)])
        let matcher = ArrayMeanMatcher([cens, crp])
        XCTAssertEqual(matcher.arrays, [CENSEncoder.name])
        XCTAssertEqual(matcher.optionalArrays, [CoarseCRPEncoder.name])
        let found = try matcher.matches(query([CENSEncoder.name, CoarseCRPEncoder.name]), item: item, abandonAbove: .infinity)
        // crp scored the item best (0.1): its matches, moved so that the best carries the mean (0.15).
        XCTAssertEqual(found.map(\.start), [5, 20])
        XCTAssertEqual(found[0].score, 0.15, accuracy: 1e-12)
        XCTAssertEqual(found[1].score, 0.35, accuracy: 1e-12)
    }

    func testArraysTheQueryOrTheItemLacksAreLeftOut() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let both = try storedItem(withCRP: true, in: dir)
        let matcher = ArrayMeanMatcher([Fixed(CENSEncoder.name, [(0.2, 1)]), Fixed(CoarseCRPEncoder.name, [(0.1, 5)])])
        // The query has no crp_coarse (an index made before it): the first matcher alone.
        let plain = query([CENSEncoder.name])
        let prepared = try XCTUnwrap(try matcher.prepared(for: plain) as? ArrayMeanMatcher)
        XCTAssertEqual(prepared.matchers.count, 1)
        XCTAssertEqual(try prepared.matches(plain, item: both, abandonAbove: .infinity).map(\.score), [0.2])
        // The item has no crp_coarse: likewise.
        let cens = try storedItem(withCRP: false, in: try Fixtures.temporaryDirectory())
        XCTAssertEqual(try matcher.matches(query([CENSEncoder.name, CoarseCRPEncoder.name]), item: cens, abandonAbove: .infinity).map(\.score), [0.2])
    }

    func testAbandonsExactlyWhenTheMeanCannotStayWithinTheBound() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let item = try storedItem(withCRP: true, in: dir)
        let q = query([CENSEncoder.name, CoarseCRPEncoder.name])
        let cens = Fixed(CENSEncoder.name, [(0.2, 1)])
        let crp = Fixed(CoarseCRPEncoder.name, [(0.1, 5)])
        let matcher = ArrayMeanMatcher([cens, crp])
        // Mean 0.15: kept at a bound of 0.15, and the second array may cost at most 2 x 0.15 - 0.2 (plus the
        // rounding slack).
        XCTAssertEqual(try matcher.matches(q, item: item, abandonAbove: 0.15).count, 1)
        XCTAssertEqual(cens.bounds.last ?? 0, 0.3, accuracy: 1e-8)
        XCTAssertEqual(crp.bounds.last ?? 0, 0.1, accuracy: 1e-8)
        // Below the mean: nothing.
        XCTAssertEqual(try matcher.matches(q, item: item, abandonAbove: 0.149).count, 0)
    }

    /// Option `array` of `audio-match`: several names give the mean of both; a name that is not a 12-d chroma
    /// array is refused.
    func testAudioMatchArrayOption() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Engine.create(at: dir)
        let store = try IndexStore.open(at: dir)
        func matcher(_ array: String) throws -> any SequenceMatcher {
            let stage = try StageRegistry.refrain.cascade([StageSpec(stage: "audio-match", options: ["array": array])], store: store).stages.first
            return try XCTUnwrap(stage as? ExactStage).matcher
        }
        let pair = try XCTUnwrap(try matcher("cens, crp_coarse") as? ArrayMeanMatcher)
        XCTAssertEqual(pair.matchers.flatMap(\.arrays), [CENSEncoder.name, CoarseCRPEncoder.name])
        XCTAssertEqual(try matcher("crp_coarse").arrays, [CoarseCRPEncoder.name])
        let plain = try StageRegistry.refrain.cascade([StageSpec(stage: "audio-match")], store: store).stages.first
        XCTAssertEqual(try XCTUnwrap(plain as? ExactStage).matcher.arrays, [CENSEncoder.name])
        for bad in ["melody", "cens,cens", ""] {
            XCTAssertThrowsError(try matcher(bad)) { error in
                XCTAssertTrue("\(error)".contains("audio-match: array must name one or more of"), "\(error)")
            }
        }
    }
}
