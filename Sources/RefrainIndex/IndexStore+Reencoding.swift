import Foundation
import GRDB
import RefrainMath

extension IndexStore {
    /// Writes new arrays for an indexed item (its content re-analysed by other encoders), not yet flushed nor
    /// referenced: `commitReplacements` swaps them in.
    public func stageReplacement(of item: IndexedItem, analysis: ItemAnalysis) throws -> StagedItem {
        try requireWritable()
        var staged = StagedItem(key: item.key, path: item.path, title: item.title, work: item.work, sha256: item.sha256,
                                kind: item.kind, duration: item.duration, blobs: analysis.blobs, arrays: [], files: [],
                                bytes: 0)
        staged.arrays = try stageArrays(of: analysis, sha256: item.sha256, into: &staged)
        return staged
    }

    /// Replaces the arrays of each staged item (matched by key) in one transaction after flushing the new
    /// files; the old files are deleted once the catalog no longer names them. A crash before the commit
    /// leaves the old arrays in use and the new files unreferenced (swept on the next writable open).
    public func commitReplacements(_ batch: [StagedItem]) throws {
        try requireWritable()
        guard !batch.isEmpty else { return }
        try DurableFile.syncFiles(batch.flatMap(\.files), under: directory)
        var obsolete: [String] = []
        do {
            try Self.wrap {
                try database.write { db in
                    for staged in batch {
                        guard let item = try Catalog.items(in: db, where: "key = ? AND sha256 = ?", [staged.key, staged.sha256]).first else {
                            throw RefrainError(.index, "item '\(staged.key)' changed or disappeared while it was re-encoded")
                        }
                        for info in try Catalog.arrays(in: db, where: "item_id = ?", [item.id]) {
                            obsolete.append(info.file)
                            if let t = info.timesFile { obsolete.append(t) }
                        }
                        try db.execute(sql: "DELETE FROM arrays WHERE item_id = ?", arguments: [item.id])
                        for info in staged.arrays { try Self.insertArray(info, item: item.id, into: db) }
                        for (name, data) in staged.blobs {
                            try db.execute(sql: "INSERT OR REPLACE INTO blobs (item_id, name, data) VALUES (?, ?, ?)",
                                           arguments: [item.id, name, data])
                        }
                        try db.execute(sql: "UPDATE items SET array_bytes = ? WHERE id = ?", arguments: [staged.bytes, item.id])
                    }
                }
            }
        } catch {
            for file in batch.flatMap(\.files) { unlink(file.path) }
            session.markUnclean()
            throw error
        }
        session.settled(batch.flatMap(\.files))
        clearArrayCache()
        for file in obsolete { unlink(directory.appendingPathComponent(file).path) }
    }

    /// Replaces the recorded settings (after every item was re-encoded to match them).
    public func replaceSettings(_ settings: IndexSettings) throws {
        try requireWritable()
        let json = try settings.json()
        try Self.wrap { try database.write { try Catalog.setMeta($0, "settings", json) } }
    }

    /// Fingerprints of the encoders behind each item's arrays, by item id (nil for arrays written before
    /// encoders were recorded).
    public func arrayEncoders() throws -> [Int64: [String: String?]] {
        try Self.wrap {
            try database.read { db in
                var out: [Int64: [String: String?]] = [:]
                let rows = try Row.fetchCursor(db, sql: "SELECT item_id, name, encoder FROM arrays")
                while let row = try rows.next() { out[row[0], default: [:]][row[1]] = row[2] as String? }
                return out
            }
        }
    }
}
