import CHNSW
import Foundation
import RefrainMath

/// An HNSW graph of `dimension`-dimensional Float32 vectors (Malkov & Yashunin 2018, "Efficient and robust
/// approximate nearest neighbor search using Hierarchical Navigable Small World graphs"), through hnswlib.
public final class HNSWGraph: @unchecked Sendable {
    public enum Space: Int32, Codable, Sendable {
        /// Squared Euclidean distance.
        case l2 = 0
        /// 1 - inner product.
        case innerProduct = 1
        /// 1 - cosine similarity (vectors are normalised on the way in).
        case cosine = 2
    }

    public let dimension: Int
    public let space: Space
    private let handle: OpaquePointer

    /// An empty graph with room for `capacity` points; `m` is the out-degree, `efConstruction` the build
    /// breadth, `seed` makes level assignment reproducible.
    public init(dimension: Int, space: Space = .l2, m: Int = 16, efConstruction: Int = 200,
                capacity: Int = 1024, seed: Int = 100) throws {
        var error = [CChar](repeating: 0, count: 256)
        guard let h = chnsw_create(Int32(dimension), chnsw_space(UInt32(space.rawValue)), Int32(m),
                                   Int32(efConstruction), Int64(max(capacity, 1)), Int64(seed), &error, 256) else {
            throw RefrainError(.invalidArgument, "HNSW: \(Self.message(error))")
        }
        self.dimension = dimension
        self.space = space
        self.handle = h
    }

    /// Loads a graph written by `save`; `dimension` and `space` must be those it was built with.
    public init(contentsOf url: URL, dimension: Int, space: Space = .l2) throws {
        var error = [CChar](repeating: 0, count: 256)
        guard FileManager.default.fileExists(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        guard let h = chnsw_load(url.path, Int32(dimension), chnsw_space(UInt32(space.rawValue)), 0, &error, 256) else {
            throw RefrainError(.index, "\(url.path): cannot load HNSW graph (\(Self.message(error)))")
        }
        self.dimension = dimension
        self.space = space
        self.handle = h
    }

    deinit { chnsw_free(handle) }

    /// Points added (deleted ones included).
    public var count: Int { Int(chnsw_count(handle)) }
    public var capacity: Int { Int(chnsw_capacity(handle)) }

    /// Adds one vector under `label`, growing the capacity (doubling) when full.
    public func add(_ vector: UnsafeBufferPointer<Float>, label: UInt64) throws {
        precondition(vector.count == dimension, "vector has \(vector.count) values, graph has dimension \(dimension)")
        if count >= capacity { try resize(capacity * 2) }
        var error = [CChar](repeating: 0, count: 256)
        guard chnsw_add(handle, vector.baseAddress!, label, &error, 256) == 0 else {
            throw RefrainError(.io, "HNSW add: \(message(error))")
        }
    }

    public func add(_ vector: [Float], label: UInt64) throws {
        try vector.withUnsafeBufferPointer { try add($0, label: label) }
    }

    /// Adds row `r` of `vectors` (`labels.count x dimension`) under `labels[r]`. Until the graph holds
    /// `serialPoints` points they go in one by one, so a small graph is the same on every build; past that,
    /// on `threads` threads at once: hnswlib's insertion locks what it links, so concurrent adds are safe once the
    /// capacity is there (grown first, here), and as with hnswlib's own parallel `add_items` the graph then
    /// depends on how the workers interleave. Not to be called while other threads search or add.
    public func add(rows vectors: Matrix, labels: [UInt64], serialPoints: Int = 16_384,
                    threads: Int = ComputeBudget.machine.threads) throws {
        precondition(vectors.rows == labels.count && vectors.cols == dimension, "\(vectors.rows)x\(vectors.cols) vectors for \(labels.count) labels, dimension \(dimension)")
        guard !labels.isEmpty else { return }
        if count + labels.count > capacity { try resize(max(capacity * 2, count + labels.count)) }
        let serial = min(labels.count, max(0, serialPoints - count))
        try vectors.storage.withUnsafeBufferPointer { buffer in
            for r in 0..<serial {
                try add(UnsafeBufferPointer(rebasing: buffer[(r * vectors.cols)..<((r + 1) * vectors.cols)]), label: labels[r])
            }
        }
        guard serial < labels.count else { return }
        let handle = self.handle
        try vectors.storage.withUnsafeBufferPointer { buffer in
            try concurrentForEach(labels.count - serial, threads: threads) { k in
                let r = serial + k
                try withUnsafeTemporaryAllocation(of: CChar.self, capacity: 256) { error in
                    error.initialize(repeating: 0)
                    guard chnsw_add(handle, buffer.baseAddress! + r * vectors.cols, labels[r], error.baseAddress!, 256) == 0 else {
                        throw RefrainError(.io, "HNSW add: \(Self.message(Array(error)))")
                    }
                }
            }
        }
    }

    public func resize(_ newCapacity: Int) throws {
        var error = [CChar](repeating: 0, count: 256)
        guard chnsw_resize(handle, Int64(newCapacity), &error, 256) == 0 else {
            throw RefrainError(.io, "HNSW resize: \(message(error))")
        }
    }

    /// Excludes `label` from all later searches.
    public func markDeleted(_ label: UInt64) throws {
        var error = [CChar](repeating: 0, count: 256)
        guard chnsw_mark_deleted(handle, label, &error, 256) == 0 else {
            throw RefrainError(.invalidArgument, "HNSW delete: \(message(error))")
        }
    }

    /// The `k` nearest stored points to `query` (search breadth `ef`, at least `k`), nearest first.
    public func search(_ query: UnsafeBufferPointer<Float>, k: Int, ef: Int = 64) throws -> [(label: UInt64, distance: Float)] {
        precondition(query.count == dimension, "query has \(query.count) values, graph has dimension \(dimension)")
        guard k > 0 else { return [] }
        var labels = [UInt64](repeating: 0, count: k)
        var distances = [Float](repeating: 0, count: k)
        var error = [CChar](repeating: 0, count: 256)
        let n = chnsw_search(handle, query.baseAddress!, Int32(k), Int32(max(ef, k)),
                             &labels, &distances, &error, 256)
        guard n >= 0 else { throw RefrainError(.io, "HNSW search: \(message(error))") }
        return (0..<Int(n)).map { (labels[$0], distances[$0]) }
    }

    public func search(_ query: [Float], k: Int, ef: Int = 64) throws -> [(label: UInt64, distance: Float)] {
        try query.withUnsafeBufferPointer { try search($0, k: k, ef: ef) }
    }

    /// Writes the graph to `url` (not atomically; `ShingleIndex` writes to a temporary name and renames).
    public func save(to url: URL) throws {
        var error = [CChar](repeating: 0, count: 256)
        guard chnsw_save(handle, url.path, &error, 256) == 0 else {
            throw RefrainError(.io, "\(url.path): cannot save HNSW graph (\(message(error)))")
        }
    }

    private func message(_ error: [CChar]) -> String { Self.message(error) }

    private static func message(_ error: [CChar]) -> String {
        String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
