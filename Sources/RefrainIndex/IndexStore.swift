import Foundation
import GRDB
import RefrainMath

/// A collection on disk: a directory holding `catalog.sqlite` (SQLite through GRDB, WAL mode: items, their
/// arrays and blobs, metadata) and `arrays/` with one `.npy` file per stored feature sequence, which
/// searches memory-map.
///
/// Writes are atomic per item: array files are written under temporary names, flushed, renamed into place
/// and their directory flushed before the catalog transaction that references them commits; a crash
/// leaves at most unreferenced files, which the next writer sweeps when it opens the index (unless the last
/// writer closed cleanly and left the `writer.clean` marker: `WriterSession`). One writer at a
/// time (an advisory lock on `writer.lock`); any number of readers.
public final class IndexStore: @unchecked Sendable {
    /// Version of the on-disk layout; an index with a larger one was made by a newer Refrain. Format 2 added
    /// works, array element types and the encoder behind each array; a format 1 index is read as it is and
    /// brought to format 2 (`Catalog.migrate`) the first time it is opened for writing.
    public static let formatVersion = 2
    public static let catalogName = "catalog.sqlite"
    public static let arraysFolder = "arrays"

    public let directory: URL
    /// `directory.path`, made once: array lookups join it with catalog names without building URLs.
    let directoryPath: String
    public let settings: IndexSettings
    public let isWritable: Bool
    let database: DatabasePool
    private var lockDescriptor: Int32 = -1
    /// The shingle index searches use (`ShingleIndex.current(in:)`).
    let shingleIndexCache = ShingleIndexCache()
    private let cache = MappedArrayCache()
    /// Catalog reads every query repeats, per connection until a commit (`CatalogReadCache`).
    let catalogReads = CatalogReadCache()
    /// Files a writer has staged but not committed, for the clean-close marker (`WriterSession`).
    let session = WriterSession()

    // MARK: Opening

    /// Creates an empty index in `directory` (created if missing; it must not already hold an index).
    public static func create(at directory: URL, settings: IndexSettings) throws -> IndexStore {
        let catalog = directory.appendingPathComponent(catalogName)
        guard !FileManager.default.fileExists(atPath: catalog.path) else {
            throw RefrainError(.index, "\(directory.path) already holds an index")
        }
        try DurableFile.createDirectory(directory)
        let store = try IndexStore(directory: directory, settings: settings, writable: true, creating: true)
        return store
    }

    /// Opens an existing index. With `expecting`, refuses an index made with other settings. A writable
    /// store takes the writer lock (waiting for another writer to finish) and sweeps orphaned files.
    public static func open(at directory: URL, expecting settings: IndexSettings? = nil,
                            writable: Bool = false) throws -> IndexStore {
        let catalog = directory.appendingPathComponent(catalogName)
        guard FileManager.default.fileExists(atPath: catalog.path) else {
            throw RefrainError(.index, "\(directory.path) holds no index (run `refrain index create` first)")
        }
        let store = try IndexStore(directory: directory, settings: settings, writable: writable, creating: false)
        if let settings, settings != store.settings {
            throw RefrainError(.index, "\(directory.path) was built with other feature settings "
                               + "(\((try? store.settings.json()) ?? "?")); rebuild it or query with those settings")
        }
        return store
    }

