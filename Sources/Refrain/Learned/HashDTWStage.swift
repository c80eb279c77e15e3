import Foundation
import RefrainAlign
import RefrainIndex
import RefrainMath

/// `hash-dtw`: prunes by the Hamming DTW cost between the query's learned hash sequence and every
/// candidate's (Raffel & Ellis 2015: "discard 99 % of the database in 1 % of the time"), keeping the `keep`
/// cheapest. The costs come from the batch SIMD kernel (`BatchDTW.nearestNormalized`, 32 items per lane
/// block, early abandoning against the current `keep`-th best), each divided by the two sequences' lengths
/// together (`n + m`) so that long items are not penalised for their length. When the stage is given under
/// half of the index's items (after `embedding-nn`), only those are laid out and searched.
///
/// Options: `keep` (items passed on, default 500, chosen on the tuning half at 10,000 items: sixth round, after
/// embedding-nn's 4,000, 97 of 98 true matches survived with 1,000 against 91 of 98 with 200; tenth round, after
/// embedding-nn's 2,000 and the shingle vote's 250, 98 of 98 with 500, 97 with 1,000 (one more item for the
/// `version` stage's 25 to lose it to) and 94 with 250; the version stage costs about its input's size,
/// docs/learned-models.md), `array` (the code array, default `hashes`), `band`
/// (0, the default: full DTW; else a Sakoe-Chiba band of this share of each item's length around the diagonal of
/// the length-fitted pair, `HashBand`, for whole scores against whole recordings: only the band's cells are
/// computed, and early abandoning bites sooner), `pass` (default 0: the first `pass` candidates the stage is given
/// go on after the `keep` cheapest whatever their hash cost, for a first stage whose best are surer than the hash
/// costs; eleventh round: the shingle vote's first in the hashed task, whose true items the hash stage ranked up
/// to 488th of its 500 on the tune half while the vote ranked most of those first), `relative_weight` (default 0:
/// the cost per code as above; `w` > 0 multiplies it by `1 + w / mean`, where `mean` is the mean Hamming distance
/// between all code pairs of the query and the item (`HashCodeBitShares`), as `VersionMatcher` scales its DTW
/// cost: every candidate is then scored, none abandoned, since the scaling can reorder them; twelfth round, tune half
/// at 10,000 items in the hashed task: w = 0 / 2 / 4 / 8 / 64 put the true recording at most 489th / 527th / 550th /
/// 565th / 626th of the union's items, 99th percentile 436 / 280 / 233 / 211 / 202, 95th 187 / 106 / 93 / 53 / 45,
/// and 98 / 98 / 98 / 98 / 97 of 98 survived: a tighter spread but a worse largest rank, so it stays off),
/// `margin` (default 0: none; `m` > 0: the candidates past the `keep` cheapest whose cost per code is at most
/// `1 + m` times the `keep`-th cheapest's go on too, at most `margin_keep` of them, default `keep`: a keep that
/// grows where the costs near the cut are close; issue 20, fifteenth round), `pianoroll` (default `off`; for a MIDI
/// query, a second reading of the score from its piano roll, `HashPianoRollReading`: `only`, `min`, `mean` or `rank`
/// of the two normalised costs, every candidate then scored by both; `pianoroll_model`, default `shipped`; a query
/// without a second reading, i.e. not a score, a score under 0.4 s, or codes that are the piano roll's already, is read
/// once as with `off`),
/// `embedding_weight` (default 0: none; `w` > 0: the keep is taken by reciprocal rank fusion of the hash ranking, weight
/// 1, with the candidates' embedding-distance ranking, weight `w`, `HashStageFusion`, constant `fusion_k`, default 60:
/// so that an item the embedding ranks near the top is not dropped for a middling hash cost; every candidate is then
/// scored). With either fusion the stage's output is in the fused order (the version stage's `pass` takes its first)
/// and each score is the hash cost (the two readings' combined cost); issue 20, seventeenth round.
public struct HashDTWStage: SearchStage {
    public let name = "hash-dtw"
    public var keep: Int
    public var array: String
    /// Nil: full DTW.
    public var band: HashBand?
    /// The first `pass` candidates given go on whatever their cost (after the `keep` cheapest).
    public var pass: Int
    /// 0: rank by the cost per code; `w` > 0: by the cost per code times `1 + w / (mean pair distance, bits)`.
    public var relativeWeight: Double
    /// 0: none; `m` > 0: candidates past the `keep` cheapest within `1 + m` times the `keep`-th cost go on too.
    public var margin: Double
    /// The most candidates `margin` adds.
    public var marginKeep: Int
    /// A second reading of a MIDI query from its piano roll, and how the two costs combine (`off`: none).
    public var pianoRoll: HashPianoRollReading
    /// The piano-roll network: "shipped" or a model file's path.
    public var pianoRollModel: String
    /// 0: the keep by hash cost; `w` > 0: by reciprocal rank fusion with the embedding ranking at weight `w`.
    public var embeddingWeight: Double
    /// Reciprocal rank fusion's constant `k`.
    public var fusionK: Double

