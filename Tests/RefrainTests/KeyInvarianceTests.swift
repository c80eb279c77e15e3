import Foundation
@testable import Refrain
import RefrainAlign
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The pieces of key invariance: shift-invariant shingle keys, the optimal transposition index, bin
/// shifts of the CQT, and the matcher that tries only the estimated shifts.
final class KeyInvarianceTests: XCTestCase {
    /// Shingles (`rows x length*12`) of random chroma.
    func shingles(_ rows: Int, length: Int, seed: UInt64) -> Matrix {
        let frames = randomUnitFrames(rows * length, dims: 12, seed: seed)
        return Matrix(rows: rows, cols: length * 12, storage: frames.storage)
    }

    /// Every frame of every shingle rotated by `k` pitch classes.
    func transposed(_ shingles: Matrix, by k: Int) -> Matrix {
        let frames = Matrix(rows: shingles.count / 12, cols: 12, storage: shingles.storage)
        return Matrix(rows: shingles.rows, cols: shingles.cols, storage: cyclicallyShifted(frames, by: k).storage)
    }

    func maxDifference(_ a: Matrix, _ b: Matrix) -> Float { zip(a.storage, b.storage).reduce(0) { max($0, abs($1.0 - $1.1)) } }

    func testFourierMagnitudeKeysIgnoreTranspositionAndKeepTheirWidth() {
        let x = shingles(20, length: 12, seed: 3)
        let keys = ShingleTransform.fourierMagnitude.apply(x, length: 12, dims: 12)
        XCTAssertEqual(keys.cols, 12 * 7)
        XCTAssertEqual(ShingleTransform.fourierMagnitude.width(length: 12, dims: 12), 84)
        for k in 1..<12 {
            XCTAssertLessThan(maxDifference(ShingleTransform.fourierMagnitude.apply(transposed(x, by: k), length: 12, dims: 12), keys), 1e-5)
        }
        for r in 0..<keys.rows { XCTAssertEqual(keys.row(r).reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4) }
        // Not invariant to everything: another passage gets another key.
        let other = ShingleTransform.fourierMagnitude.apply(shingles(20, length: 12, seed: 4), length: 12, dims: 12)
        XCTAssertGreaterThan(maxDifference(other, keys), 0.05)
        // The DC term of one shingle equals the sum of its values (before normalisation): check on one constant shingle.
        let flat = Matrix(rows: 1, cols: 24, storage: [Float](repeating: 1, count: 24))
        let key = ShingleTransform.fourierMagnitude.apply(flat, length: 2, dims: 12)
        XCTAssertEqual(key[0, 0], 1, accuracy: 1e-5, "all energy at frequency (0, 0)")
    }

    func testCanonicalKeyRotationIgnoresTranspositionAndOffersAlternatives() {
        let x = shingles(20, length: 6, seed: 8)
        let keys = ShingleTransform.canonicalKey.apply(x, length: 6, dims: 12)
        for k in [1, 5, 11] {
            XCTAssertEqual(maxDifference(ShingleTransform.canonicalKey.apply(transposed(x, by: k), length: 6, dims: 12), keys), 0)
        }
        let variants = ShingleTransform.canonicalKey.queryVariants(x, length: 6, dims: 12, alternatives: 3)
        XCTAssertEqual(variants.count, 3)
        XCTAssertEqual(variants[0], keys)
        XCTAssertNotEqual(variants[1], keys)
        XCTAssertEqual(ShingleTransform.none.queryVariants(x, length: 6, dims: 12, alternatives: 3), [x])
    }

