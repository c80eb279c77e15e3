import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

final class AudioMatchMatcherTests: XCTestCase {
    func storedCENS(_ values: Matrix, in dir: URL) throws -> StoredFeature {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let sequence = FeatureSequence(values: values, hopLength: 1, sampleRate: 2)
        guard case .added(let item) = try store.add(key: "item", path: "/item", title: nil, sha256: String(repeating: "e", count: 64),
                                                    analysis: ItemAnalysis(kind: .audio, duration: 100, features: ["cens": sequence])) else {
            throw XCTSkip("not added")
        }
        return try store.feature("cens", of: item.id)
    }

    /// A transposed, slower excerpt is found at its place; the prepared (stacked) matcher gives exactly
    /// what matching every tempo and transposition on its own gives.
    func testFindsTransposedTempoChangedExcerptAndPreparedEqualsOneByOne() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = randomUnitFrames(200, dims: 12, seed: 5)
        let stored = try storedCENS(database, in: dir)
        let excerpt = cyclicallyShifted(timeScaled(database.rows(60..<100), by: 1 / 1.12), by: 3)
        let query = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 20,
                                                       features: [CENSEncoder.name: FeatureSequence(values: excerpt, hopLength: 1, sampleRate: 2)]))
        let matcher = AudioMatchMatcher(matchesPerItem: 3, transpositions: 12)
        let found = try matcher.prepared(for: query).matches(query, item: [CENSEncoder.name: stored], abandonAbove: .infinity)
        let best = try XCTUnwrap(found.first)
        XCTAssertEqual(best.start, 30, accuracy: 1.0, "frame 60 at 2 Hz")
        XCTAssertEqual(best.end, 50, accuracy: 1.5)
        XCTAssertLessThan(best.score, 0.05)

        // The reference: every version matched on its own.
        var reference: [SequenceMatch] = []
        for shift in 0..<12 {
            for factor in matcher.tempoFactors {
                let version = timeScaled(cyclicallyShifted(excerpt, by: shift), by: factor)
                let cost = try CostMatrix.compute(version, database, metric: .cosine)
                for match in try SubsequenceDTW.bestMatches(cost: cost, count: 3, weights: .nonDiagonalPenalty(matcher.penalty)) {
                    reference.append(SequenceMatch(score: Double(match.cost) / Double(version.rows),
                                                   start: Double(match.start) / 2, end: Double(match.end + 1) / 2))
                }
            }
        }
        let expected = AudioMatchMatcher.nonOverlapping(reference, limit: 3)
        XCTAssertEqual(found.count, expected.count)
        for (a, b) in zip(found, expected) {
            XCTAssertEqual(a.score, b.score, accuracy: 1e-5)
            XCTAssertEqual(a.start, b.start)
            XCTAssertEqual(a.end, b.end)
        }
        // A threshold below the best score abandons the item.
        XCTAssertTrue(try matcher.matches(query, item: [CENSEncoder.name: stored], abandonAbove: best.score / 2).isEmpty)
    }
}
