import Foundation
import RefrainLearn
import RefrainMath

/// Pruning by shingle votes (Grosche & Müller 2012; Zalkow & Müller 2020): every shingle of the query
/// (hop 1), reduced (PCA or the learned reducer), fetches its `neighbours` nearest indexed shingles from the
/// HNSW graph; each item gets one vote per query shingle that found at least one of its shingles, and the
/// `keep` items with most votes go on. Items added after the graph's last update are always kept, so pruning
/// never hides an item the graph has not seen. A query shorter than one shingle passes every candidate on.
///
/// Score: `1 - votes / query shingles` (lower is better); equal votes are told apart by how near the
/// hits were (`closeness`), so that a short query, whose one or two shingles vote for most items alike,
/// still passes on the items its shingles found nearest instead of the first by id. Span: the median of
/// the item start times implied by the hits (item shingle start - query shingle start), lasting the
/// query's duration.
public struct ShingleVoteStage: SearchStage {
    public let name = "shingle-vote"
    public let index: ShingleIndex?
    /// Items kept.
    public var keep: Int
    /// Neighbours fetched per query shingle, and the HNSW search breadth.
    public var neighbours: Int
    public var ef: Int
    /// With a `canonicalKey` shingle transform: the query's shingles are searched rotated to each of their
    /// `rotations` strongest pitch classes, and a query shingle's hits are the union (each item once).
    public var rotations: Int
    /// Frames between the starts of the query's shingles (1: every frame; a long query, such as a whole
    /// score, votes about as well with every second or third).
    public var queryHop: Int
    /// Votes count only when they agree on where the query lies in the item: an item's score is the
    /// largest number of its hits whose offsets (item frame - query frame) lie within `consistency` times
    /// the query's length (at least `minimumWindow` frames; the slack absorbs tempo differences) of each
    /// other, as in fingerprinting's offset histograms (Wang 2003). Hits of an unrelated long item scatter
    /// over offsets; a true match's line up. 0 counts every vote.
    public var consistency: Double = 0.5
    public var minimumWindow = 6
    /// When fewer than `keep` items got a vote, the items without one follow (score 1, in the order they
    /// came), up to `keep` in all: a collection no larger than `keep` is then searched exhaustively, and
    /// a noisy query whose shingles found none of the true item's still reaches the exact stage there.
    public var fill = false
    /// The order in which the items without a vote fill up to `keep`; nil: the order they came in (the
    /// catalogue's). Asked only when more of them are left than places.
    public var fillOrder: (any CandidateOrdering)?

    public init(index: ShingleIndex?, keep: Int = 100, neighbours: Int = 50, ef: Int = 100, rotations: Int = 2, queryHop: Int = 1) {
        self.index = index
        self.keep = keep
        self.neighbours = neighbours
        self.ef = ef
        self.rotations = max(1, rotations)
        self.queryHop = max(1, queryHop)
    }

