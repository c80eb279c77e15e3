import Foundation
import RefrainIndex

/// What a learned stage reads from an index's packed arrays, kept while the process runs and rebuilt when the
/// array's item set changes (`IndexStore.arraySetState`): one entry per index directory and array name.
final class IndexArrayCache<Entry: AnyObject>: @unchecked Sendable {
    private var entries: [String: (state: String, entry: Entry)] = [:]
    private let lock = NSLock()

    /// The cached entry of `array` in `store` when it was built for the array's current state and `isUsable`
    /// accepts it; otherwise what `build` reads (outside the lock), which is then cached.
    func entry(_ array: String, of store: IndexStore, isUsable: (Entry) -> Bool = { _ in true },
               build: () throws -> Entry) throws -> Entry {
        let state = try store.arraySetState(named: array)
        let key = store.directory.path + "#" + array
        lock.lock()
        if let cached = entries[key], cached.state == state, isUsable(cached.entry) { lock.unlock(); return cached.entry }
        lock.unlock()
        let entry = try build()
        lock.lock()
        entries[key] = (state, entry)
        lock.unlock()
        return entry
    }

    /// Forgets what was loaded from the index in `directory` (the next search reads it again).
    func forget(_ directory: URL) {
        lock.lock()
        entries = entries.filter { !$0.key.hasPrefix(directory.path + "#") }
        lock.unlock()
    }
}