    func testOptimalTranspositionIndexFindsTheShiftGloballyAndLocally() {
        let piece = randomUnitFrames(120, dims: 12, seed: 21)
        for k in [0, 1, 4, 7, 11] {
            let query = cyclicallyShifted(piece, by: -k)  // the query is k semitones below: moving it up by k matches
            let scores = TranspositionEstimate.shiftScores(query: TranspositionEstimate.profile(query), item: piece, window: 1000, hop: 1)
            XCTAssertEqual(TranspositionEstimate.choose(scores, count: 1, margin: 0), [k])
            XCTAssertEqual(scores[k], 1, accuracy: 1e-5)
        }
        // A piece that modulates: its second half is other material a fifth higher. An excerpt of the second
        // half played 2 semitones lower matches its place exactly only when moved up by 2.
        var modulating = randomUnitFrames(100, dims: 12, seed: 30)
        modulating.appendRows(of: cyclicallyShifted(randomUnitFrames(100, dims: 12, seed: 31), by: 7))
        let excerpt = cyclicallyShifted(modulating.rows(130..<170), by: -2)
        let local = TranspositionEstimate.shiftScores(query: TranspositionEstimate.profile(excerpt), item: modulating, window: 40, hop: 10)
        XCTAssertEqual(TranspositionEstimate.choose(local, count: 1, margin: 0), [2])
        XCTAssertEqual(local[2], 1, accuracy: 1e-5)
        XCTAssertEqual(TranspositionEstimate.choose([0.9, 0.2, 0.85, 0.5, 0.1, 0, 0, 0, 0, 0, 0, 0.88], count: 3, margin: 0.06), [0, 11, 2])
        XCTAssertEqual(TranspositionEstimate.choose([0.9, 0.2, 0.85, 0.5, 0.1, 0, 0, 0, 0, 0, 0, 0.88], count: 3, margin: 0.03), [0, 11])
    }

    func testBinShiftMovesCQTFramesAndPicksTheOctaveDirection() {
        let cqt = randomUnitFrames(30, dims: 48, seed: 2)
        let up = binShifted(cqt, by: 3)
        XCTAssertEqual(up[4, 10], cqt[4, 7] / cqt.row(4).prefix(45).reduce(0) { $0 + $1 * $1 }.squareRoot(), accuracy: 1e-5)
        XCTAssertEqual(up[4, 1], 0)
        // A recording 5 semitones above the score (not 7 below): the direction test says +5.
        let item = binShifted(cqt, by: 5)
        XCTAssertEqual(TranspositionEstimate.direction(of: 5, query: cqt, item: item), 5)
        let lower = binShifted(cqt, by: -7)
        XCTAssertEqual(TranspositionEstimate.direction(of: 5, query: cqt, item: lower), -7)
    }

