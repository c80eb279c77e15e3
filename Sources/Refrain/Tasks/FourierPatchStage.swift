import Foundation
import RefrainIndex
import RefrainMath

/// `fourier-patches`: a pruning stage that compares the query with every candidate by the 2-D Fourier
/// transform magnitude of CENS patches (`ChromaFourierPatches`; Bertin-Mahieux & Ellis 2012), which is blind
/// to the key and to where in the patch the music starts. The query is pooled into one vector; an item scores
/// `1 - ` the largest cosine between it and any of the item's patches, and the `keep` best items go on.
///
/// Why: the shingle vote (Zalkow & Müller 2020) gives no vote at all to the true item of some short, noisy or
/// re-arranged excerpts, and an item without a vote never reaches a DTW stage. This scan ranks every item
/// by a different representation, so its best few join the vote's (`CandidateUnionStage`; the vote's option
/// `fourier_keep`). On the realistic tune half (issue 18, round 11) the scan alone put the true item in its best
/// 20 for 0.67 of the queries (the vote: 0.84), but for different queries: with the vote cut to 20 items, its
/// best 20 raised the union's recall from 165 to 181 of 196; of the 6 true items the vote ranked beyond 100,
/// 3 were in its best 20.
///
/// Cost per item: one dot product of `rows x 12` (60) values per patch, a patch every `itemHop` frames (≈ 1.9
/// s): about 5,600 multiply-adds for a 3-minute item. The patches are derived from the index's `cens` arrays
/// once per index state, saved in the index as a pack and kept while the process runs (60 floats per patch,
/// ≈ 22 KB per 3 minutes; `FourierPatchTables`).
public struct FourierPatchStage: SearchStage {
    public let name = "fourier-patches"
    /// Items kept.
    public var keep: Int
    public var settings: ChromaFourierPatches
    /// The chroma array read (query and items).
    public var array: String
    /// How the query's patches are compared with an item's (`FourierPatchPooling`).
    public var pooling: FourierPatchPooling

    public init(keep: Int = 20, settings: ChromaFourierPatches = ChromaFourierPatches(), array: String = CENSEncoder.name,
                pooling: FourierPatchPooling = .median) {
        self.keep = keep
        self.settings = settings
        self.array = array
        self.pooling = pooling
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard keep > 0, let sequence = query.analysis.features[array], sequence.dimension == 12, sequence.frameCount > 0 else { return [] }
        let table = try FourierPatchTables.shared.table(array, settings: settings, of: store, threads: query.threads)
        guard table.rows > 0 else { return [] }
        let frameSeconds = sequence.frameRate > 0 ? 1 / sequence.frameRate : 0
        var scored: [Candidate]
        switch pooling {
        case .median:
            let vector = sequence.values.storage.withUnsafeBufferPointer { settings.pooled($0, frames: sequence.frameCount) }
            scored = medianScores(vector, table: table, candidates: candidates, frameSeconds: frameSeconds, threads: query.threads)
        case .max:
            scored = sequence.values.storage.withUnsafeBufferPointer { (chroma: UnsafeBufferPointer<Float>) -> [Candidate] in
                maxScores(chroma, frames: sequence.frameCount, table: table, candidates: candidates, frameSeconds: frameSeconds,
                          threads: query.threads)
            }
        }
        scored.sort { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        return Array(scored.prefix(keep))
    }

    /// Each candidate scored by `1 -` the largest cosine between the query's pooled vector and its patches; the
    /// span is its best patch's.
    func medianScores(_ vector: [Float], table: FourierPatchTables.Table, candidates: [Candidate], frameSeconds: Double,
                      threads: Int) -> [Candidate] {
        // Every patch's cosine with the query in one matrix-vector product.
        var similarity = [Float](repeating: 0, count: table.rows)
        table.patches.withUnsafeBufferPointer { patches in
            vector.withUnsafeBufferPointer { v in
                similarity.withUnsafeMutableBufferPointer { out in
                    BLAS.sgemm(m: table.rows, n: 1, k: settings.dims, a: patches.baseAddress!, lda: settings.dims,
                               b: v.baseAddress!, ldb: 1, c: out.baseAddress!, ldc: 1, threads: threads)
                }
            }
        }
        var scored: [Candidate] = []
        for var candidate in candidates {
            guard let k = table.position[candidate.itemID], table.offsets[k] < table.offsets[k + 1] else { continue }
            var best = -Float.infinity, at = table.offsets[k]
            for p in table.offsets[k]..<table.offsets[k + 1] where similarity[p] > best {
                best = similarity[p]
                at = p
            }
            candidate.score = 1 - Double(best)
            candidate.start = Double(table.starts[at]) * frameSeconds
            candidate.end = candidate.start! + Double(settings.window) * frameSeconds
            scored.append(candidate)
        }
        return scored
    }
}

/// The Fourier patches of every item of an index (`ChromaFourierPatches`), derived from its chroma array and
/// kept while the process runs; rebuilt when that array's item set changes. The derived table is also saved in
/// the index as a pack (`packs/<array>_fourier-<state>.pack`, `PackedArrayFile`; its state covers the chroma
/// array's item set and the patch settings), so that a later process reads it instead of deriving it again.
final class FourierPatchTables: @unchecked Sendable {
    static let shared = FourierPatchTables()

