import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

final class SearchCascadeTests: XCTestCase {
    func testExcerptFoundWithAndWithoutPruningAndUncoveredItemsPassThrough() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = dir.appendingPathComponent("files")
        let matrices = try TestChroma.writeItems(30, to: files, seed: 3)
        let store = try IndexStore.create(at: dir.appendingPathComponent("idx"), settings: TestChroma.settings())
        let jobs = IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs
        try IndexAdder.add(jobs, to: store, analyzer: TestChroma.analyzer)
        let shingles = try XCTUnwrap(try ShingleIndex.load(from: store))
        let expectedPoints = matrices.reduce(0) { $0 + Shingles.starts(frames: $1.rows, length: 10, hop: 3).count }
        XCTAssertEqual(shingles.graph.count, expectedPoints)

        func query(_ m: Matrix, _ range: Range<Int>) -> SearchQuery {
            let excerpt = m.rows(range)
            return SearchQuery(analysis: ItemAnalysis(kind: .features, duration: Double(excerpt.rows) / 2,
                                                      features: ["cens": FeatureSequence(values: excerpt, hopLength: 1, sampleRate: 2)]), topK: 5)
        }
        let registry = StageRegistry.standard
        let pruned = try registry.cascade(QueryEngine.defaultSpecs(for: store.settings, prune: true, keep: 5), store: store)
        let exhaustive = try registry.cascade(QueryEngine.defaultSpecs(for: store.settings, prune: false), store: store)
        XCTAssertEqual(pruned.stages.map(\.name), ["shingle-vote", "exact"])
        XCTAssertEqual(exhaustive.stages.map(\.name), ["exact"])
        for target in [0, 7, 19] {
            let q = query(matrices[target], 20..<50)
            let a = try pruned.search(q, store: store)
            let b = try exhaustive.search(q, store: store)
            let key = String(format: "item%03d", target)
            XCTAssertEqual(a.ranking.first?.key, key)
            XCTAssertEqual(b.ranking.first?.key, key)
            XCTAssertEqual(a.ranking.first!.score, 0, accuracy: 1e-6)
            XCTAssertEqual(a.ranking.first!.start!, 10, accuracy: 1e-9)  // frame 20 at 2 frames/s
            XCTAssertEqual(a.ranking.first!.end!, 25, accuracy: 1e-9)
            XCTAssertEqual(a.trace[0].output, 5, "shingle stage keeps 5 of 30")
            XCTAssertEqual(b.trace[0].input, 30)
        }
        // An item added without updating the graph is still searchable through the pruned cascade.
        let late = TestChroma.sequence(frames: 80, seed: 777)
        let lateFile = dir.appendingPathComponent("late.npy")
        try NPY.write(late, to: lateFile)
        try IndexAdder.add([AddJob(key: "late", url: lateFile)], to: store, analyzer: TestChroma.analyzer, updateShingles: false)
        let stale = try registry.cascade(QueryEngine.defaultSpecs(for: store.settings, prune: true, keep: 5), store: store)
        let found = try stale.search(query(late, 30..<60), store: store)
        XCTAssertEqual(found.ranking.first?.key, "late")
        XCTAssertEqual(found.trace[0].output, 6, "5 voted + 1 not yet in the graph")
        // Updating adds just the new item's shingles.
        let updated = try XCTUnwrap(try ShingleIndex.update(store))
        XCTAssertEqual(updated.graph.count, expectedPoints + Shingles.starts(frames: 80, length: 10, hop: 3).count)
        XCTAssertEqual(updated.state.generation, shingles.state.generation + 1)
        XCTAssertThrowsError(try registry.cascade([StageSpec(stage: "no-such-stage")], store: store))
    }
}