    /// The key-invariant audio matcher finds a transposed excerpt with the score the exhaustive twelve-shift
    /// matcher gives, and in the query's key it equals the plain matcher.
    func testKeyInvariantMatcherEqualsExhaustiveShifts() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = randomUnitFrames(200, dims: 12, seed: 5)
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        guard case .added(let item) = try store.add(key: "item", path: "/item", title: nil, sha256: String(repeating: "e", count: 64),
                                                    analysis: ItemAnalysis(kind: .audio, duration: 100, features: [
                                                        "cens": FeatureSequence(values: database, hopLength: 1, sampleRate: 2)])) else {
            return XCTFail("not added")
        }
        let stored = try store.feature("cens", of: item.id)
        for k in [0, 3, 8] {
            let excerpt = cyclicallyShifted(timeScaled(database.rows(60..<100), by: 1 / 1.12), by: -k)
            let query = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 20,
                                                           features: [CENSEncoder.name: FeatureSequence(values: excerpt, hopLength: 1, sampleRate: 2)]))
            let exhaustive = try AudioMatchMatcher(matchesPerItem: 3, transpositions: 12).prepared(for: query)
                .matches(query, item: [CENSEncoder.name: stored], abandonAbove: .infinity)
            let estimated = try KeyInvariantMatcher(AudioMatchMatcher(matchesPerItem: 3), maxShifts: 2).prepared(for: query)
                .matches(query, item: [CENSEncoder.name: stored], abandonAbove: .infinity)
            XCTAssertEqual(estimated.first?.score ?? 9, exhaustive.first?.score ?? 0, accuracy: 1e-6, "shift \(k)")
            XCTAssertEqual(estimated.first?.start ?? -1, 30, accuracy: 1)
        }
    }

    /// Over the whole item (one window) the scores come from the frames' sum without prefix sums: bit for bit
    /// the element-by-element arithmetic (sum, norm, dot of each shift).
    func testWholeItemShiftScoresEqualTheSumElementByElement() {
        var item = randomUnitFrames(75, dims: 12, seed: 12)
        for c in 0..<12 { item[10, c] = 0 }
        let query = TranspositionEstimate.profile(randomUnitFrames(40, dims: 12, seed: 13))
        var sum = [Float](repeating: 0, count: 12)
        for r in 0..<item.rows { for c in 0..<12 { sum[c] = sum[c] + item[r, c] } }
        var norm: Float = 0
        for c in 0..<12 { norm += sum[c] * sum[c] }
        let expected = (0..<12).map { k -> Float in
            var dot: Float = 0
            for c in 0..<12 { dot += query[c] * sum[(c + k) % 12] }
            return max(-1, dot * (1 / norm.squareRoot()))
        }
        XCTAssertEqual(TranspositionEstimate.shiftScores(query: query, item: item, window: 75, hop: 18), expected)
        XCTAssertEqual(TranspositionEstimate.shiftScores(query: query, item: item, window: 1000, hop: 1), expected)
    }

    /// The inner matcher of `wrapped`, reporting that it reads the CQT (as `RaffelEllisMatcher` does).
    struct ReadingCQT: SequenceMatcher {
        let wrapped: any SequenceMatcher
        var arrays: [String] { wrapped.arrays }
        var optionalArrays: [String] { [CQTBeatsEncoder.name] }
        func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
            try wrapped.matches(query, item: item, abandonAbove: abandonAbove)
        }
    }

    /// The version stage's matcher reads CENS only: prepared for a query that also has a CQT, it makes the twelve
    /// cyclic shifts and no bin-shifted CQTs (one that reads the CQT makes 23), with the same scores for every item.
    func testAMatcherThatReadsNoCQTPreparesTwelveShiftsWithTheSameScores() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let piece = randomUnitFrames(130, dims: 12, seed: 40)
        let pieces = [piece, randomUnitFrames(90, dims: 12, seed: 41), randomUnitFrames(160, dims: 12, seed: 42)]
        let stored = try pieces.enumerated().map { n, values -> StoredFeature in
            guard case .added(let item) = try store.add(key: "item\(n)", path: "/item\(n)", title: nil, sha256: String(repeating: "\(n)", count: 64),
                                                        analysis: ItemAnalysis(kind: .audio, duration: Double(values.rows) / 2, features: [
                                                            "cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)])) else {
                throw XCTSkip("not added")
            }
            return try store.feature("cens", of: item.id)
        }
        let version = cyclicallyShifted(timeScaled(piece, by: 1 / 1.15), by: 3)
        let query = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 60, features: [
            CENSEncoder.name: FeatureSequence(values: version, hopLength: 1, sampleRate: 2),
            CQTBeatsEncoder.name: FeatureSequence(values: randomUnitFrames(version.rows, dims: 48, seed: 43), hopLength: 1, sampleRate: 2)]))
        let plain = try XCTUnwrap(try KeyInvariantMatcher(VersionMatcher(), window: .whole).prepared(for: query) as? KeyInvariantMatcher.Prepared)
        let reading = try XCTUnwrap(try KeyInvariantMatcher(ReadingCQT(wrapped: VersionMatcher()), window: .whole).prepared(for: query)
            as? KeyInvariantMatcher.Prepared)
        XCTAssertEqual(plain.versions.keys.sorted(), Array(0...11))
        XCTAssertNil(plain.queryCQT)
        XCTAssertEqual(reading.versions.count, 23)
        for item in stored {
            let got = try plain.matches(query, item: [CENSEncoder.name: item], abandonAbove: .infinity)
            XCTAssertFalse(got.isEmpty)
            XCTAssertEqual(got, try reading.matches(query, item: [CENSEncoder.name: item], abandonAbove: .infinity))
        }
    }
}
