import Foundation
import GRDB
@testable import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `CatalogReadCache`: the item list, the items of some kinds and array-set fingerprints are read once per
/// connection until a commit, by this store or by another connection (another process), and what is kept equals
/// what a fresh connection reads.
final class CatalogReadCacheTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func add(_ n: Int, to store: IndexStore) throws {
        let values = TestChroma.sequence(frames: 4, seed: UInt64(n))
        try store.add(key: "k\(n)", path: "/k\(n)", title: nil, sha256: String(format: "%064d", n),
                      analysis: ItemAnalysis(kind: .audio, duration: 2, features: ["cens": FeatureSequence(values: values, times: [0, 0.5, 1, 1.5])]))
    }

    /// What the store answers, as plain values.
    private func reads(_ store: IndexStore) throws -> [String] {
        [try store.arraySetState(named: "cens"), "\(try store.itemKeys().map { "\($0.id) \($0.key)" })",
         "\(try store.itemIDs(kinds: [.audio]).sorted())", "\(try store.itemIDs(kinds: [.midi, .features]).sorted())"]
    }

    /// The same reads through a connection of its own.
    private func freshReads() throws -> [String] {
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(IndexStore.catalogName).path)
        defer { try? queue.close() }
        return try queue.read { db in
            [try IndexStore.arraySetState(named: "cens", in: db),
             "\(try Row.fetchAll(db, sql: "SELECT id, key FROM items ORDER BY id").map { "\($0[0] as Int64) \($0[1] as String)" })",
             "\(try Int64.fetchAll(db, sql: "SELECT id FROM items WHERE kind = 'audio' ORDER BY id"))",
             "\(try Int64.fetchAll(db, sql: "SELECT id FROM items WHERE kind IN ('midi', 'features') ORDER BY id"))"]
        }
    }

    func testReadsAreKeptUntilACommitFromAnyConnection() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        for n in 0..<3 { try add(n, to: store) }
        let first = try reads(store)
        XCTAssertEqual(first, try freshReads())
        let count = store.catalogReads.reads
        for _ in 0..<5 { XCTAssertEqual(try reads(store), first) }
        XCTAssertEqual(store.catalogReads.reads, count, "no commit: nothing read again")

        try add(3, to: store)
        let added = try reads(store)
        XCTAssertEqual(added, try freshReads(), "this store's own commit")
        XCTAssertNotEqual(added[0], first[0])
        XCTAssertNotEqual(added[1], first[1])
        XCTAssertGreaterThan(store.catalogReads.reads, count)

        // Another connection changes the catalog behind the store's back: one item becomes MIDI, another
        // array's encoder fingerprint changes.
        let queue = try DatabaseQueue(path: dir.appendingPathComponent(IndexStore.catalogName).path)
        try queue.write { db in
            try db.execute(sql: "UPDATE items SET kind = 'midi' WHERE id = (SELECT MIN(id) FROM items)")
            try db.execute(sql: "UPDATE arrays SET encoder = 'zzzz' WHERE item_id = (SELECT MAX(item_id) FROM arrays)")
        }
        try queue.close()
        let changed = try reads(store)
        XCTAssertEqual(changed, try freshReads(), "another connection's commit")
        XCTAssertNotEqual(changed[0], added[0])
        XCTAssertNotEqual(changed[2], added[2])
    }
}
