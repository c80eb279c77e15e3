import Foundation
import GRDB
import RefrainMath

/// An analysed file whose arrays are on disk under their final names but not yet flushed nor referenced
/// by the catalog: `IndexStore.commit` makes a batch of them durable and visible at once. Until then a
/// crash leaves only unreferenced files, which the next writer sweeps.
public struct StagedItem: Sendable {
    public var key: String
    public var path: String
    public var title: String?
    /// The work the item belongs to (nil: its own).
    public var work: String?
    public var sha256: String
    public var kind: ItemKind
    public var duration: Double
    var blobs: [String: Data]
    var arrays: [StoredArrayInfo]
    /// The files written for this item, absolute.
    public internal(set) var files: [URL]
    var bytes: Int64
}

extension IndexStore {
    /// What `add` did.
    public enum AddOutcome: Sendable, Equatable {
        /// A new item.
        case added(IndexedItem)
        /// The same content is already indexed (under this or another key): nothing changed.
        case unchanged(IndexedItem)
    }

    /// Stores one analysed file durably on its own: `stage` then `commit`. Re-adding content already
    /// present (same SHA-256) is a no-op; a key already naming other content is refused.
    @discardableResult
    public func add(key: String, path: String, title: String?, work: String? = nil, sha256: String,
                    analysis: ItemAnalysis) throws -> AddOutcome {
        if let existing = try item(sha256: sha256) { return .unchanged(existing) }
        let staged = try stage(key: key, path: path, title: title, work: work, sha256: sha256, analysis: analysis)
        return try commit([staged])[0].get()
    }

    /// Writes an item's arrays (not flushed yet) after the cheap checks: a writable store, a usable key, no
    /// other content under the key. File names are the content hash, the array name and a token of this
    /// staging, so staging never replaces a file that a committed item (or another staged one) owns.
    public func stage(key: String, path: String, title: String?, work: String? = nil, sha256: String,
                      analysis: ItemAnalysis) throws -> StagedItem {
        try requireWritable()
        guard !key.isEmpty else { throw RefrainError.invalidArgument("empty item key for \(path)") }
        if let work, work.isEmpty { throw RefrainError.invalidArgument("empty work key for \(path)") }
        if let existing = try item(key: key), existing.sha256 != sha256 {
            throw RefrainError(.index, "key '\(key)' already names other content (\(existing.path)); remove it first")
        }
        var staged = StagedItem(key: key, path: path, title: title ?? analysis.title, work: work, sha256: sha256,
                                kind: analysis.kind, duration: analysis.duration, blobs: analysis.blobs, arrays: [],
                                files: [], bytes: 0)
        staged.arrays = try stageArrays(of: analysis, sha256: sha256, into: &staged)
        return staged
    }