    private init(directory: URL, settings: IndexSettings?, writable: Bool, creating: Bool) throws {
        self.directory = directory
        self.directoryPath = directory.path
        self.isWritable = writable
        if writable {
            let lockPath = directory.appendingPathComponent("writer.lock").path
            lockDescriptor = Foundation.open(lockPath, O_RDWR | O_CREAT, 0o644)
            guard lockDescriptor >= 0, flock(lockDescriptor, LOCK_EX) == 0 else {
                throw RefrainError(.io, "\(lockPath): cannot take the writer lock")
            }
        }
        var configuration = Configuration()
        configuration.readonly = !writable
        configuration.busyMode = .timeout(30)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let catalog = directory.appendingPathComponent(IndexStore.catalogName).path
        let pool: DatabasePool
        do { pool = try DatabasePool(path: catalog, configuration: configuration) } catch {
            throw RefrainError(.index, "\(catalog): cannot open the catalog (\(error))")
        }
        database = pool
        if creating {
            guard let settings else { throw RefrainError(.index, "settings are needed to create an index") }
            let json = try settings.json()
            try Self.wrap {
                try pool.write { db in
                    try Catalog.createSchema(db)
                    try Catalog.setMeta(db, "format_version", String(IndexStore.formatVersion))
                    try Catalog.setMeta(db, "settings", json)
                    try Catalog.setMeta(db, "created_at", String(Date().timeIntervalSince1970))
                }
            }
            self.settings = settings
        } else {
            let (version, json) = try Self.wrap {
                try pool.read { db -> (String?, String?) in
                    (try Catalog.meta(db, "format_version"), try Catalog.meta(db, "settings"))
                }
            }
            guard let versionText = version, let found = Int(versionText), let json else {
                throw RefrainError(.index, "\(catalog) is not a Refrain index catalog")
            }
            guard found <= IndexStore.formatVersion else {
                throw RefrainError(.index, "\(directory.path) uses index format \(found), newer than this Refrain "
                                   + "(format \(IndexStore.formatVersion)); upgrade Refrain")
            }
            if writable && found < IndexStore.formatVersion {
                try Self.wrap {
                    try pool.write { db in
                        try Catalog.migrate(db)
                        try Catalog.setMeta(db, "format_version", String(IndexStore.formatVersion))
                    }
                }
            }
            do { self.settings = try JSONDecoder().decode(IndexSettings.self, from: Data(json.utf8)) } catch {
                throw RefrainError(.index, "\(catalog): unreadable settings")
            }
        }
        // The last writer left no unreferenced files when it left the clean-close marker (taken away now, so
        // that a writer killed from here on leaves none and the next one sweeps).
        if writable && !creating, try !WriterSession.takeMarker(in: directory) { try sweepOrphans() }
    }

    deinit {
        if isWritable && lockDescriptor >= 0 { session.close(in: directory) }
        if lockDescriptor >= 0 { close(lockDescriptor) }
    }

