import Foundation
import RefrainIndex
import RefrainMath

/// Where `embedding-nn` keeps its HNSW graph (Malkov & Yashunin 2018) inside an index:
/// `learned-ann/<array>-<state>.hnsw`, where `<state>` is the first 16 hex digits of a SHA-256 over the file
/// format, the array, the embedder's weights SHA-256, the dimension, the build settings and every item and
/// the key of its array file (`EmbeddingDatabases.Entry.graphState`). A graph made for other weights or another item set
/// therefore has another name and is never read; it is rebuilt and the old files are removed. Written to a
/// temporary name, flushed and renamed into place, so a reader sees a whole graph or none. The folder is the
/// stage's own (the index's sweep of unreferenced files covers `arrays/` and `ann/` only).
struct EmbeddingGraphFile {
    /// Version of the saved graph's layout (part of the state hash).
    static let format = 2
    static let folder = "learned-ann"
    /// HNSW out-degree and build breadth.
    static let m = 16
    static let efConstruction = 100

    let directory: URL
    let array: String
    /// SHA-256 (hex) of the state the graph must match.
    let state: String

    /// The graph's file for this state.
    var url: URL {
        directory.appendingPathComponent(Self.folder).appendingPathComponent("\(array)-\(state.prefix(16)).hnsw")
    }

    /// The saved graph when it exists and holds `count` points of `dimension` values; nil otherwise (also when
    /// it cannot be read: the caller builds a new one).
    func load(dimension: Int, count: Int) -> HNSWGraph? {
        guard FileManager.default.fileExists(atPath: url.path),
              let graph = try? HNSWGraph(contentsOf: url, dimension: dimension, space: .l2),
              graph.count == count else { return nil }
        return graph
    }

    /// Saves `graph` atomically under this state's name and removes graphs of other states of the array.
    func save(_ graph: HNSWGraph) throws {
        let folder = directory.appendingPathComponent(Self.folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)\(DurableFile.temporarySuffix)")
        do {
            try graph.save(to: temporary)
            try DurableFile.syncFile(temporary)
            guard rename(temporary.path, url.path) == 0 else { throw RefrainError(.io, "\(url.path): cannot rename into place") }
            try DurableFile.syncDirectory(folder)
        } catch {
            unlink(temporary.path)
            throw error
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        for name in names where name.hasPrefix("\(array)-") && name.hasSuffix(".hnsw")
            && name.count == url.lastPathComponent.count && name != url.lastPathComponent {
            unlink(folder.appendingPathComponent(name).path)
        }
    }
}
