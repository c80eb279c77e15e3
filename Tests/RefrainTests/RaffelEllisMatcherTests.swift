import Foundation
@testable import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

final class RaffelEllisMatcherTests: XCTestCase {
    /// Stores each matrix as the `cqt_beats` array of an item (2 frames per second) and reads them back.
    func stored(_ items: [Matrix], in dir: URL) throws -> [StoredFeature] {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": CQTBeatsEncoder.name], shingles: nil))
        return try items.enumerated().map { k, values in
            let sequence = FeatureSequence(values: values, hopLength: 1, sampleRate: 2)
            guard case .added(let item) = try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(repeating: "\(k)", count: 64),
                                                        analysis: ItemAnalysis(kind: .audio, duration: Double(values.rows) / 2,
                                                                               features: [CQTBeatsEncoder.name: sequence])) else {
                throw RefrainError.invalidArgument("item \(k) not added")
            }
            return try store.feature(CQTBeatsEncoder.name, of: item.id)
        }
    }

    func query(_ values: Matrix) -> SearchQuery {
        SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: Double(values.rows) / 2,
                                           features: [CQTBeatsEncoder.name: FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
    }

    func score(_ matcher: RaffelEllisMatcher, _ q: SearchQuery, _ item: StoredFeature) throws -> Double {
        try XCTUnwrap(try matcher.matches(q, item: [CQTBeatsEncoder.name: item], abandonAbove: .infinity).first).score
    }

    func testFittedResamplesOnlyBeyondFivePercentAndClampsTheFactor() {
        let q = randomUnitFrames(40, dims: 48, seed: 1)
        XCTAssertEqual(RaffelEllisMatcher.fitted(q, to: 41).rows, 40, "2.5 % apart: left alone")
        XCTAssertEqual(RaffelEllisMatcher.fitted(q, to: 60).rows, 60)
        XCTAssertEqual(RaffelEllisMatcher.fitted(q, to: 20).rows, 20)
        XCTAssertEqual(RaffelEllisMatcher.fitted(q, to: 400).rows, 100, "clamped at 2.5x")
        XCTAssertEqual(RaffelEllisMatcher.fitted(q, to: 4).rows, 16, "clamped at 1/2.5")
    }

    func testSilentFramesCostTheMedianOfTheSoundingPairs() throws {
        var a = randomUnitFrames(5, dims: 48, seed: 2), b = randomUnitFrames(6, dims: 48, seed: 3)
        for c in 0..<48 { a[1, c] = 0; b[4, c] = 0 }
        let plain = try CostMatrix.compute(a, b, metric: .cosine)
        var cost = plain
        let returned = RaffelEllisMatcher.neutralizeSilence(&cost, query: a, item: b)
        var sounding: [Float] = []
        for i in 0..<5 where i != 1 { for j in 0..<6 where j != 4 { sounding.append(plain[i, j]) } }
        sounding.sort()
        let median = 0.5 * (sounding[sounding.count / 2 - 1] + sounding[sounding.count / 2])
        for i in 0..<5 {
            for j in 0..<6 {
                XCTAssertEqual(cost[i, j], i == 1 || j == 4 ? median : plain[i, j], "(\(i), \(j))")
            }
        }
        // The returned median is the penalty the alignment uses: the median of the whole changed matrix.
        XCTAssertEqual(returned, median)
        XCTAssertEqual(CostMatrix.median(of: cost), median)
        var untouched = try CostMatrix.compute(randomUnitFrames(5, dims: 48, seed: 2), b.rows(0..<4), metric: .cosine)
        let before = untouched
        XCTAssertNil(RaffelEllisMatcher.neutralizeSilence(&untouched, query: randomUnitFrames(5, dims: 48, seed: 2), item: b.rows(0..<4)))
        XCTAssertEqual(untouched.storage, before.storage, "no silence, no change")
    }

    /// The item's beats were tracked at 2/3 of the score's beat rate: fitting the query's length finds
    /// the piece where the plain alignment, full of penalised steps, prefers another one.
    func testFittingTheLengthAbsorbsAnotherMetricalLevel() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let piece = randomUnitFrames(90, dims: 48, seed: 4)
        let items = try stored([timeScaled(piece, by: 2.0 / 3), randomUnitFrames(60, dims: 48, seed: 5)], in: dir)
        let q = query(piece)
        let fitted = RaffelEllisMatcher(), plain = RaffelEllisMatcher(fitLength: false)
        let fittedScore = try score(fitted, q, items[0]), plainScore = try score(plain, q, items[0])
        XCTAssertLessThan(fittedScore, 0.6 * plainScore, "fitted \(fittedScore), plain \(plainScore)")
        XCTAssertLessThan(fittedScore, try score(fitted, q, items[1]))
    }

    /// A query silent for a third of its beats (an inaudible part) still finds its own recording first,
    /// not a piece that merely has a short silence of its own.
    func testASilentStretchOfTheQueryNeitherHelpsNorHurts() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let piece = randomUnitFrames(60, dims: 48, seed: 6)
        var decoy = randomUnitFrames(60, dims: 48, seed: 7)
        for r in 30..<33 { for c in 0..<48 { decoy[r, c] = 0 } }
        var silent = piece
        for r in 20..<40 { for c in 0..<48 { silent[r, c] = 0 } }
        let items = try stored([piece, decoy], in: dir)
        let matcher = RaffelEllisMatcher()
        let own = try score(matcher, query(silent), items[0]), other = try score(matcher, query(silent), items[1])
        XCTAssertLessThan(own, 0.5 * other, "own \(own), decoy \(other)")
    }

    func testCENSCostIsZeroForTheSameChromaAndGrowsWhenTheOrderIsLost() throws {
        let chroma = randomUnitFrames(40, dims: 12, seed: 8)
        XCTAssertEqual(try RaffelEllisMatcher.censCost(chroma, chroma), 0, accuracy: 1e-5)
        XCTAssertEqual(try RaffelEllisMatcher.censCost(chroma, timeScaled(chroma, by: 1.5)), 0, accuracy: 0.02, "a tempo change costs ~nothing")
        let shuffled = Matrix(rowArrays: (0..<40).map { chroma.row(($0 * 17) % 40) })
        XCTAssertGreaterThan(try RaffelEllisMatcher.censCost(chroma, shuffled), 0.1)
        XCTAssertEqual(try RaffelEllisMatcher.censCost(chroma, Matrix(rows: 0, cols: 12)), 1)
    }

    /// Two items with the same log-CQT (a part played on another instrument blurs the CQT evidence):
    /// the CENS term breaks the tie towards the item whose chroma the query shares; an item without
    /// CENS pays the full weight.
    func testTheCENSTermRanksByChromaWhereTheCQTCannotTell() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": CQTBeatsEncoder.name], shingles: nil))
        let cqt = randomUnitFrames(50, dims: 48, seed: 9), own = randomUnitFrames(50, dims: 12, seed: 10)
        var items: [[String: StoredFeature]] = []
        for (k, cens) in [own, randomUnitFrames(50, dims: 12, seed: 11), nil].enumerated() {
            var features = [CQTBeatsEncoder.name: FeatureSequence(values: cqt, hopLength: 1, sampleRate: 2)]
            if let cens { features[CENSEncoder.name] = FeatureSequence(values: cens, hopLength: 1, sampleRate: 2) }
            guard case .added(let item) = try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(repeating: "\(k)", count: 64),
                                                        analysis: ItemAnalysis(kind: .audio, duration: 25, features: features)) else {
                throw RefrainError.invalidArgument("item \(k) not added")
            }
            items.append(try Dictionary(uniqueKeysWithValues: store.arrays(of: item.id).map { ($0.name, try store.feature($0)) }))
        }
        let q = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 25, features: [
            CQTBeatsEncoder.name: FeatureSequence(values: randomUnitFrames(50, dims: 48, seed: 12), hopLength: 1, sampleRate: 2),
            CENSEncoder.name: FeatureSequence(values: own, hopLength: 1, sampleRate: 2)]))
        func score(_ matcher: RaffelEllisMatcher, _ item: [String: StoredFeature]) throws -> Double {
            try XCTUnwrap(try matcher.matches(q, item: item, abandonAbove: .infinity).first).score
        }
        let plain = RaffelEllisMatcher(censWeight: 0), weighted = RaffelEllisMatcher(censWeight: 2)
        XCTAssertEqual(plain.optionalArrays, [])
        XCTAssertEqual(weighted.optionalArrays, [CENSEncoder.name])
        XCTAssertEqual(try score(plain, items[0]), try score(plain, items[1]), accuracy: 1e-6)
        let cqtOnly = try score(plain, items[0])
        XCTAssertEqual(try score(weighted, items[0]), cqtOnly, accuracy: 1e-4, "the same chroma adds nothing")
        XCTAssertGreaterThan(try score(weighted, items[1]), cqtOnly + 0.2)
        XCTAssertEqual(try score(weighted, items[2]), cqtOnly + 2, accuracy: 1e-4, "no CENS: the full weight")
    }

    /// The CENS term is a lower bound of the score (the CQT term is never negative): an item is dropped
    /// when the bound alone is over the limit, and scored exactly as without a limit otherwise.
    func testTheCENSTermAloneAbandonsHopelessItems() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": CQTBeatsEncoder.name], shingles: nil))
        let features = [CQTBeatsEncoder.name: FeatureSequence(values: randomUnitFrames(50, dims: 48, seed: 21), hopLength: 1, sampleRate: 2),
                        CENSEncoder.name: FeatureSequence(values: randomUnitFrames(50, dims: 12, seed: 22), hopLength: 1, sampleRate: 2)]
        guard case .added(let added) = try store.add(key: "item", path: "/item", title: nil, sha256: String(repeating: "a", count: 64),
                                                     analysis: ItemAnalysis(kind: .audio, duration: 25, features: features)) else {
            return XCTFail("item not added")
        }
        let item = try Dictionary(uniqueKeysWithValues: store.arrays(of: added.id).map { ($0.name, try store.feature($0)) })
        let queryCens = randomUnitFrames(50, dims: 12, seed: 23)
        let q = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 25, features: [
            CQTBeatsEncoder.name: FeatureSequence(values: randomUnitFrames(50, dims: 48, seed: 24), hopLength: 1, sampleRate: 2),
            CENSEncoder.name: FeatureSequence(values: queryCens, hopLength: 1, sampleRate: 2)]))
        let matcher = RaffelEllisMatcher(censWeight: 2)
        let bound = 2 * (try RaffelEllisMatcher.censCost(queryCens, features[CENSEncoder.name]!.values))
        XCTAssertGreaterThan(bound, 0.2)
        let exact = try XCTUnwrap(try matcher.matches(q, item: item, abandonAbove: .infinity).first)
        XCTAssertGreaterThan(exact.score, bound)
        XCTAssertEqual(try matcher.matches(q, item: item, abandonAbove: bound * 0.99), [], "the bound alone is over the limit")
        XCTAssertEqual(try matcher.matches(q, item: item, abandonAbove: bound * 1.01), [exact], "under the bound: scored in full")
    }
}
