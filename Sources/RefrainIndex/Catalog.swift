import Foundation
import GRDB
import RefrainMath

/// The SQLite schema of an index catalog and its row mapping.
enum Catalog {
    static func createSchema(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL);
            CREATE TABLE items (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                key TEXT NOT NULL UNIQUE,
                path TEXT NOT NULL,
                title TEXT,
                work TEXT,
                kind TEXT NOT NULL,
                sha256 TEXT NOT NULL,
                duration REAL NOT NULL,
                added_at REAL NOT NULL,
                array_bytes INTEGER NOT NULL);
            CREATE INDEX items_sha256 ON items (sha256);
            CREATE TABLE arrays (
                item_id INTEGER NOT NULL REFERENCES items(id),
                name TEXT NOT NULL,
                file TEXT NOT NULL,
                times_file TEXT,
                frames INTEGER NOT NULL,
                dims INTEGER NOT NULL,
                frame_rate REAL,
                time_offset REAL NOT NULL,
                dtype TEXT NOT NULL DEFAULT 'float32',
                encoder TEXT,
                PRIMARY KEY (item_id, name));
            CREATE INDEX arrays_name ON arrays (name);
            CREATE INDEX items_work ON items (work);
            CREATE TABLE blobs (
                item_id INTEGER NOT NULL REFERENCES items(id),
                name TEXT NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (item_id, name));
            """)
    }

    /// Brings a format 1 catalog (no works, no array types or encoders) to format 2: the new columns are
    /// added with values that describe what format 1 stored (float32 arrays, each item its own work).
    /// Idempotent; runs in the caller's transaction.
    static func migrate(_ db: Database) throws {
        let itemColumns = Set(try db.columns(in: "items").map(\.name))
        if !itemColumns.contains("work") {
            try db.execute(sql: "ALTER TABLE items ADD COLUMN work TEXT")
            try db.execute(sql: "CREATE INDEX IF NOT EXISTS items_work ON items (work)")
        }
        let arrayColumns = Set(try db.columns(in: "arrays").map(\.name))
        if !arrayColumns.contains("dtype") {
            try db.execute(sql: "ALTER TABLE arrays ADD COLUMN dtype TEXT NOT NULL DEFAULT 'float32'")
        }
        if !arrayColumns.contains("encoder") { try db.execute(sql: "ALTER TABLE arrays ADD COLUMN encoder TEXT") }
    }

    static func meta(_ db: Database, _ key: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key])
    }

    static func setMeta(_ db: Database, _ key: String, _ value: String?) throws {
        if let value {
            try db.execute(sql: "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", arguments: [key, value])
        } else {
            try db.execute(sql: "DELETE FROM meta WHERE key = ?", arguments: [key])
        }
    }

    static func items(in db: Database, where condition: String? = nil, _ arguments: StatementArguments = [],
                      limit: Int? = nil, offset: Int = 0) throws -> [IndexedItem] {
        let sql = "SELECT * FROM items" + (condition.map { " WHERE \($0)" } ?? "") + " ORDER BY id"
            + (limit.map { " LIMIT \(max(0, $0)) OFFSET \(max(0, offset))" } ?? "")
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            IndexedItem(id: row["id"], key: row["key"], path: row["path"], title: row["title"], work: row["work"],
                        kind: ItemKind(rawValue: row["kind"]) ?? .features, sha256: row["sha256"],
                        duration: row["duration"], addedAt: row["added_at"], arrayBytes: row["array_bytes"])
        }
    }

    /// The `arrays` rows matching `condition`, by item then name. Columns are looked up once per read, by
    /// position (a name lookup per row and column was most of the cost of reading 500 items' rows); a column a
    /// format 1 catalog lacks (`dtype`, `encoder`) reads as that format's value.
    static func arrays(in db: Database, where condition: String, _ arguments: StatementArguments) throws -> [StoredArrayInfo] {
        let statement = try db.makeStatement(sql: "SELECT * FROM arrays WHERE \(condition) ORDER BY item_id, name")
        let columns = Dictionary(statement.columnNames.enumerated().map { ($1.lowercased(), $0) }) { first, _ in first }
        func at(_ name: String) throws -> Int {
            guard let index = columns[name] else { throw RefrainError(.index, "the catalog's arrays table has no column \(name)") }
            return index
        }
        let (item, name, file, times, frames, dims, rate, offset) = (try at("item_id"), try at("name"), try at("file"),
            try at("times_file"), try at("frames"), try at("dims"), try at("frame_rate"), try at("time_offset"))
        let dtype = columns["dtype"], encoder = columns["encoder"]
        return try Row.fetchAll(statement, arguments: arguments).map { row in
            StoredArrayInfo(itemID: row[item], name: row[name], file: row[file], timesFile: row[times],
                            frames: row[frames], dims: row[dims], frameRate: row[rate], timeOffset: row[offset],
                            dtype: dtype.flatMap { row[$0] as String? }.flatMap(StoredDType.init(rawValue:)) ?? .float32,
                            encoder: encoder.flatMap { row[$0] as String? })
        }
    }
}
