import Foundation
import GRDB

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
                PRIMARY KEY (item_id, name));
            CREATE INDEX arrays_name ON arrays (name);
            CREATE TABLE blobs (
                item_id INTEGER NOT NULL REFERENCES items(id),
                name TEXT NOT NULL,
                data BLOB NOT NULL,
                PRIMARY KEY (item_id, name));
            """)
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

    static func items(in db: Database, where condition: String? = nil, _ arguments: StatementArguments = []) throws -> [IndexedItem] {
        let sql = "SELECT * FROM items" + (condition.map { " WHERE \($0)" } ?? "") + " ORDER BY id"
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            IndexedItem(id: row["id"], key: row["key"], path: row["path"], title: row["title"],
                        kind: ItemKind(rawValue: row["kind"]) ?? .features, sha256: row["sha256"],
                        duration: row["duration"], addedAt: row["added_at"], arrayBytes: row["array_bytes"])
        }
    }

    static func arrays(in db: Database, where condition: String, _ arguments: StatementArguments) throws -> [StoredArrayInfo] {
        try Row.fetchAll(db, sql: "SELECT * FROM arrays WHERE \(condition) ORDER BY item_id, name", arguments: arguments).map { row in
            StoredArrayInfo(itemID: row["item_id"], name: row["name"], file: row["file"], timesFile: row["times_file"],
                            frames: row["frames"], dims: row["dims"], frameRate: row["frame_rate"],
                            timeOffset: row["time_offset"])
        }
    }
}
