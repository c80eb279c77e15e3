import Foundation
import GRDB

extension IndexStore {
    /// A cheap fingerprint of the arrays named `name` (one aggregate query instead of reading every row), for
    /// searches that keep those arrays in memory and must notice when the set changed: their count, the sum
    /// and maximum of their item ids, the maximum and sum of their catalog row ids, and the least and greatest
    /// encoder fingerprint. Adding an item raises the maximum item id (ids are never reused), removing one
    /// lowers the count, and re-encoding replaces an item's rows under new row ids (or, for the newest rows,
    /// the same ones, when the encoder fingerprints then differ, as a completed `reindex` makes them).
    ///
    /// A connection that has seen no commit since it last computed `name`'s state returns that state without
    /// reading the rows again (`CatalogReadCache`).
    public func arraySetState(named name: String) throws -> String {
        try Self.wrap {
            try database.read { db in try catalogReads.value("array set " + name, in: db) { try Self.arraySetState(named: name, in: db) } }
        }
    }

    /// The aggregate behind `arraySetState(named:)`, read through `db`.
    static func arraySetState(named name: String, in db: Database) throws -> String {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT COUNT(*), TOTAL(item_id), MAX(item_id), MAX(rowid), TOTAL(rowid), MIN(encoder), MAX(encoder)
            FROM arrays WHERE name = ?
            """, arguments: [name]) else { return "" }
        let count: Int = row[0], itemSum: Double = row[1], rowSum: Double = row[4]
        let maxItem: Int64? = row[2], maxRow: Int64? = row[3]
        let minEncoder: String? = row[5], maxEncoder: String? = row[6]
        return "\(count) \(itemSum) \(maxItem ?? -1) \(maxRow ?? -1) \(rowSum) \(minEncoder ?? "-") \(maxEncoder ?? "-")"
    }
}
