import RefrainMath

/// Nearest-neighbour search over candidate sequences with the UCR-suite cascade (Rakthanmanon et
/// al., KDD 2012): LB_Kim, then LB_Keogh, then DTW with early abandoning against the current k-th
/// best cost. Exact: the result equals a full scan.
public enum DTWSearch {
    /// How many candidates each stage removed.
    public struct Statistics: Equatable, Sendable {
        public var candidates = 0
        public var prunedByKim = 0
        public var prunedByKeogh = 0
        public var abandonedDTW = 0
        public var completedDTW = 0
    }

    /// The `count` candidates (`frames x dims` each) closest to `query` under full DTW with
    /// `metric` ((squared) Euclidean) and `constraint`, best first, and the pruning statistics.
    public static func nearest(query: Matrix, candidates: [Matrix], count: Int, metric: CostMetric = .squaredEuclidean,
                               constraint: GlobalConstraint = .none) throws -> (matches: [BatchMatch], statistics: Statistics) {
        var stats = Statistics()
        stats.candidates = candidates.count
        var best: [BatchMatch] = []
        var envelopes: [Int: LowerBound.Envelope] = [:]
        let options = DTWOptions(constraint: constraint)
        func threshold() -> Float { best.count == count ? best[count - 1].cost : .infinity }
        for (index, candidate) in candidates.enumerated() {
            guard candidate.rows > 0 else { continue }
            let limit = threshold()
            if try LowerBound.kim(query, candidate, metric: metric) > limit { stats.prunedByKim += 1; continue }
            if metric != .cosine {
                let envelope: LowerBound.Envelope
                if let e = envelopes[candidate.rows] { envelope = e } else {
                    envelope = try LowerBound.Envelope(query: query, candidateLength: candidate.rows, constraint: constraint, metric: metric)
                    envelopes[candidate.rows] = envelope
                }
                if try LowerBound.keogh(envelope, candidate) > limit { stats.prunedByKeogh += 1; continue }
            }
            let cost = try DTW.distance(query, candidate, metric: metric, options: options, abandonAbove: limit)
            if cost == .infinity || cost > limit { stats.abandonedDTW += 1; continue }
            stats.completedDTW += 1
            best.append(BatchMatch(index: index, cost: cost))
            best.sort { $0.cost < $1.cost || ($0.cost == $1.cost && $0.index < $1.index) }
            if best.count > count { best.removeLast() }
        }
        return (best, stats)
    }
}