    static func wrap<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as RefrainError { throw error } catch {
            throw RefrainError(.index, "catalog: \(error)")
        }
    }

    // MARK: Reading

    /// Every item, in the order added.
    public func items() throws -> [IndexedItem] {
        try Self.wrap { try database.read { try Catalog.items(in: $0) } }
    }

    /// Id and key of every item, in id order: what a search starts from, read without the rest of the rows
    /// (at 10,000 items, 4 ms instead of the 50 ms `items()` takes), and kept until the catalog changes
    /// (`CatalogReadCache`).
    public func itemKeys() throws -> [(id: Int64, key: String)] {
        try Self.wrap {
            try database.read { db in
                try catalogReads.value("item keys", in: db) {
                    var out: [(id: Int64, key: String)] = []
                    let rows = try Row.fetchCursor(db, sql: "SELECT id, key FROM items ORDER BY id")
                    while let row = try rows.next() { out.append((row[0], row[1])) }
                    return out
                }
            }
        }
    }

    /// `limit` items from position `offset` in the order added (for paging through a large collection).
    public func items(offset: Int, limit: Int) throws -> [IndexedItem] {
        try Self.wrap {
            try database.read {
                try Catalog.items(in: $0, limit: limit, offset: offset)
            }
        }
    }

    /// The items with the given ids, by id (ids not in the index are left out).
    public func items(ids: [Int64]) throws -> [Int64: IndexedItem] {
        guard !ids.isEmpty else { return [:] }
        var out: [Int64: IndexedItem] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500).map({ Array(ids[$0..<min(ids.count, $0 + 500)]) }) {
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            for item in try Self.wrap({ try database.read { try Catalog.items(in: $0, where: "id IN (\(marks))", StatementArguments(chunk)) } }) {
                out[item.id] = item
            }
        }
        return out
    }

    /// Ids of the items of the given kinds (kept until the catalog changes, `CatalogReadCache`).
    public func itemIDs(kinds: Set<ItemKind>) throws -> Set<Int64> {
        guard !kinds.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: kinds.count).joined(separator: ", ")
        return try Self.wrap {
            try database.read { db in
                try catalogReads.value("item ids " + kinds.map(\.rawValue).sorted().joined(separator: ","), in: db) {
                    Set(try Int64.fetchAll(db, sql: "SELECT id FROM items WHERE kind IN (\(marks))",
                                           arguments: StatementArguments(kinds.map(\.rawValue))))
                }
            }
        }
    }

    public func item(key: String) throws -> IndexedItem? {
        try Self.wrap { try database.read { try Catalog.items(in: $0, where: "key = ?", [key]).first } }
    }

    public func item(sha256: String) throws -> IndexedItem? {
        try Self.wrap { try database.read { try Catalog.items(in: $0, where: "sha256 = ?", [sha256]).first } }
    }

    public func item(id: Int64) throws -> IndexedItem? {
        try Self.wrap { try database.read { try Catalog.items(in: $0, where: "id = ?", [id]).first } }
    }

    public var itemCount: Int {
        get throws { try Self.wrap { try database.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM items") ?? 0 } } }
    }

    /// The arrays stored for an item.
    public func arrays(of itemID: Int64) throws -> [StoredArrayInfo] {
        try Self.wrap { try database.read { try Catalog.arrays(in: $0, where: "item_id = ?", [itemID]) } }
    }

    /// The stored arrays of many items, by item id (one catalog read per 500 items instead of one per item;
    /// an item without arrays is absent).
    public func arrays(of itemIDs: [Int64]) throws -> [Int64: [StoredArrayInfo]] {
        try arrays(of: itemIDs, where: nil, [])
    }

    /// The stored arrays called one of `names` of many items, by item id (an item without any is absent): what
    /// `arrays(of:)` gives, less the other names, read without them (an exact stage reads one or two of an
    /// item's six arrays; reading all six rows of its 500 candidates took about 20 ms of a query at 10,000
    /// items, perf, round 15).
    public func arrays(of itemIDs: [Int64], named names: Set<String>) throws -> [Int64: [StoredArrayInfo]] {
        guard !names.isEmpty else { return [:] }
        let sorted = names.sorted()
        return try arrays(of: itemIDs, where: "name IN (\(Array(repeating: "?", count: sorted.count).joined(separator: ", ")))", sorted)
    }

    /// The arrays of `itemIDs`, 500 items a read, that also meet `condition` (with `arguments` after the ids).
    private func arrays(of itemIDs: [Int64], where condition: String?, _ arguments: [String]) throws -> [Int64: [StoredArrayInfo]] {
        var out: [Int64: [StoredArrayInfo]] = [:]
        for start in stride(from: 0, to: itemIDs.count, by: 500) {
            let chunk = Array(itemIDs[start..<min(itemIDs.count, start + 500)])
            let marks = Array(repeating: "?", count: chunk.count).joined(separator: ", ")
            let sql = "item_id IN (\(marks))" + (condition.map { " AND " + $0 } ?? "")
            var values = StatementArguments(chunk)
            values += StatementArguments(arguments)
            for info in try Self.wrap({ try database.read { try Catalog.arrays(in: $0, where: sql, values) } }) {
                out[info.itemID, default: []].append(info)
            }
        }
        return out
    }

    /// Every stored array named `name`, keyed by item id.
    public func arrays(named name: String) throws -> [StoredArrayInfo] {
        try Self.wrap { try database.read { try Catalog.arrays(in: $0, where: "name = ?", [name]) } }
    }

    /// The stored sequence `name` of an item, memory-mapped, with its frame times.
    public func feature(_ name: String, of itemID: Int64) throws -> StoredFeature {
        guard let info = try arrays(of: itemID).first(where: { $0.name == name }) else {
            throw RefrainError(.index, "item \(itemID) has no array '\(name)'")
        }
        return try feature(info)
    }

    /// The stored sequence described by `info`, memory-mapped (mappings are cached per file, looked up by
    /// the catalog's relative name: an exact stage asks for every candidate's arrays on every query, and
    /// building a URL and its path for each lookup cost more than the lookup).
    public func feature(_ info: StoredArrayInfo) throws -> StoredFeature {
        let values = try cache.array(info.file, in: directoryPath)
        guard values.frames == info.frames, values.dims == info.dims, values.dtype == info.dtype else {
            throw RefrainError(.index, "\(info.file): \(values.frames)x\(values.dims) \(values.dtype.rawValue) differs from the catalog")
        }
        let times: [Double]
        if let timesFile = info.timesFile {
            times = try NPY.read(directory.appendingPathComponent(timesFile)).values(as: Double.self) ?? []
            guard times.count == info.frames else { throw RefrainError(.index, "\(timesFile): wrong number of frame times") }
        } else {
            let rate = info.frameRate ?? 1
            times = (0..<info.frames).map { info.timeOffset + Double($0) / rate }
        }
        return StoredFeature(info: info, values: values, times: times)
    }

    /// A blob stored with an item (e.g. "midi"), or nil.
    public func blob(_ name: String, of itemID: Int64) throws -> Data? {
        try Self.wrap {
            try database.read { db in
                try Data.fetchOne(db, sql: "SELECT data FROM blobs WHERE item_id = ? AND name = ?", arguments: [itemID, name])
            }
        }
    }

    /// A metadata value (format version, settings, derived-structure state).
    public func meta(_ key: String) throws -> String? {
        try Self.wrap { try database.read { try Catalog.meta($0, key) } }
    }

    /// Sets a metadata value in its own transaction.
    public func setMeta(_ key: String, _ value: String?) throws {
        try requireWritable()
        try Self.wrap { try database.write { try Catalog.setMeta($0, key, value) } }
    }

    // MARK: Writing (adding: IndexStore+Adding.swift)

    /// Removes items by key: catalog rows first (one transaction), then their files. Returns the keys
    /// that were not in the index.
    @discardableResult
    public func remove(keys: [String]) throws -> [String] {
        try requireWritable()
        var missing: [String] = []
        var files: [String] = []
        try Self.wrap {
            try database.write { db in
                for key in keys {
                    guard let item = try Catalog.items(in: db, where: "key = ?", [key]).first else {
                        missing.append(key)
                        continue
                    }
                    for info in try Catalog.arrays(in: db, where: "item_id = ?", [item.id]) {
                        files.append(info.file)
                        if let t = info.timesFile { files.append(t) }
                    }
                    try db.execute(sql: "DELETE FROM arrays WHERE item_id = ?", arguments: [item.id])
                    try db.execute(sql: "DELETE FROM blobs WHERE item_id = ?", arguments: [item.id])
                    try db.execute(sql: "DELETE FROM items WHERE id = ?", arguments: [item.id])
                }
            }
        }
        for file in files { unlink(directory.appendingPathComponent(file).path) }
        cache.removeAll()
        return missing
    }

    /// Deletes files under `arrays/` that no catalog row references, and temporary leftovers anywhere.
    /// Runs when a writer opens the index. Returns how many files were removed.
    @discardableResult
    public func sweepOrphans() throws -> Int {
        try requireWritable()
        let referenced = try Self.wrap {
            try database.read { db -> Set<String> in
                var set = Set<String>()
                for row in try Row.fetchAll(db, sql: "SELECT file, times_file FROM arrays") {
                    set.insert(row["file"])
                    if let t: String = row["times_file"] { set.insert(t) }
                }
                for row in try Row.fetchAll(db, sql: "SELECT value FROM meta WHERE key LIKE 'file:%'") {
                    set.insert(row["value"])
                }
                return set
            }
        }
        var removed = 0
        for folder in [IndexStore.arraysFolder, ANNFiles.folder] {
            let root = directory.appendingPathComponent(folder)
            guard let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else { continue }
            for case let url as URL in enumerator {
                guard (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true else { continue }
                let relative = folder + "/" + url.path.dropFirst(root.path.count + 1)
                if !referenced.contains(relative) {
                    unlink(url.path)
                    removed += 1
                }
            }
        }
        return removed
    }

    /// Forgets the memory mappings of array files (after they were replaced or removed).
    func clearArrayCache() { cache.removeAll() }

    func requireWritable() throws {
        guard isWritable else { throw RefrainError(.index, "\(directory.path) is open read-only") }
    }

    static func isSafeName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { c in
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c == 45
        }
    }

    /// Frames per second when `times` are evenly spaced (to 1 µs), else nil.
    static func regularRate(_ times: [Double]) -> Double? {
        guard times.count > 1 else { return 1 }
        let step = (times[times.count - 1] - times[0]) / Double(times.count - 1)
        guard step > 0 else { return nil }
        for i in 0..<times.count where abs(times[i] - (times[0] + Double(i) * step)) > 1e-6 { return nil }
        return 1 / step
    }
}

/// A stored feature sequence: `frames x dims` values (memory-mapped) with frame times in seconds.
public struct StoredFeature: Sendable {
    public let info: StoredArrayInfo
    public let values: MappedArray
    public let times: [Double]

    /// A copy as a `FeatureSequence`.
    public func sequence() -> FeatureSequence { FeatureSequence(values: values.matrix(), times: times) }
}

/// Memory mappings of array files, kept while the store is open, at most `capacity` of them (the oldest go
/// first). Linux lets a process hold 65,530 mappings (`vm.max_map_count`) and an index holds several arrays
/// per item, so a pass over every item of a 100,000-item index (a shingle rebuild) must not keep them all.
final class MappedArrayCache: @unchecked Sendable {
    /// Mappings kept by default: a query's candidates fit many times over, a quarter of the system's limit.
    static let defaultCapacity = 16_384

    let capacity: Int
    /// By the file's path relative to the index directory.
    private var arrays: [String: MappedArray] = [:]
    /// Cached files in the order they were mapped, a ring once full; `oldest` is the next to go.
    private var order: [String] = []
    private var oldest = 0
    private let lock = NSLock()

    init(capacity: Int = MappedArrayCache.defaultCapacity) {
        precondition(capacity > 0, "a mapping cache keeps at least one mapping")
        self.capacity = capacity
    }

    /// Mappings held now.
    var count: Int {
        lock.lock(); defer { lock.unlock() }
        return arrays.count
    }

    /// The mapping of `file` (relative to the directory at file-system path `directory`), mapped on first use.
    func array(_ file: String, in directory: String) throws -> MappedArray {
        lock.lock()
        if let cached = arrays[file] { lock.unlock(); return cached }
        lock.unlock()
        let mapped = try MappedArray(path: directory.hasSuffix("/") ? directory + file : directory + "/" + file)
        lock.lock()
        defer { lock.unlock() }
        if let raced = arrays[file] { return raced }
        if order.count < capacity {
            order.append(file)
        } else {
            arrays[order[oldest]] = nil
            order[oldest] = file
            oldest = (oldest + 1) % capacity
        }
        arrays[file] = mapped
        return mapped
    }

    func removeAll() {
        lock.lock()
        arrays.removeAll()
        order.removeAll()
        oldest = 0
        lock.unlock()
    }
}