    /// From a spec: options `keep`, `neighbours`, `ef`, `rotations`, `query_hop`, `consistency`, `fill`
    /// (`true` or `false`).
    public init(spec: StageSpec, store: IndexStore) throws {
        self.init(index: try ShingleIndex.current(in: store), keep: try spec.int("keep", default: 100),
                  neighbours: try spec.int("neighbours", default: 50), ef: try spec.int("ef", default: 100),
                  rotations: try spec.int("rotations", default: 2), queryHop: try spec.int("query_hop", default: 1))
        consistency = try spec.double("consistency", default: 0.5)
        switch spec.options["fill"] ?? "false" {
        case "true": fill = true
        case "false": fill = false
        case let other: throw RefrainError.invalidArgument("shingle-vote: fill must be true or false, got '\(other)'")
        }
        guard keep > 0, neighbours > 0 else { throw RefrainError.invalidArgument("shingle-vote: keep and neighbours must be positive") }
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let index, let sequence = query.analysis.features[index.settings.array],
              index.settings.transformedWidth(dims: sequence.dimension) == index.reducer.inputDimension else { return candidates }
        let settings = index.settings
        let (starts, variants) = settings.effectiveTransform.queryShingles(sequence.values, length: settings.length, hop: queryHop,
                                                                            alternatives: rotations)
        guard !starts.isEmpty else { return candidates }
        let frameSeconds = sequence.frameRate > 0 ? 1 / sequence.frameRate : 0
        let allowed = Set(candidates.map(\.itemID))
        var hits: [[Hit]] = []
        for variant in variants {
            let found = try nearestItems(of: index.reducer.reduce(variant), starts: starts, allowed: allowed, index: index,
                                         threads: query.threads)
            if hits.isEmpty { hits = found; continue }
            for q in hits.indices {
                // Each item once, with its nearest shingle over the variants.
                var position: [Int64: Int] = [:]
                for (i, hit) in hits[q].enumerated() { position[hit.item] = i }
                for hit in found[q] {
                    if let i = position[hit.item] {
                        if hit.closeness > hits[q][i].closeness { hits[q][i] = hit }
                    } else {
                        hits[q].append(hit)
                    }
                }
            }
        }
        var offsets: [Int64: [Int]] = [:]
        var nearness: [Int64: Double] = [:]
        for (q, queryStart) in starts.enumerated() {
            for hit in hits[q] {
                offsets[hit.item, default: []].append(hit.shingle * settings.hop - queryStart)
                nearness[hit.item, default: 0] += hit.closeness
            }
        }
        let duration = Double(sequence.frameCount) * frameSeconds
        let window = consistency > 0 ? max(minimumWindow, Int((consistency * Double(sequence.frameCount)).rounded())) : Int.max
        var voted: [Candidate] = []
        var unseen: [Candidate] = []
        var unvoted: [Candidate] = []
        for var candidate in candidates {
            if candidate.itemID > index.state.coveredThroughItemID {
                unseen.append(candidate)
            } else if let found = offsets[candidate.itemID] {
                let (count, offset) = Self.consistentVotes(found.sorted(), window: window)
                // Consistent votes first; all votes, weighted by their closeness, break ties.
                candidate.score = Self.score(consistent: count, closeness: nearness[candidate.itemID] ?? 0, shingles: starts.count)
                let start = max(0, Double(offset) * frameSeconds)
                candidate.start = start
                candidate.end = start + duration
                voted.append(candidate)
            } else if fill {
                candidate.score = 1
                candidate.start = nil
                candidate.end = nil
                unvoted.append(candidate)
            }
        }
        voted.sort { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        let kept = Array(voted.prefix(keep))
        let places = max(0, keep - kept.count)
        if let fillOrder, places > 0, unvoted.count > places {
            unvoted = try fillOrder.ordered(query, unvoted, store: store).prefix(places).map { candidate in
                var filled = candidate
                filled.score = 1
                filled.start = nil
                filled.end = nil
                return filled
            }
        }
        return kept + unvoted.prefix(places) + unseen
    }

    /// One query shingle's hit on an item: the item, its nearest shingle among the neighbours, and
    /// `closeness` = 1 - (that neighbour's rank among the items found) / `neighbours`, in (0, 1].
    struct Hit {
        var item: Int64
        var shingle: Int
        var closeness: Double
    }

    /// `1 - (consistent + 0.001 * closeness) / shingles`: consistent votes decide; the sum of the hits'
    /// closeness (at most one per query shingle, so below the next whole vote) breaks ties.
    public static func score(consistent: Int, closeness: Double, shingles: Int) -> Double {
        1 - (Double(consistent) + 0.001 * closeness) / Double(max(shingles, 1))
    }

    /// The most offsets (sorted, frames) within `window` frames of each other (all of them for
    /// `Int.max`), and the median of those.
    public static func consistentVotes(_ sorted: [Int], window: Int) -> (count: Int, offset: Int) {
        guard !sorted.isEmpty else { return (0, 0) }
        guard window < Int.max else { return (sorted.count, sorted[sorted.count / 2]) }
        var best = (count: 0, from: 0), lo = 0
        for hi in sorted.indices {
            while sorted[hi] - sorted[lo] > window { lo += 1 }
            if hi - lo + 1 > best.count { best = (hi - lo + 1, lo) }
        }
        return (best.count, sorted[best.from + best.count / 2])
    }

    /// For every query shingle (row of `reduced`), the items among `allowed` that its `neighbours` nearest
    /// indexed shingles belong to, each once, nearest first, with the index of the nearest shingle of that
    /// item. The graph searches run on `threads` threads (they only read the graph).
    func nearestItems(of reduced: Matrix, starts: [Int], allowed: Set<Int64>,
                      index: ShingleIndex, threads: Int) throws -> [[Hit]] {
        var hits = [[Hit]](repeating: [], count: starts.count)
        try reduced.storage.withUnsafeBufferPointer { buffer in
            try hits.withUnsafeMutableBufferPointer { out in
                try concurrentForEach(starts.count, threads: threads) { q in
                    let row = UnsafeBufferPointer(rebasing: buffer[(q * reduced.cols)..<((q + 1) * reduced.cols)])
                    var seen = Set<Int64>()
                    var found: [Hit] = []
                    for hit in try index.graph.search(row, k: neighbours, ef: ef) {
                        let item = ShingleIndex.item(ofLabel: hit.label)
                        guard allowed.contains(item), seen.insert(item).inserted else { continue }
                        found.append(Hit(item: item, shingle: ShingleIndex.shingle(ofLabel: hit.label),
                                         closeness: 1 - Double(found.count) / Double(neighbours)))
                    }
                    out[q] = found
                }
            }
        }
        return hits
    }
}
