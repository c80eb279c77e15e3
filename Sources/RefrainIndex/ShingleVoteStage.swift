import Foundation
import RefrainLearn
import RefrainMath

/// Pruning by shingle votes (Grosche & Müller 2012; Zalkow & Müller 2020): every shingle of the query
/// (hop 1), PCA-reduced, fetches its `neighbours` nearest indexed shingles from the HNSW graph; each item
/// gets one vote per query shingle that found at least one of its shingles, and the `keep` items with
/// most votes go on. Items added after the graph's last update are always kept, so pruning never hides
/// an item the graph has not seen. A query shorter than one shingle passes every candidate on.
///
/// Score: `1 - votes / query shingles` (lower is better). Span: the median of the item start times
/// implied by the hits (item shingle start - query shingle start), lasting the query's duration.
public struct ShingleVoteStage: SearchStage {
    public let name = "shingle-vote"
    public let index: ShingleIndex?
    /// Items kept.
    public var keep: Int
    /// Neighbours fetched per query shingle, and the HNSW search breadth.
    public var neighbours: Int
    public var ef: Int

    public init(index: ShingleIndex?, keep: Int = 100, neighbours: Int = 50, ef: Int = 100) {
        self.index = index
        self.keep = keep
        self.neighbours = neighbours
        self.ef = ef
    }

    /// From a spec: options `keep`, `neighbours`, `ef`.
    public init(spec: StageSpec, store: IndexStore) throws {
        self.init(index: try ShingleIndex.current(in: store), keep: try spec.int("keep", default: 100),
                  neighbours: try spec.int("neighbours", default: 50), ef: try spec.int("ef", default: 100))
        guard keep > 0, neighbours > 0 else { throw RefrainError.invalidArgument("shingle-vote: keep and neighbours must be positive") }
    }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let index, let sequence = query.analysis.features[index.settings.array],
              sequence.dimension * index.settings.length == index.pca.inputDimension else { return candidates }
        let settings = index.settings
        let (starts, shingles) = Shingles.extract(sequence.values, length: settings.length, hop: 1)
        guard !starts.isEmpty else { return candidates }
        let reduced = index.pca.transform(shingles)
        let frameSeconds = sequence.frameRate > 0 ? 1 / sequence.frameRate : 0
        let allowed = Set(candidates.map(\.itemID))
        let hits = try nearestItems(of: reduced, starts: starts, allowed: allowed, index: index, threads: query.threads)
        var votes: [Int64: Int] = [:]
        var offsets: [Int64: [Double]] = [:]
        for (q, queryStart) in starts.enumerated() {
            for (item, shingle) in hits[q] {
                votes[item, default: 0] += 1
                offsets[item, default: []].append(Double(shingle * settings.hop - queryStart) * frameSeconds)
            }
        }
        let duration = Double(sequence.frameCount) * frameSeconds
        var voted: [Candidate] = []
        var unseen: [Candidate] = []
        for var candidate in candidates {
            if candidate.itemID > index.state.coveredThroughItemID {
                unseen.append(candidate)
            } else if let count = votes[candidate.itemID] {
                candidate.score = 1 - Double(count) / Double(starts.count)
                let sorted = offsets[candidate.itemID]!.sorted()
                let start = max(0, sorted[sorted.count / 2])
                candidate.start = start
                candidate.end = start + duration
                voted.append(candidate)
            }
        }
        voted.sort { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        return Array(voted.prefix(keep)) + unseen
    }

    /// For every query shingle (row of `reduced`), the items among `allowed` that its `neighbours` nearest
    /// indexed shingles belong to, each once, with the index of the nearest shingle of that item. The
    /// graph searches run on `threads` threads (they only read the graph).
    func nearestItems(of reduced: Matrix, starts: [Int], allowed: Set<Int64>,
                      index: ShingleIndex, threads: Int) throws -> [[(item: Int64, shingle: Int)]] {
        var hits = [[(item: Int64, shingle: Int)]](repeating: [], count: starts.count)
        try reduced.storage.withUnsafeBufferPointer { buffer in
            try hits.withUnsafeMutableBufferPointer { out in
                try concurrentForEach(starts.count, threads: threads) { q in
                    let row = UnsafeBufferPointer(rebasing: buffer[(q * reduced.cols)..<((q + 1) * reduced.cols)])
                    var seen = Set<Int64>()
                    var found: [(item: Int64, shingle: Int)] = []
                    for hit in try index.graph.search(row, k: neighbours, ef: ef) {
                        let item = ShingleIndex.item(ofLabel: hit.label)
                        guard allowed.contains(item), seen.insert(item).inserted else { continue }
                        found.append((item, ShingleIndex.shingle(ofLabel: hit.label)))
                    }
                    out[q] = found
                }
            }
        }
        return hits
    }
}
