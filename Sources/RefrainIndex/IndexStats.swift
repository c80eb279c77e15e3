import Foundation

/// Size and content of an index.
public struct IndexStats: Sendable {
    public var itemsByKind: [ItemKind: Int]
    /// Seconds.
    public var totalDuration: Double
    /// Bytes on disk: catalog (with WAL), arrays, ANN files.
    public var catalogBytes: Int64
    public var arrayBytes: Int64
    public var annBytes: Int64
    public var shinglePoints: Int
    public var settingsJSON: String
    public var formatVersion: Int

    public var itemCount: Int { itemsByKind.values.reduce(0, +) }
    public var totalBytes: Int64 { catalogBytes + arrayBytes + annBytes }
    public var bytesPerItem: Double { itemCount > 0 ? Double(totalBytes) / Double(itemCount) : 0 }

    public init(store: IndexStore) throws {
        let items = try store.items()
        itemsByKind = Dictionary(grouping: items, by: \.kind).mapValues(\.count)
        totalDuration = items.reduce(0) { $0 + $1.duration }
        func size(_ url: URL) -> Int64 {
            var total: Int64 = 0
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return 0 }
            if !isDirectory.boolValue {
                return Int64((try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0)
            }
            for case let file as URL in FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.fileSizeKey]) ?? .init() {
                total += Int64((try? file.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? 0)
            }
            return total
        }
        let dir = store.directory
        catalogBytes = ["", "-wal", "-shm"].reduce(0) { $0 + size(dir.appendingPathComponent(IndexStore.catalogName + $1)) }
        arrayBytes = size(dir.appendingPathComponent(IndexStore.arraysFolder))
        annBytes = size(dir.appendingPathComponent(ANNFiles.folder))
        shinglePoints = (try? ShingleIndex.load(from: store))??.graph.count ?? 0
        settingsJSON = try store.settings.json()
        formatVersion = IndexStore.formatVersion
    }

    public var summary: String {
        var lines = ["items          \(itemCount)"]
        for kind in ItemKind.allCases where itemsByKind[kind] != nil { lines.append("  \(kind.rawValue)\(String(repeating: " ", count: max(1, 13 - kind.rawValue.count)))\(itemsByKind[kind]!)") }
        lines.append(String(format: "duration       %.1f s (%.2f h)", totalDuration, totalDuration / 3600))
        lines.append("bytes          \(totalBytes) (catalog \(catalogBytes), arrays \(arrayBytes), ann \(annBytes))")
        lines.append(String(format: "bytes per item %.0f", bytesPerItem))
        lines.append("shingle points \(shinglePoints)")
        lines.append("format         \(formatVersion)")
        lines.append("settings       \(settingsJSON)")
        return lines.joined(separator: "\n")
    }
}