    /// Whether every candidate must be scored, none abandoned (a fused order can take any of them; the piano roll
    /// `only` is one reading's cost order, which abandons as the default does).
    var scoresEveryCandidate: Bool { relativeWeight > 0 || (pianoRoll != .off && pianoRoll != .only) || embeddingWeight > 0 }
    /// Whether the keep is taken by a fused rank rather than by a cost.
    var fusesRanks: Bool { pianoRoll == .rank || embeddingWeight > 0 }

    public init(keep: Int = 500, array: String = HashEncoder.name, band: HashBand? = nil, pass: Int = 0, relativeWeight: Double = 0,
                margin: Double = 0, marginKeep: Int? = nil, pianoRoll: HashPianoRollReading = .off, pianoRollModel: String = "shipped",
                embeddingWeight: Double = 0, fusionK: Double = HashStageFusion.defaultK) {
        self.keep = keep
        self.array = array
        self.band = band
        self.pass = max(0, pass)
        self.relativeWeight = max(0, relativeWeight)
        self.margin = max(0, margin)
        self.marginKeep = max(0, marginKeep ?? keep)
        self.pianoRoll = pianoRoll
        self.pianoRollModel = pianoRollModel
        self.embeddingWeight = max(0, embeddingWeight)
        self.fusionK = fusionK > 0 && fusionK.isFinite ? fusionK : HashStageFusion.defaultK
    }

