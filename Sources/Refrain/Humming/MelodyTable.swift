import Foundation
import RefrainIndex
import RefrainMath

/// The melodies of an index held in memory for query by humming: every item's stored `melody` lines as
/// `MelodyShape`s (with the pitch-interval n-gram postings of `MelodyCollection`), and every item's work, so
/// that a hit in a score can name the recordings of its work. Reading a few thousand small arrays takes far
/// longer than a search in them, so a table is loaded once and kept while the index's items stay the same
/// (`current(in:)`).
public final class MelodyTable: @unchecked Sendable {
    /// One entry per melody line: the item's id, key and shape.
    public let melodies: [IndexedMelody]
    public let itemIDs: [Int64]
    /// The n-gram filter over `melodies` (same order).
    public let collection: MelodyCollection
    /// Every item's work key (its own key when it has none).
    public let workOf: [Int64: String]
    /// The items of each work: id and key, in id order.
    public let members: [String: [(id: Int64, key: String)]]
    let fingerprint: Int

    init(store: IndexStore, arrayName: String, fingerprint: Int) throws {
        var melodies: [IndexedMelody] = [], ids: [Int64] = []
        var collection = MelodyCollection()
        let items = try store.items()
        let keys = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.key) })
        for info in try store.arrays(named: arrayName).sorted(by: { $0.itemID < $1.itemID }) where info.frames > 0 {
            guard let key = keys[info.itemID] else { continue }
            for shape in MelodyEncoder.shapes(try store.feature(info).values.matrix()) {
                let melody = IndexedMelody(key: key, shape: shape)
                melodies.append(melody)
                ids.append(info.itemID)
                collection.add(melody)
            }
        }
        self.melodies = melodies
        itemIDs = ids
        self.collection = collection
        workOf = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.workKey) })
        var members: [String: [(id: Int64, key: String)]] = [:]
        for item in items.sorted(by: { $0.id < $1.id }) { members[item.workKey, default: []].append((item.id, item.key)) }
        self.members = members
        self.fingerprint = fingerprint
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var tables: [String: MelodyTable] = [:]

    /// The table of `store`'s `arrayName` arrays: the one loaded before when the index holds the same items
    /// under the same settings, else a fresh one (kept for the next query; one table per index directory).
    public static func current(in store: IndexStore, arrayName: String = MelodyEncoder.name) throws -> MelodyTable {
        var hasher = Hasher()
        hasher.combine(arrayName)
        hasher.combine((try? store.settings.json()) ?? "")
        for entry in try store.itemKeys() { hasher.combine(entry.id) }
        let fingerprint = hasher.finalize()
        let key = store.directory.standardizedFileURL.path + "\u{0}" + arrayName
        lock.lock()
        let cached = tables[key]
        lock.unlock()
        if let cached, cached.fingerprint == fingerprint { return cached }
        let table = try MelodyTable(store: store, arrayName: arrayName, fingerprint: fingerprint)
        lock.lock()
        tables[key] = table
        lock.unlock()
        return table
    }
}
