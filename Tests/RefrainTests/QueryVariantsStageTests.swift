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

final class QueryVariantsStageTests: XCTestCase {
    /// Scores item `k` 0 when the query version has `wanted[k].rows` frames, its first frame peaks at
    /// pitch class `wanted[k].peak`, and it kept the query's frame rate; worse otherwise.
    struct Probe: SearchStage {
        let name = "probe"
        let wanted: [Int64: (rows: Int, peak: Int)]
        let rate: Double

        func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
            let cens = query.analysis.features[CENSEncoder.name]!
            let first = cens.values.row(0)
            let peak = first.indices.max { first[$0] < first[$1] }!
            return candidates.map { candidate in
                var scored = candidate
                let want = wanted[candidate.itemID]!
                scored.score = Double(abs(cens.frameCount - want.rows)) + (peak == want.peak ? 0 : 10)
                    + (abs(cens.frameRate - rate) < 1e-9 ? 0 : 100)
                return scored
            }
        }
    }

    func testEachItemGetsItsBestTempoAndTransposition() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        var values = randomUnitFrames(40, dims: 12, seed: 9)
        for c in 0..<12 { values[0, c] = c == 5 ? 1 : 0 }
        let query = SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 20,
                                                       features: [CENSEncoder.name: FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
        let probe = Probe(wanted: [1: (50, 5), 2: (32, 8), 3: (40, 0)], rate: 2)
        let candidates = (1...3).map { Candidate(itemID: Int64($0), key: "item\($0)") }
        let stage = QueryVariantsStage(probe, shifts: 12, tempi: [0.8, 1, 1.25], keep: 2)
        let out = try stage.run(query, candidates: candidates, store: store)
        XCTAssertEqual(out.map(\.itemID), [1, 2], "slower by 1.25, and 0.8 times shifted by 3; the third is cut by keep")
        XCTAssertEqual(out.map(\.score), [0, 0])
        let unchanged = try QueryVariantsStage(probe, shifts: 1, tempi: [1], keep: 3).run(query, candidates: candidates, store: store)
        XCTAssertEqual(unchanged.map(\.score), try probe.run(query, candidates: candidates, store: store).map(\.score))
    }
}