    final class Table: @unchecked Sendable {
        let settings: ChromaFourierPatches
        /// `rows x settings.dims`, row-major: every item's patches, item after item.
        let patches: [Float]
        /// Item `k`'s patches are rows `offsets[k] ..< offsets[k + 1]`.
        let offsets: [Int]
        /// The start frame of each patch in its item.
        let starts: [Int]
        /// Index `k` of each item id.
        let position: [Int64: Int]

        /// The table of a pack of patches (`settings.dims` float32 values per patch, one entry per item).
        init(settings: ChromaFourierPatches, pack: PackedArrays) {
            self.settings = settings
            patches = pack.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            offsets = pack.offsets
            // An item's patches start every `itemHop` frames from its first (`ChromaFourierPatches.starts`).
            starts = (0..<pack.count).flatMap { k in (0..<pack.frames(at: k)).map { $0 * settings.itemHop } }
            var position: [Int64: Int] = [:]
            for (k, id) in pack.ids.enumerated() { position[id] = k }
            self.position = position
        }

        var rows: Int { starts.count }
    }

    private let cache = IndexArrayCache<Table>()

    func table(_ array: String, settings: ChromaFourierPatches, of store: IndexStore, threads: Int) throws -> Table {
        try cache.entry(array, of: store, isUsable: { $0.settings == settings }) {
            try Self.load(array, settings: settings, of: store, threads: threads)
        }
    }

    /// The pack name of the patches of `array`.
    static func packName(_ array: String) -> String { array + "_fourier" }

    /// The table read from the index's saved pack for the current items and `settings`, or derived and saved.
    static func load(_ array: String, settings: ChromaFourierPatches, of store: IndexStore, threads: Int) throws -> Table {
        let name = packName(array)
        let state = PackedArrayFile.state(array: name, setState: try store.arraySetState(named: array) + " " + settings.signature)
        let url = store.directory.appendingPathComponent(PackedArrayFile.relativePath(array: name, state: state))
        if FileManager.default.fileExists(atPath: url.path), let pack = try? PackedArrayFile.read(url, state: state),
           pack.dtype == .float32, pack.dims == settings.dims {
            return Table(settings: settings, pack: pack)
        }
        let pack = try derive(array, settings: settings, of: store, threads: threads)
        // Kept in memory only when the index folder cannot be written.
        try? PackedArrayFile.save(pack, array: name, state: state, in: store.directory)
        return Table(settings: settings, pack: pack)
    }

    /// The patches of every item's chroma `array`, as a pack (`settings.dims` values per patch).
    private static func derive(_ array: String, settings: ChromaFourierPatches, of store: IndexStore, threads: Int) throws -> PackedArrays {
        let pack = try store.packedArrays(named: array)
        guard pack.count == 0 || (pack.dtype == .float32 && pack.dims == 12) else {
            throw RefrainError(.index, "'\(array)' is \(pack.dims) \(pack.dtype.rawValue) values per frame; fourier-patches reads 12 float32 chroma values")
        }
        var perItem = [Matrix](repeating: Matrix(rows: 0, cols: settings.dims), count: pack.count)
        try perItem.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable(out)
            try concurrentForEach(pack.count, threads: threads) { k in
                let values: [Float] = pack.values(at: k) ?? []
                shared.value[k] = values.withUnsafeBufferPointer { settings.patches($0, frames: pack.frames(at: k), hop: settings.itemHop) }
            }
        }
        var offsets = [0], values: [Float] = []
        for matrix in perItem {
            values += matrix.storage
            offsets.append(offsets[offsets.count - 1] + matrix.rows)
        }
        return try PackedArrays(dtype: .float32, dims: settings.dims, ids: pack.ids, fileKeys: pack.fileKeys, offsets: offsets,
                                bytes: values.withUnsafeBytes { Array($0) })
    }
}

/// The scan as an order (`ShingleVoteStage.fillOrder`, `shingle-vote` option `fill_order=fourier`): every candidate
/// by its score, best first, whatever `keep` is; candidates without patches follow in the order they came.
extension FourierPatchStage: CandidateOrdering {
    public func ordered(_ query: SearchQuery, _ candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        var all = self
        all.keep = candidates.count
        let ranked = try all.run(query, candidates: candidates, store: store)
        let seen = Set(ranked.map(\.itemID))
        return ranked + candidates.filter { !seen.contains($0.itemID) }
    }
}