    public init(spec: StageSpec) throws {
        let keep = try spec.int("keep", default: 500)
        guard keep >= 1 else { throw RefrainError.invalidArgument("hash-dtw: keep must be at least 1") }
        let band = try spec.double("band", default: 0)
        guard band >= 0, band.isFinite else { throw RefrainError.invalidArgument("hash-dtw: band is a share of an item's length, 0 or more (0: none)") }
        let pass = try spec.int("pass", default: 0)
        guard pass >= 0 else { throw RefrainError.invalidArgument("hash-dtw: pass is a number of candidates, 0 or more") }
        let relative = try spec.double("relative_weight", default: 0)
        guard relative >= 0, relative.isFinite else { throw RefrainError.invalidArgument("hash-dtw: relative_weight is a weight, 0 or more (0: none)") }
        let margin = try spec.double("margin", default: 0)
        guard margin >= 0, margin.isFinite else { throw RefrainError.invalidArgument("hash-dtw: margin is a share of the keep-th cost, 0 or more (0: none)") }
        let marginKeep = try spec.int("margin_keep", default: keep)
        guard marginKeep >= 0 else { throw RefrainError.invalidArgument("hash-dtw: margin_keep is a number of candidates, 0 or more") }
        let readingName = spec.options["pianoroll"] ?? HashPianoRollReading.off.rawValue
        guard let reading = HashPianoRollReading(rawValue: readingName) else {
            throw RefrainError.invalidArgument("hash-dtw: pianoroll is one of \(HashPianoRollReading.allCases.map(\.rawValue).joined(separator: ", ")), not '\(readingName)'")
        }
        let embeddingWeight = try spec.double("embedding_weight", default: 0)
        guard embeddingWeight >= 0, embeddingWeight.isFinite else {
            throw RefrainError.invalidArgument("hash-dtw: embedding_weight is a weight, 0 or more (0: none)")
        }
        let fusionK = try spec.double("fusion_k", default: HashStageFusion.defaultK)
        guard fusionK > 0, fusionK.isFinite else { throw RefrainError.invalidArgument("hash-dtw: fusion_k is a positive number (reciprocal rank fusion's k)") }
        guard relative == 0 || reading == .off else {
            throw RefrainError.invalidArgument("hash-dtw: relative_weight scales one reading's cost; it does not combine with pianoroll")
        }
        guard margin == 0 || (reading != .rank && embeddingWeight == 0) else {
            throw RefrainError.invalidArgument("hash-dtw: margin widens a keep by cost; it does not combine with a fused rank (pianoroll=rank or embedding_weight)")
        }
        self.init(keep: keep, array: spec.options["array"] ?? HashEncoder.name, band: band > 0 ? HashBand(fraction: band) : nil, pass: pass,
                  relativeWeight: relative, margin: margin, marginKeep: marginKeep, pianoRoll: reading,
                  pianoRollModel: spec.options["pianoroll_model"] ?? "shipped", embeddingWeight: embeddingWeight, fusionK: fusionK)
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let codes = query.analysis.codes[array] else {
            throw RefrainError.invalidArgument("hash-dtw: the query has no '\(array)' hash sequence (the task must encode it)")
        }
        guard let q = codes.array.values(as: UInt16.self), !q.isEmpty else {
            throw RefrainError.invalidArgument("hash-dtw: the query's '\(array)' codes are not a non-empty uint16 sequence")
        }
        // The second reading, where the query has one; else the stage reads it once, as with `pianoroll=off`.
        let rollCodes = pianoRoll == .off ? nil
            : try QueryPianoRollCodes.shared.codes(of: query.analysis, array: array, model: pianoRollModel, threads: query.threads)
        if pianoRoll != .off, rollCodes == nil {
            var single = self
            single.pianoRoll = .off
            return try single.run(query, candidates: candidates, store: store)
        }
        let database = try HashDatabases.shared.database(array, of: store)
        var byPosition: [Int: Candidate] = [:]
        for candidate in candidates {
            if let k = database.position[candidate.itemID] { byPosition[k] = candidate }
        }
        // The full layout when the candidates are (nearly) every item; else a layout of the candidates only
        // (after the embedding stage: a few hundred of many thousands).
        let positions: [Int]?
        let batch: HashBatchDatabase
        if byPosition.count * 2 >= database.lengths.count {
            positions = nil
            batch = try database.batch()
        } else {
            let chosen = byPosition.keys.sorted()
            positions = chosen
            batch = try HashBatchDatabase(sequences: chosen.map { database.sequences[$0] })
        }
        // Every item the stage was not given is still in the full layout: ask for enough to keep `keep` of them.
        let extra = positions == nil ? database.lengths.count - byPosition.count : 0
        // A relative score or a fusion can reorder the costs: then every candidate is scored.
        let widest = keep + (margin > 0 ? marginKeep : 0)
        let count = scoresEveryCandidate ? batch.count : min(batch.count, widest + extra)
        var scored: [Candidate] = []
        if pianoRoll != .off || embeddingWeight > 0 {
            scored = try fusedCosts(query, q: q, rollCodes: rollCodes, candidates: byPosition, positions: positions, batch: batch, database: database,
                                    count: count, store: store)
            return finish(scored, candidates: candidates)
        }
        let found = try BatchDTW.nearestNormalized(query: q, database: batch, count: count, band: band, threads: query.threads)
        // Only a relative score needs the bit shares (of the query, and of each item it scores).
        let queryShares = relativeWeight > 0 ? HashCodeBitShares(q) : nil
        HashDTWCells.shared.record(found.cells, of: found.fullCells)
        for match in found.matches {
            let k = positions.map { $0[match.index] } ?? match.index
            guard var candidate = byPosition[k] else { continue }
            candidate.score = Self.perCode(match.cost, length: q.count + database.lengths[k])
            if let queryShares {
                let itemShares = HashCodeBitShares(database.sequences[k])
                candidate.score *= 1 + relativeWeight / max(queryShares.meanDistance(to: itemShares), 1e-3)
            }
            scored.append(candidate)
        }
        scored.sort { $0.score < $1.score || ($0.score == $1.score && $0.key < $1.key) }
        return finish(scored, candidates: candidates)
    }

