import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `embedding-nn`'s HNSW graph saved in the index (`EmbeddingGraphFile`) and its exact scan over a subset.
final class EmbeddingGraphFileTests: XCTestCase {
    private let dims = 8
    private var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws {
        EmbeddingDatabases.shared.forget(dir)
        try? FileManager.default.removeItem(at: dir)
    }

    /// An index of `count` audio items, each with a unit `dims`-d embedding (seeded), and those vectors by key.
    private func makeStore(count: Int) throws -> (IndexStore, [String: [Float]]) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1", features: ["frame_rate": "5", "array": "cens"],
                                                                         shingles: nil))
        var vectors: [String: [Float]] = [:]
        var random = SplitMix64(seed: 33)
        for k in 0..<count { vectors["item\(k)"] = unit(&random) }
        for k in 0..<count { try add("item\(k)", vectors["item\(k)"]!, number: k, to: store) }
        return (store, vectors)
    }

    private func unit(_ random: inout SplitMix64) -> [Float] {
        let v = (0..<dims).map { _ in Float(random.uniform(-1...1)) }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return v.map { $0 / norm }
    }

    private func add(_ key: String, _ vector: [Float], number: Int, to store: IndexStore) throws {
        let analysis = ItemAnalysis(kind: .audio, duration: 1,
                                    features: ["embedding": FeatureSequence(values: Matrix(rows: 1, cols: dims, storage: vector), times: [0])])
        try store.add(key: key, path: "/\(key)", title: nil, sha256: String(format: "%064d", number), analysis: analysis)
    }

    private func search(_ q: [Float]) -> SearchQuery {
        SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 1,
                                           features: ["embedding": FeatureSequence(values: Matrix(rows: 1, cols: dims, storage: q), times: [0])]),
                    topK: 10, threads: 1)
    }

    private func distance(_ a: [Float], _ b: [Float]) -> Double {
        Double(zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot())
    }

    private func graphFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent(EmbeddingGraphFile.folder).path)) ?? [])
            .filter { $0.hasSuffix(".hnsw") }.sorted()
    }

    /// The first search on the HNSW path saves the graph; a new process state loads that file (a planted graph
    /// under its name decides the answer, so the file is what was read); after the item set changes the file
    /// no longer matches, is not read, and a new graph replaces it.
    func testSavedGraphIsUsedAndAStaleOneIsRebuilt() throws {
        let (store, vectors) = try makeStore(count: 60)
        var random = SplitMix64(seed: 5)
        let q = unit(&random)
        let candidates = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let exactOrder = vectors.keys.sorted { distance(vectors[$0]!, q) < distance(vectors[$1]!, q) }

        let first = try EmbeddingNNStage(keep: 60, exactBelow: 0).run(search(q), candidates: candidates, store: store)
        XCTAssertEqual(first.map(\.key), exactOrder, "a 60-point graph searched with ef >= 60 is exact")
        let saved = graphFiles()
        XCTAssertEqual(saved.count, 1, "one graph saved: \(saved)")

        // Plant a graph over other vectors (row r holds row 59 - r's vector) under the saved name.
        let ids = candidates.map(\.itemID).sorted()
        let keyOfID = Dictionary(uniqueKeysWithValues: candidates.map { ($0.itemID, $0.key) })
        let rows = ids.map { vectors[keyOfID[$0]!]! }
        let planted = try HNSWGraph(dimension: dims, space: .l2, m: 16, efConstruction: 100, capacity: 60)
        for r in 0..<60 { try planted.add(rows[59 - r], label: UInt64(r)) }
        try planted.save(to: dir.appendingPathComponent(EmbeddingGraphFile.folder).appendingPathComponent(saved[0]))
        let plantedNearestRow = (0..<60).min { distance(rows[59 - $0], q) < distance(rows[59 - $1], q) }!
        let plantedNearest = keyOfID[ids[plantedNearestRow]]!
        XCTAssertNotEqual(plantedNearest, exactOrder[0], "the planted graph must answer differently for the test to mean anything")

        EmbeddingDatabases.shared.forget(dir)
        let fromFile = try EmbeddingNNStage(keep: 1, exactBelow: 0, ef: 100).run(search(q), candidates: candidates, store: store)
        XCTAssertEqual(fromFile.map(\.key), [plantedNearest], "the saved graph is read, not rebuilt")

        // One more item (noticed without forgetting: the catalog's state differs): the planted file is stale,
        // not read, and replaced.
        try add("item60", unit(&random), number: 60, to: store)
        let more = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let rebuilt = try EmbeddingNNStage(keep: 61, exactBelow: 0).run(search(q), candidates: more, store: store)
        let exact = try EmbeddingNNStage(keep: 61, exactBelow: Int.max).run(search(q), candidates: more, store: store)
        XCTAssertEqual(rebuilt.map(\.key), exact.map(\.key), "a rebuilt graph, not the stale one")
        XCTAssertTrue(rebuilt.contains { $0.key == "item60" })
        let now = graphFiles()
        XCTAssertEqual(now.count, 1, "the stale graph was removed: \(now)")
        XCTAssertNotEqual(now.first, saved[0])
    }

    /// The graph's state (its file name) changes with the embedder's weights, the items and their files.
    func testGraphStateCoversWeightsAndItems() {
        func state(_ sha: String?, ids: [Int64] = [1, 2], files: [String] = ["a", "b"]) -> String {
            EmbeddingDatabases.Entry(array: "embedding", ids: ids, vectors: [Float](repeating: 0.5, count: 2 * dims),
                                     dimension: dims, signature: files.map(PackedArrays.fileKey), weightsSHA256: sha).graphState
        }
        XCTAssertEqual(state("e0c9"), state("e0c9"))
        XCTAssertNotEqual(state("e0c9"), state("ffff"))
        XCTAssertNotEqual(state("e0c9"), state(nil))
        XCTAssertNotEqual(state("e0c9"), state("e0c9", ids: [1, 3]))
        XCTAssertNotEqual(state("e0c9"), state("e0c9", files: ["a", "c"]))
    }

    /// The exact scan given a subset of the items keeps the `keep` nearest of that subset only, nearest first,
    /// with their distances.
    func testExactScanOverASubsetKeepsItsNearest() throws {
        let (store, vectors) = try makeStore(count: 60)
        var random = SplitMix64(seed: 9)
        let q = unit(&random)
        let subset = try store.itemKeys().enumerated().filter { $0.offset % 2 == 0 }.map { Candidate(itemID: $0.element.id, key: $0.element.key) }
        let expected = subset.map(\.key).sorted { distance(vectors[$0]!, q) < distance(vectors[$1]!, q) }.prefix(10)
        let kept = try EmbeddingNNStage(keep: 10, exactBelow: Int.max).run(search(q), candidates: subset, store: store)
        XCTAssertEqual(kept.map(\.key), Array(expected))
        for c in kept { XCTAssertEqual(c.score, distance(vectors[c.key]!, q), accuracy: 1e-5) }
    }
}
