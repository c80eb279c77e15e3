import Foundation
@testable import RefrainIndex
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// An index built with a learned shingle reducer records its weights, answers with them, refuses shingle
/// searches once the program's weights change, and answers again after a rebuild.
final class ShingleReducerTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws {
        ShingleReducerRegistry.shared.uninstall()
        try? FileManager.default.removeItem(at: dir)
    }

    /// A reducer network for 10-frame shingles of 12 values (120 in, 8 out, unit length), seeded.
    private func reducer(seed: UInt64) throws -> LearnedShingleReducer {
        let architecture = Architecture(inputShape: [120], layers: [
            .dense(120, 32, name: "dense1"), .relu, .dense(32, 8, name: "out"), .l2Normalize(),
        ])
        return try LearnedShingleReducer(network: try Network(architecture, seed: seed), sha256: String(repeating: "\(seed % 10)", count: 64))
    }

    private func install(_ reducer: LearnedShingleReducer) {
        ShingleReducerRegistry.shared.install { reducer }
    }

    func testALearnedIndexAnswersAndRefusesOtherWeightsUntilRebuilt() throws {
        let first = try reducer(seed: 1)
        install(first)
        let files = dir.appendingPathComponent("files")
        let matrices = try TestChroma.writeItems(12, to: files, seed: 9)
        let shingles = ShingleSettings(array: "cens", length: 10, hop: 3, dimensions: 16).learned(weights: first.sha256, dimensions: 8)
        let index = dir.appendingPathComponent("idx")
        let store = try IndexStore.create(at: index, settings: TestChroma.settings(shingles: shingles))
        try IndexAdder.add(IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs, to: store, analyzer: TestChroma.analyzer)
        let built = try XCTUnwrap(try ShingleIndex.load(from: store))
        XCTAssertEqual(built.state.reducerSHA256, first.sha256)
        XCTAssertEqual(built.state.pcaFile, "", "a learned index stores no PCA")
        XCTAssertEqual(built.graph.dimension, 8)

        func votes() throws -> [Candidate] {
            let excerpt = matrices[4].rows(15..<45)
            let query = SearchQuery(analysis: ItemAnalysis(kind: .features, duration: 15,
                                                           features: ["cens": FeatureSequence(values: excerpt, hopLength: 1, sampleRate: 2)]), topK: 3)
            let stage = try ShingleVoteStage(spec: StageSpec(stage: "shingle-vote", options: ["keep": "3"]), store: store)
            let candidates = try store.items().map { Candidate(itemID: $0.id, key: $0.key) }
            return try stage.run(query, candidates: candidates, store: store)
        }
        XCTAssertEqual(try votes().first?.key, "item004", "the learned reducer's graph finds the excerpt's item")

        // The program's weights change: shingle searches are refused, naming the rebuild.
        let second = try reducer(seed: 2)
        install(second)
        XCTAssertThrowsError(try votes()) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("refrain index rebuild") ?? false, "\(error)")
        }
        // A rebuild takes the new weights and records them in the settings.
        let rebuilt = try XCTUnwrap(try ShingleIndex.rebuild(store))
        XCTAssertEqual(rebuilt.state.reducerSHA256, second.sha256)
        XCTAssertEqual(try IndexStore.open(at: index).settings.shingles?.reducerWeights, second.sha256)
        let kept = try votes()
        XCTAssertEqual(kept.count, 3)
        XCTAssertTrue(kept.contains { $0.key == "item004" }, "the rebuilt graph keeps the excerpt's item among 3 of 12: \(kept.map(\.key))")
    }

    func testTheLearnedReducerScalesItsInputAndRefusesOtherWidths() throws {
        ShingleReducerRegistry.shared.uninstall()
        let r = try reducer(seed: 3)
        let shingle = TestChroma.sequence(frames: 10, seed: 4).reshaped(rows: 1, cols: 120)
        var sum: Float = 0
        for v in shingle.storage { sum += v * v }
        let norm = sum.squareRoot()
        let unit = shingle.map { $0 / norm }
        let out = try r.reduce(unit)
        XCTAssertEqual(out.cols, 8)
        var length: Float = 0
        for v in out.storage { length += v * v }
        XCTAssertEqual(length, 1, accuracy: 1e-4, "unit-length output")
        XCTAssertThrowsError(try r.reduce(Matrix(rows: 1, cols: 12)))
        XCTAssertEqual(try r.reduce(Matrix(rows: 0, cols: 120)).rows, 0)
        XCTAssertThrowsError(try ShingleReducerRegistry.shared.current(), "nothing installed")
    }
}