    /// The kernel's cost is an integer sum of bit counts: recovered from the Float ratio and divided in Double.
    static func perCode(_ cost: Float, length: Int) -> Double {
        let length = Double(length)
        return cost.isFinite ? (Double(cost) * length).rounded() / length : .infinity
    }

    /// The keep (and `margin`'s extra) of `scored`, which is in the order the keep is taken from, then the first
    /// `pass` of `candidates`.
    private func finish(_ scored: [Candidate], candidates: [Candidate]) -> [Candidate] {
        var kept = Array(scored.prefix(keep))
        if margin > 0, let cut = kept.last?.score, cut.isFinite {
            kept += scored.dropFirst(keep).prefix(marginKeep).prefix { $0.score <= cut * (1 + margin) }
        }
        guard pass > 0 else { return kept }
        // The first `pass` candidates given follow, with their cost when the search scored them (else infinity).
        var seen = Set(kept.map(\.itemID))
        let costs = Dictionary(scored.map { ($0.itemID, $0.score) }, uniquingKeysWith: { a, _ in a })
        for var candidate in candidates.prefix(pass) where seen.insert(candidate.itemID).inserted {
            candidate.score = costs[candidate.itemID] ?? .infinity
            kept.append(candidate)
        }
        return kept
    }

    /// Every candidate scored by the synthesized score's codes and (with `pianoRoll`) the piano roll's, combined
    /// (`HashStageFusion.combined`), in the order the keep is taken from: by the combined cost, or with a fused rank
    /// (`pianoroll=rank`, `embedding_weight`) by reciprocal rank fusion, best first. Scores are the combined costs.
    private func fusedCosts(_ query: SearchQuery, q: [UInt16], rollCodes: [UInt16]?, candidates byPosition: [Int: Candidate], positions: [Int]?,
                            batch: HashBatchDatabase, database: HashDatabases.Entry, count: Int, store: IndexStore) throws -> [Candidate] {
        // Per layout row: each reading's cost (infinity where not scored).
        func costs(of codes: [UInt16]) throws -> [Double] {
            let found = try BatchDTW.nearestNormalized(query: codes, database: batch, count: count, band: band, threads: query.threads)
            HashDTWCells.shared.record(found.cells, of: found.fullCells)
            var out = [Double](repeating: .infinity, count: batch.count)
            for match in found.matches {
                let k = positions.map { $0[match.index] } ?? match.index
                out[match.index] = Self.perCode(match.cost, length: codes.count + database.lengths[k])
            }
            return out
        }
        let synth = pianoRoll == .only ? nil : try costs(of: q)
        let roll = try rollCodes.map { try costs(of: $0) }
        // The candidates, by layout row.
        var rows: [Int] = [], list: [Candidate] = []
        for row in 0..<batch.count {
            let k = positions.map { $0[row] } ?? row
            guard var candidate = byPosition[k] else { continue }
            candidate.score = HashStageFusion.combined(pianoRoll, synth: synth?[row] ?? .infinity, roll: roll?[row] ?? .infinity)
            rows.append(row)
            list.append(candidate)
        }
        guard fusesRanks else {
            return list.sorted { $0.score < $1.score || ($0.score == $1.score && $0.key < $1.key) }
        }
        var readings: [(costs: [Double], weight: Double)] = []
        if pianoRoll == .rank, let synth, let roll {
            readings.append((rows.map { synth[$0] }, 1))
            readings.append((rows.map { roll[$0] }, 1))
        } else {
            readings.append((list.map(\.score), 1))
        }
        if embeddingWeight > 0 {
            readings.append((try embeddingDistances(query, of: list, store: store), embeddingWeight))
        }
        let fused = HashStageFusion.reciprocalRanks(readings, k: fusionK)
        let order = list.indices.sorted { a, b in
            fused[a] > fused[b] || (fused[a] == fused[b] && (list[a].score < list[b].score || (list[a].score == list[b].score && list[a].key < list[b].key)))
        }
        return order.map { list[$0] }
    }

