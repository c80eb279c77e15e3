import Foundation
import RefrainIndex
import RefrainMath

/// The embeddings of an index as one `items x dimensions` matrix, with each item's row, and (on demand) an
/// HNSW graph over them (Malkov & Yashunin 2018), built once per index state (item set) and kept while the
/// process runs. The graph is also saved in the index (`EmbeddingGraphFile`), so that a later process
/// loads it instead of building it again.
final class EmbeddingDatabases: @unchecked Sendable {
    static let shared = EmbeddingDatabases()

    final class Entry: @unchecked Sendable {
        /// The array the vectors come from (e.g. `embedding`).
        let array: String
        /// Item ids by row, ascending.
        let ids: [Int64]
        /// Row of each item id.
        let position: [Int64: Int]
        /// `ids.count x dimension`, row-major.
        let vectors: [Float]
        let dimension: Int
        /// The keys of the array files of every item with the array, by item id (`PackedArrays.fileKey`;
        /// identifies the item set).
        let signature: [UInt64]
        /// SHA-256 (hex) of the weights of the encoder that wrote the array, from the index's settings.
        let weightsSHA256: String?
        private var built: HNSWGraph?
        private let lock = NSLock()

        init(array: String, ids: [Int64], vectors: [Float], dimension: Int, signature: [UInt64], weightsSHA256: String?) {
            self.array = array
            self.ids = ids
            var position: [Int64: Int] = [:]
            position.reserveCapacity(ids.count)
            for (k, id) in ids.enumerated() { position[id] = k }
            self.position = position
            self.vectors = vectors
            self.dimension = dimension
            self.signature = signature
            self.weightsSHA256 = weightsSHA256
        }

        /// Euclidean distance of every row to `q` (`dimension` values).
        func distances(to q: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: ids.count)
            let d = dimension
            vectors.withUnsafeBufferPointer { v in
                q.withUnsafeBufferPointer { q in
                    out.withUnsafeMutableBufferPointer { out in
                        for r in 0..<out.count {
                            var sum: Float = 0
                            let row = v.baseAddress! + r * d
                            for k in 0..<d { let x = row[k] - q[k]; sum += x * x }
                            out[r] = sum.squareRoot()
                        }
                    }
                }
            }
            return out
        }

        /// What identifies the graph over these rows: the graph file's format, the array, the encoder's
        /// weights, the dimension, the build settings and every item and array file, by row.
        var graphState: String {
            var text = "\(EmbeddingGraphFile.format)\n\(array)\n\(weightsSHA256 ?? "-")\n\(dimension)\n"
                + "\(EmbeddingGraphFile.m) \(EmbeddingGraphFile.efConstruction)\n"
            for id in ids { text += "\(id)\n" }
            for key in signature { text += "\(String(key, radix: 16))\n" }
            return SHA256.hex(of: Data(text.utf8))
        }

        /// The HNSW graph over the rows (labels = row numbers; squared Euclidean distances): the one saved in
        /// `store` for this exact state if there is one, else built and saved there (when the directory can be
        /// written; otherwise kept in memory only). Nil when there are no rows.
        func graph(savingIn store: IndexStore) throws -> HNSWGraph? {
            lock.lock()
            defer { lock.unlock() }
            if let built { return built }
            guard !ids.isEmpty else { return nil }
            let file = EmbeddingGraphFile(directory: store.directory, array: array, state: graphState)
            if let loaded = file.load(dimension: dimension, count: ids.count) {
                built = loaded
                return loaded
            }
            let graph = try HNSWGraph(dimension: dimension, space: .l2, m: EmbeddingGraphFile.m,
                                      efConstruction: EmbeddingGraphFile.efConstruction, capacity: ids.count)
            try graph.add(rows: Matrix(rows: ids.count, cols: dimension, storage: vectors), labels: (0..<ids.count).map { UInt64($0) })
            try? file.save(graph)
            built = graph
            return graph
        }
    }

    private let cache = IndexArrayCache<Entry>()

    /// Forgets what was loaded from the index in `directory` (the next search reads it again).
    func forget(_ directory: URL) { cache.forget(directory) }

    func database(_ array: String, of store: IndexStore, dimension: Int) throws -> Entry {
        try cache.entry(array, of: store, isUsable: { $0.dimension == dimension }) {
            try Self.read(array, of: store, dimension: dimension)
        }
    }

    private static func read(_ array: String, of store: IndexStore, dimension: Int) throws -> Entry {
        // One packed file for the whole array kind (`IndexStore.packedArrays`), not one `.npy` per item.
        let pack = try store.packedArrays(named: array)
        guard pack.count == 0 || (pack.dims == dimension && !pack.dtype.isInteger) else {
            throw RefrainError(.index, "'\(array)' is \(pack.dims) \(pack.dtype.rawValue) values per item, the query's embedding has \(dimension) values")
        }
        var ids: [Int64] = [], vectors: [Float] = [], signature: [UInt64] = []
        ids.reserveCapacity(pack.count)
        vectors.reserveCapacity(pack.count * dimension)
        for k in 0..<pack.count {
            signature.append(pack.fileKeys[k])
            guard let row = pack.firstFrame(at: k) else { continue }
            ids.append(pack.ids[k])
            vectors += row
        }
        let weights = store.settings.encoders?.first { $0.name == array }?.weightsSHA256
        return Entry(array: array, ids: ids, vectors: vectors, dimension: dimension, signature: signature, weightsSHA256: weights)
    }
}
