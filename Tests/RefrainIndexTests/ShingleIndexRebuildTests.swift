import Foundation
@testable import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// A shingle rebuild replaces the graph only once the new one is committed, and it never holds every
/// array of the collection mapped at once.
final class ShingleIndexRebuildTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func indexedStore(items: Int) throws -> (URL, [Matrix]) {
        let index = dir.appendingPathComponent("idx")
        let files = dir.appendingPathComponent("files")
        let matrices = try TestChroma.writeItems(items, to: files, seed: 5)
        let store = try IndexStore.create(at: index, settings: TestChroma.settings())
        try IndexAdder.add(IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs, to: store, analyzer: TestChroma.analyzer)
        return (index, matrices)
    }

    func testAFailedRebuildLeavesTheCommittedGraphInPlace() throws {
        let (index, matrices) = try indexedStore(items: 6)
        let store = try IndexStore.open(at: index, writable: true)
        let before = try XCTUnwrap(try ShingleIndex.load(from: store))
        let points = matrices.reduce(0) { $0 + Shingles.starts(frames: $1.rows, length: 10, hop: 3).count }
        XCTAssertEqual(before.graph.count, points)

        // One item's array goes missing on disk: the rebuild fails while reading it.
        let victim = try XCTUnwrap(try store.arrays(named: "cens").last)
        let file = index.appendingPathComponent(victim.file)
        let saved = try Data(contentsOf: file)
        try FileManager.default.removeItem(at: file)
        XCTAssertThrowsError(try ShingleIndex.rebuild(store))
        let kept = try XCTUnwrap(try ShingleIndex.load(from: try IndexStore.open(at: index)), "the old graph is still the catalog's")
        XCTAssertEqual(kept.state.generation, before.state.generation)
        XCTAssertEqual(kept.graph.count, points)

        // With the file back, the rebuild commits a new generation and sweeps the old files.
        try saved.write(to: file)
        let rebuilt = try XCTUnwrap(try ShingleIndex.rebuild(store))
        XCTAssertEqual(rebuilt.state.generation, before.state.generation + 1)
        XCTAssertEqual(rebuilt.graph.count, points)
        XCTAssertEqual(try ShingleIndex.load(from: try IndexStore.open(at: index))?.state.generation, rebuilt.state.generation)
        XCTAssertFalse(FileManager.default.fileExists(atPath: index.appendingPathComponent(before.state.graphFile).path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: index.appendingPathComponent(rebuilt.state.graphFile).path))
    }

    func testTheMappingCacheKeepsAtMostItsCapacityAndRemapsWhatItDropped() throws {
        let (index, matrices) = try indexedStore(items: 5)
        let store = try IndexStore.open(at: index)
        let cache = MappedArrayCache(capacity: 2)
        let infos = try store.arrays(named: "cens")
        XCTAssertEqual(infos.count, 5)
        var mapped: [MappedArray] = []
        for info in infos {
            mapped.append(try cache.array(info.file, in: index.path))
            XCTAssertLessThanOrEqual(cache.count, 2)
        }
        XCTAssertTrue(try cache.array(infos[4].file, in: index.path) === mapped[4], "the newest stays cached")
        let again = try cache.array(infos[0].file, in: index.path)
        XCTAssertFalse(again === mapped[0], "the oldest was dropped and is mapped anew")
        XCTAssertEqual(cache.count, 2)
        for (info, array) in zip(infos, mapped) {
            let item = try XCTUnwrap(try store.items().first { $0.id == info.itemID })
            XCTAssertTrue(array.matrix() == matrices[Int(item.key.dropFirst(4))!])
        }
        XCTAssertTrue(again.matrix() == mapped[0].matrix())
        XCTAssertEqual(MappedArrayCache.defaultCapacity, 16_384)
    }
}