    /// The Euclidean distance of each of `list`'s items' learned embeddings to the query's (`EmbeddingEncoder`;
    /// infinity for an item without one).
    private func embeddingDistances(_ query: SearchQuery, of list: [Candidate], store: IndexStore) throws -> [Double] {
        let name = EmbeddingEncoder.name
        guard let sequence = query.analysis.features[name], sequence.frameCount >= 1 else {
            throw RefrainError.invalidArgument("hash-dtw: embedding_weight needs the query's '\(name)' embedding (the task must encode it)")
        }
        let vector = Array(sequence.values.storage[0..<sequence.dimension])
        let database = try EmbeddingDatabases.shared.database(name, of: store, dimension: vector.count)
        let distances = database.distances(to: vector)
        return list.map { candidate in database.position[candidate.itemID].map { Double(distances[$0]) } ?? .infinity }
    }
}

/// DTW cells the `hash-dtw` stage computed in this process, and the cells full runs would have computed
/// (early abandoning saves the difference), for benchmarks.
public final class HashDTWCells: @unchecked Sendable {
    public static let shared = HashDTWCells()
    private var done = 0, full = 0
    private let lock = NSLock()

    func record(_ cells: Int, of total: Int) { lock.lock(); done += cells; full += total; lock.unlock() }

    /// The counts since the last call (and resets them).
    public func take() -> (cells: Int, fullCells: Int) {
        lock.lock()
        defer { done = 0; full = 0; lock.unlock() }
        return (done, full)
    }
}

/// The hash sequences of an index laid out for the batch kernel, built once per index state (item set) and
/// kept while the process runs.
final class HashDatabases: @unchecked Sendable {
    static let shared = HashDatabases()

    final class Entry: @unchecked Sendable {
        /// Position of each item id (in `sequences`).
        let position: [Int64: Int]
        /// Codes per item, by position.
        let lengths: [Int]
        /// The codes of each item, by position.
        let sequences: [[UInt16]]
        private var built: HashBatchDatabase?
        private let lock = NSLock()

        init(position: [Int64: Int], sequences: [[UInt16]]) {
            self.position = position
            self.sequences = sequences
            self.lengths = sequences.map(\.count)
        }

        /// Every item laid out for the batch kernel, by position: built on first use, since a search after
        /// `embedding-nn` lays out only its candidates (a CLI query at 100,000 items would otherwise spend its
        /// time laying out items it never searches).
        func batch() throws -> HashBatchDatabase {
            lock.lock()
            defer { lock.unlock() }
            if let built { return built }
            let layout = try HashBatchDatabase(sequences: sequences)
            built = layout
            return layout
        }
    }

    private let cache = IndexArrayCache<Entry>()

    /// Forgets what was loaded from the index in `directory` (the next search reads it again).
    func forget(_ directory: URL) { cache.forget(directory) }

    func database(_ array: String, of store: IndexStore) throws -> Entry {
        try cache.entry(array, of: store) { try Self.read(array, of: store) }
    }

    private static func read(_ array: String, of store: IndexStore) throws -> Entry {
        // One packed file for the whole array kind (`IndexStore.packedArrays`), not one `.npy` per item.
        let pack = try store.packedArrays(named: array)
        guard pack.count == 0 || (pack.dtype == .uint16 && pack.dims == 1) else {
            throw RefrainError(.index, "'\(array)' is \(pack.dims) \(pack.dtype.rawValue) values per frame, hash-dtw reads one uint16 code per frame")
        }
        var sequences: [[UInt16]] = [], position: [Int64: Int] = [:]
        sequences.reserveCapacity(pack.count)
        for k in 0..<pack.count {
            guard pack.frames(at: k) >= 1, let codes = pack.values(at: k, as: UInt16.self) else { continue }
            position[pack.ids[k]] = sequences.count
            sequences.append(codes)
        }
        return Entry(position: position, sequences: sequences)
    }
}
