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
/// Options: `keep` (default: 2,000 or a fifth of the items with embeddings, whichever is more, `autoKeep`;
/// sixth round, tuning half, with hash-dtw keeping 1,000 and the version stage 25 after it: at 10,000 items
/// keep 1,000 / 4,000 let 89 / 97 of 98 true matches survive the cascade; at 100,000 items 10,000 / 20,000 /
/// 40,000 let 14 / 15 / 15 of 16 survive, query p50 1.13 / 1.12 / 1.45 s; tenth round, tuning half at 10,000
/// items with the stage-2 embedder, the shingle vote's 250 beside it and a rebuilt shingle graph: keep 2,000
/// with hash-dtw's 500 kept 98 of 98 and the same top-1 as 4,000 with 1,000, with 39 % fewer hash-DTW cells;
/// eleventh round, tuning half at 100,000 items (33 timed queries, quiet, hash-dtw 500 with the vote's 10 passed,
/// version 10): keep 2,000 / 5,000 / 20,000 let 31 / 32 / 33 of 33 survive at the same top-1 (30 of 33), query
/// p50 0.37 / 0.37 / 0.43 s: docs/learned-models.md),
/// `exact-below` (items, default 50,000), `ef` (default 2 x keep), `array` (default `embedding`).
/// Scores are distances (0...2 for unit vectors).
public struct EmbeddingNNStage: SearchStage {
    public let name = "embedding-nn"
    /// Items kept; nil: `autoKeep` of the collection.
    public var keep: Int?
    public var exactBelow: Int
    public var ef: Int?
    public var array: String

    public init(keep: Int? = nil, exactBelow: Int = 50_000, ef: Int? = nil, array: String = EmbeddingEncoder.name) {
        self.keep = keep
        self.exactBelow = exactBelow
        self.ef = ef
        self.array = array
    }

    public init(spec: StageSpec) throws {
        let keep = try spec.options["keep"].map { _ in try spec.int("keep", default: 0) }
        let exactBelow = try spec.int("exact-below", default: 50_000)
        guard (keep ?? 1) >= 1, exactBelow >= 0 else { throw RefrainError.invalidArgument("embedding-nn: keep must be at least 1 and exact-below at least 0") }
        let ef = try spec.options["ef"].map { _ in try spec.int("ef", default: 0) }
        if let ef, ef < 1 { throw RefrainError.invalidArgument("embedding-nn: ef must be at least 1") }
        self.init(keep: keep, exactBelow: exactBelow, ef: ef, array: spec.options["array"] ?? EmbeddingEncoder.name)
    }

    /// The default keep for a collection of `items` with embeddings: 2,000, or a fifth of them from 10,000 on
    /// (chosen on the tuning half at 10,000 and 100,000 items, see the type's comment; untested beyond; from
    /// 20,000 items on the same as the sixth round's `max(4000, items / 5)`).
    public static func autoKeep(items: Int) -> Int { max(2000, items / 5) }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], sequence.frameCount >= 1 else {
            throw RefrainError.invalidArgument("embedding-nn: the query has no '\(array)' embedding (the task must encode it)")
        }
        let q = Array(sequence.values.storage[0..<sequence.dimension])
        let database = try EmbeddingDatabases.shared.database(array, of: store, dimension: q.count)
        let keep = self.keep ?? Self.autoKeep(items: database.ids.count)
        // The candidate at each row of the database (-1: not a candidate), through the precomputed position map.
        var slot = [Int32](repeating: -1, count: database.ids.count)
        var given = 0
        for (i, c) in candidates.enumerated() {
            if let k = database.position[c.itemID] { slot[k] = Int32(i); given += 1 }
        }
        var rows: [(row: Int, distance: Float)] = []
        if database.ids.count >= exactBelow, let graph = try database.graph(savingIn: store) {
            let wanted = min(database.ids.count, keep + max(0, database.ids.count - given))
            for hit in try graph.search(q, k: wanted, ef: max(ef ?? 2 * keep, wanted)) {
                let k = Int(hit.label)
                guard k < slot.count, slot[k] >= 0 else { continue }
                rows.append((k, hit.distance.squareRoot()))
            }
        }
        if rows.count < min(keep, given) {
            let distances = database.distances(to: q)
            // Only rows within the keep-th smallest distance of the candidates need sorting.
            var limit = Float.infinity
            if given > 2 * keep {
                var candidateDistances: [Float] = []
                candidateDistances.reserveCapacity(given)
                for k in 0..<slot.count where slot[k] >= 0 { candidateDistances.append(distances[k]) }
                candidateDistances.sort()
                limit = candidateDistances[keep - 1]
            }
            rows = []
            for k in 0..<slot.count where slot[k] >= 0 && distances[k] <= limit { rows.append((k, distances[k])) }
        }
        rows.sort { a, b in
            a.distance < b.distance || (a.distance == b.distance && candidates[Int(slot[a.row])].key < candidates[Int(slot[b.row])].key)
        }
        return rows.prefix(keep).map { row in
            var c = candidates[Int(slot[row.row])]
            c.score = Double(row.distance)
            return c
        }
    }
}
