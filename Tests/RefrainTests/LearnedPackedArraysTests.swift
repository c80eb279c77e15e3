import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The learned pruning stages read their arrays from the index's packs (`IndexStore.packedArrays`): a damaged
/// pack never changes what they keep.
final class LearnedPackedArraysTests: XCTestCase {
    private let dims = 8

    /// 30 audio items in a new index in `dir`, each with a unit embedding and a hash sequence of 20-39 codes
    /// (seeded), and a query.
    private func makeStore(in dir: URL) throws -> (IndexStore, SearchQuery) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1", features: ["frame_rate": "5", "array": "cens"],
                                                                         shingles: nil))
        var random = SplitMix64(seed: 5)
        func analysis(_ kind: ItemKind, frames: Int) throws -> ItemAnalysis {
            let v = (0..<dims).map { _ in Float(random.uniform(-1...1)) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            let codes = (0..<frames).map { _ in UInt16(truncatingIfNeeded: random.next()) }
            return ItemAnalysis(kind: kind, duration: 1,
                                features: ["embedding": FeatureSequence(values: Matrix(rows: 1, cols: dims, storage: v.map { $0 / norm }), times: [0])],
                                codes: ["hashes": try CodeSequence(array: NPYArray(codes, shape: [frames, 1]), times: (0..<frames).map { Double($0) })])
        }
        for k in 0..<30 {
            try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(format: "%064d", k),
                          analysis: analysis(.audio, frames: 20 + k % 20))
        }
        return (store, SearchQuery(analysis: try analysis(.midi, frames: 25), topK: 10, threads: 1))
    }

    private func run(_ store: IndexStore, _ query: SearchQuery) throws -> [[String]] {
        let all = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let nearest = try EmbeddingNNStage(keep: 12, exactBelow: Int.max).run(query, candidates: all, store: store)
        let cheapest = try HashDTWStage(keep: 5).run(query, candidates: all, store: store)
        let cascade = try HashDTWStage(keep: 5).run(query, candidates: nearest, store: store)
        return [nearest, cheapest, cascade].map { $0.map { "\($0.key) \($0.score)" } }
    }

    func testDamagedPacksNeverChangeWhatTheStagesKeep() throws {
        let dir = try Fixtures.temporaryDirectory()
        func forget() {
            EmbeddingDatabases.shared.forget(dir)
            HashDatabases.shared.forget(dir)
        }
        defer {
            forget()
            try? FileManager.default.removeItem(at: dir)
        }
        let (store, query) = try makeStore(in: dir)
        let expected = try run(store, query)
        XCTAssertEqual(expected.map(\.count), [12, 5, 5])
        let folder = dir.appendingPathComponent(PackedArrayFile.folder)
        let packs = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".pack") }.sorted()
        XCTAssertEqual(packs.count, 2, "one pack per array kind: \(packs)")
        for name in packs {
            let url = folder.appendingPathComponent(name)
            var bytes = try Data(contentsOf: url)
            bytes[bytes.count - 2] ^= 0xff  // an element of the last item
            try bytes.write(to: url)
        }
        forget()
        XCTAssertEqual(try run(store, query), expected)
    }
}
