import Foundation
import RefrainIndex
import RefrainMath

/// `embedding-nn`: prunes by the Euclidean distance between the query's learned embedding and every
/// candidate's (Raffel & Ellis, "Pruning Subsequence Search with Attention-Based Embedding", ICASSP 2016),
/// keeping the `keep` nearest. Below `exact-below` items with embeddings the distances are computed for every
/// candidate (one matrix-vector product); from there on an HNSW graph over the items' vectors (Malkov &
/// Yashunin 2018, `HNSWGraph`) is searched with breadth `ef` for the nearest `keep` plus as many as the
/// candidates leave out, and the exact scan answers when the graph gives too few candidates.
///
/// Options: `keep` (default 1000, set before measuring; on the tuning half at 10,000 items it kept 15 of 16 true
/// matches and 2,000 kept 16 of 16: docs/learned-models.md),
/// `exact-below` (items, default 50,000), `ef` (default 2 x keep), `array` (default `embedding`).
/// Scores are distances (0...2 for unit vectors).
public struct EmbeddingNNStage: SearchStage {
    public let name = "embedding-nn"
    public var keep: Int
    public var exactBelow: Int
    public var ef: Int?
    public var array: String

    public init(keep: Int = 1000, exactBelow: Int = 50_000, ef: Int? = nil, array: String = EmbeddingEncoder.name) {
        self.keep = keep
        self.exactBelow = exactBelow
        self.ef = ef
        self.array = array
    }

    public init(spec: StageSpec) throws {
        let keep = try spec.int("keep", default: 1000), exactBelow = try spec.int("exact-below", default: 50_000)
        guard keep >= 1, exactBelow >= 0 else { throw RefrainError.invalidArgument("embedding-nn: keep must be at least 1 and exact-below at least 0") }
        let ef = try spec.options["ef"].map { _ in try spec.int("ef", default: 0) }
        if let ef, ef < 1 { throw RefrainError.invalidArgument("embedding-nn: ef must be at least 1") }
        self.init(keep: keep, exactBelow: exactBelow, ef: ef, array: spec.options["array"] ?? EmbeddingEncoder.name)
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], sequence.frameCount >= 1 else {
            throw RefrainError.invalidArgument("embedding-nn: the query has no '\(array)' embedding (the task must encode it)")
        }
        let q = Array(sequence.values.storage[0..<sequence.dimension])
        let database = try EmbeddingDatabases.shared.database(array, of: store, dimension: q.count)
        var byID: [Int64: Candidate] = [:]
        for c in candidates { byID[c.itemID] = c }
        var scored: [Candidate] = []
        if database.ids.count >= exactBelow, let graph = try database.graph() {
            let wanted = min(database.ids.count, keep + max(0, database.ids.count - candidates.count))
            for hit in try graph.search(q, k: wanted, ef: max(ef ?? 2 * keep, wanted)) {
                guard var c = byID[database.ids[Int(hit.label)]] else { continue }
                c.score = Double(hit.distance).squareRoot()
                scored.append(c)
            }
        }
        if scored.count < min(keep, candidates.count) {
            scored = []
            let distances = database.distances(to: q)
            for (k, id) in database.ids.enumerated() {
                guard var c = byID[id] else { continue }
                c.score = Double(distances[k])
                scored.append(c)
            }
        }
        scored.sort { $0.score < $1.score || ($0.score == $1.score && $0.key < $1.key) }
        return Array(scored.prefix(keep))
    }
}

/// The embeddings of an index as one `items x dimensions` matrix (and, on demand, an HNSW graph over them),
/// built once per index state (item set) and kept while the process runs.
final class EmbeddingDatabases: @unchecked Sendable {
    static let shared = EmbeddingDatabases()

    final class Entry: @unchecked Sendable {
        /// Item ids by row.
        let ids: [Int64]
        /// `ids.count x dimension`, row-major.
        let vectors: [Float]
        let dimension: Int
        let signature: [String]
        private var built: HNSWGraph?
        private let lock = NSLock()

        init(ids: [Int64], vectors: [Float], dimension: Int, signature: [String]) {
            self.ids = ids
            self.vectors = vectors
            self.dimension = dimension
            self.signature = signature
        }

        /// Euclidean distance of every row to `q`.
        func distances(to q: [Float]) -> [Float] {
            var out = [Float](repeating: 0, count: ids.count)
            vectors.withUnsafeBufferPointer { v in
                for r in 0..<ids.count {
                    var sum: Float = 0
                    let row = v.baseAddress! + r * dimension
                    for k in 0..<dimension { let d = row[k] - q[k]; sum += d * d }
                    out[r] = sum.squareRoot()
                }
            }
            return out
        }

        /// The HNSW graph over the rows (labels = row numbers; squared Euclidean distances), built on first use.
        func graph() throws -> HNSWGraph? {
            lock.lock()
            defer { lock.unlock() }
            if let built { return built }
            guard !ids.isEmpty else { return nil }
            let graph = try HNSWGraph(dimension: dimension, space: .l2, m: 16, efConstruction: 100, capacity: ids.count)
            try graph.add(rows: Matrix(rows: ids.count, cols: dimension, storage: vectors), labels: (0..<ids.count).map { UInt64($0) })
            built = graph
            return graph
        }
    }

    private var entries: [String: Entry] = [:]
    private let lock = NSLock()

    func database(_ array: String, of store: IndexStore, dimension: Int) throws -> Entry {
        let infos = try store.arrays(named: array).sorted { $0.itemID < $1.itemID }
        let signature = infos.map(\.file)
        let key = store.directory.path + "#" + array
        lock.lock()
        if let cached = entries[key], cached.signature == signature, cached.dimension == dimension { lock.unlock(); return cached }
        lock.unlock()
        var ids: [Int64] = [], vectors: [Float] = []
        vectors.reserveCapacity(infos.count * dimension)
        for info in infos {
            guard info.dims == dimension, !info.dtype.isInteger else {
                throw RefrainError(.index, "\(info.file): '\(array)' is \(info.frames)x\(info.dims) \(info.dtype.rawValue), the query's embedding has \(dimension) values")
            }
            let values = try store.feature(info).sequence().values
            guard values.rows >= 1 else { continue }
            ids.append(info.itemID)
            vectors += values.storage[0..<dimension]
        }
        let entry = Entry(ids: ids, vectors: vectors, dimension: dimension, signature: signature)
        lock.lock()
        entries[key] = entry
        lock.unlock()
        return entry
    }
}
