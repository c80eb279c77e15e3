import Foundation
import GRDB

/// Catalog reads a search repeats on every query (the item list, the items of some kinds, array-set
/// fingerprints), kept per catalog connection for as long as that connection has seen no commit. SQLite's
/// `PRAGMA data_version` of a connection changes whenever another connection, in this process or another, has
/// committed since its last read, and the connection's total change count whenever it wrote itself; while both
/// stay the same, the catalog holds the rows a value was read from, so it is returned as read. Round 15, perf
/// of the learned cascade at 10,000 items: the two array-set fingerprints a query asks for visit every row of
/// their arrays (about 9 ms each), and the item list and kind filter read every item; the two numbers cost a
/// few microseconds.
final class CatalogReadCache: @unchecked Sendable {
    /// A value and the connection state it was read in. The connection is held weakly, so a closed
    /// connection's entries never match a new connection made at the same address.
    private struct Entry {
        weak var connection: Database?
        let dataVersion: Int
        let changes: Int
        let value: Any
    }

    private var entries: [String: [Entry]] = [:]
    private let lock = NSLock()
    /// Values read (not served from the cache) so far, for tests.
    private(set) var reads = 0

    /// The value of `key` read through `db` (inside the caller's read transaction): the one `make` gave
    /// earlier through the same connection when it has seen no commit since, else `make()`'s, which is kept.
    /// `key` must name everything `make` reads besides the catalog (e.g. the array's name).
    func value<T>(_ key: String, in db: Database, make: () throws -> T) throws -> T {
        let dataVersion = try Int.fetchOne(db, sql: "PRAGMA data_version") ?? 0
        let changes = db.totalChangesCount
        lock.lock()
        let kept = entries[key]?.first { $0.connection === db && $0.dataVersion == dataVersion && $0.changes == changes }?.value as? T
        lock.unlock()
        if let kept { return kept }
        let value = try make()
        lock.lock()
        defer { lock.unlock() }
        reads += 1
        var list = (entries[key] ?? []).filter { $0.connection != nil && $0.connection !== db }
        list.append(Entry(connection: db, dataVersion: dataVersion, changes: changes, value: value))
        entries[key] = list
        return value
    }
}