    /// Writes the arrays of `analysis` under fresh names (not flushed) and returns their catalog entries
    /// (item id 0): feature sequences as float32, or float16 where their encoder asks for it, and integer code
    /// sequences as they are, each with its frame times (regular rate or a times file).
    func stageArrays(of analysis: ItemAnalysis, sha256: String, into staged: inout StagedItem) throws -> [StoredArrayInfo] {
        let folder = "\(IndexStore.arraysFolder)/\(sha256.prefix(2))"
        let stem = "\(sha256).\(String(UInt32.random(in: 0...UInt32.max), radix: 16))"
        var entries: [(name: String, array: NPYArray, times: [Double])] = []
        for (name, sequence) in analysis.features {
            let half = analysis.encoders[name]?.dtype == .float16
            entries.append((name, half ? NPYArray(float16: sequence.values) : NPYArray(sequence.values), sequence.times))
        }
        for (name, codes) in analysis.codes {
            guard analysis.features[name] == nil else { throw RefrainError.invalidArgument("array name '\(name)' is used twice") }
            entries.append((name, codes.array, codes.times))
        }
        var infos: [StoredArrayInfo] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            let name = entry.name
            guard Self.isSafeName(name) else { throw RefrainError.invalidArgument("array name '\(name)' is not [A-Za-z0-9_-]+") }
            guard let dtype = StoredDType(npy: entry.array.dtype), entry.array.shape.count == 2 else {
                throw RefrainError.invalidArgument("array '\(name)' is not a 2-D float32, float16 or uint16/32/64 array")
            }
            let file = "\(folder)/\(stem).\(name).npy"
            try stageFile(NPY.encode(entry.array), as: file, into: &staged)
            var info = StoredArrayInfo(itemID: 0, name: name, file: file, timesFile: nil, frames: entry.array.shape[0],
                                       dims: entry.array.shape[1], frameRate: nil, timeOffset: entry.times.first ?? 0,
                                       dtype: dtype, encoder: analysis.encoders[name]?.fingerprint)
            if let rate = Self.regularRate(entry.times) {
                info.frameRate = rate
            } else {
                let timesFile = "\(folder)/\(stem).\(name).times.npy"
                try stageFile(NPY.encode(NPYArray(entry.times)), as: timesFile, into: &staged)
                info.timesFile = timesFile
            }
            infos.append(info)
        }
        return infos
    }

    func stageFile(_ data: Data, as file: String, into staged: inout StagedItem) throws {
        let url = directory.appendingPathComponent(file)
        session.staged(url)
        try DurableFile.write(data, to: url, sync: false)
        staged.files.append(url)
        staged.bytes += Int64(data.count)
    }

    /// Makes staged items durable and visible: their files are flushed first, then every catalog row goes
    /// in one transaction. Per item, in order: `.added`, `.unchanged` (the content was committed meanwhile)
    /// or the error that refused it (its key names other content). Files of items not added are deleted.
    public func commit(_ batch: [StagedItem]) throws -> [Result<AddOutcome, RefrainError>] {
        try requireWritable()
        guard !batch.isEmpty else { return [] }
        let now = Date().timeIntervalSince1970
        let outcomes: [Result<AddOutcome, RefrainError>]
        do {
            try DurableFile.syncFiles(batch.flatMap(\.files), under: directory)
            outcomes = try Self.wrap {
                try database.write { db -> [Result<AddOutcome, RefrainError>] in
                    try batch.map { try Self.insert($0, at: now, into: db) }
                }
            }
        } catch {
            session.markUnclean()
            throw error
        }
        for (staged, outcome) in zip(batch, outcomes) {
            if case .success(.added) = outcome { continue }
            for file in staged.files { unlink(file.path) }
        }
        session.settled(batch.flatMap(\.files))
        return outcomes
    }

    /// Inserts one staged item's rows, checking again inside the transaction for its content and key.
    private static func insert(_ staged: StagedItem, at now: Double, into db: Database) throws -> Result<AddOutcome, RefrainError> {
        if let existing = try Catalog.items(in: db, where: "sha256 = ?", [staged.sha256]).first { return .success(.unchanged(existing)) }
        if let existing = try Catalog.items(in: db, where: "key = ?", [staged.key]).first {
            return .failure(RefrainError(.index, "key '\(staged.key)' already names other content (\(existing.path)); remove it first"))
        }
        try db.execute(sql: """
            INSERT INTO items (key, path, title, work, kind, sha256, duration, added_at, array_bytes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [staged.key, staged.path, staged.title, staged.work, staged.kind.rawValue, staged.sha256,
                             staged.duration, now, staged.bytes])
        let id = db.lastInsertedRowID
        for info in staged.arrays { try insertArray(info, item: id, into: db) }
        for (name, data) in staged.blobs.sorted(by: { $0.key < $1.key }) {
            try db.execute(sql: "INSERT INTO blobs (item_id, name, data) VALUES (?, ?, ?)", arguments: [id, name, data])
        }
        return .success(.added(IndexedItem(id: id, key: staged.key, path: staged.path, title: staged.title,
                                           work: staged.work, kind: staged.kind,
                                           sha256: staged.sha256, duration: staged.duration, addedAt: now,
                                           arrayBytes: staged.bytes)))
    }

    /// Inserts one array's catalog row for item `id`.
    static func insertArray(_ info: StoredArrayInfo, item id: Int64, into db: Database) throws {
        try db.execute(sql: """
            INSERT INTO arrays (item_id, name, file, times_file, frames, dims, frame_rate, time_offset, dtype, encoder)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [id, info.name, info.file, info.timesFile, info.frames, info.dims,
                             info.frameRate, info.timeOffset, info.dtype.rawValue, info.encoder])
    }
}
