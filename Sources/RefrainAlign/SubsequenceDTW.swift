import RefrainMath

/// One occurrence of a query inside a longer sequence.
public struct SubsequenceMatch: Equatable, Sendable {
    /// First and last matched frames of the longer (database) sequence, inclusive.
    public var start: Int
    public var end: Int
    /// Accumulated cost of the match's path.
    public var cost: Float
    /// The path, `i` over query frames (0 ... N-1), `j` over database frames (start ... end).
    public var path: [PathStep]
}

/// Subsequence DTW (Müller, "Fundamentals of Music Processing", 2015, sec. 7.2): the query (rows of
/// the cost matrix) is matched as a whole, the database sequence (columns) may be entered and left
/// anywhere. librosa's `sequence.dtw(subseq=True)` conventions: `D[0, j] = C[0, j]`.
public enum SubsequenceDTW {
    /// The matching function `D[N-1, :]`: `M` values, the cost of the best match ending at each
    /// database frame.
    public static func matchingFunction(cost: Matrix, weights: StepWeights = .standard) throws -> [Float] {
        try DTW.validate(cost, DTWOptions(weights: weights))
        return DTW.accumulate(cost: cost, options: DTWOptions(weights: weights), subsequence: true, keepAll: false).lastRow()
    }

    /// The `count` best non-overlapping matches of the query (rows of `cost`, `N x M`), best first.
    /// A candidate end frame is skipped when its path overlaps, in database frames, a match already
    /// taken. Memory: `N x M` floats.
    ///
    /// - Parameter abandonAbove: when even the best match costs more than this (accumulated cost), no
    ///   path is traced and the result is empty (early abandoning in a search). With weights that never
    ///   make a move cheaper than its cell, the accumulation itself stops at the first row whose every
    ///   cell is over the limit: every match crosses every query row (Rakthanmanon et al. 2012).
    public static func bestMatches(cost: Matrix, count: Int = 1, weights: StepWeights = .standard,
                                   abandonAbove: Float = .infinity) throws -> [SubsequenceMatch] {
        guard count > 0 else { return [] }
        let options = DTWOptions(weights: weights)
        try DTW.validate(cost, options)
        let acc = DTW.accumulate(cost: cost, options: options, subsequence: true, keepAll: true,
                                 abandonAbove: weights.neverDiscounts ? abandonAbove : .infinity)
        return bestMatches(acc, cost: cost, count: count, weights: weights, abandonAbove: abandonAbove)
    }

    /// The matches of a kept subsequence accumulation of `cost` (see `bestMatches(cost:...)`).
    static func bestMatches(_ acc: StripedAccumulation, cost: Matrix, count: Int, weights: StepWeights,
                            abandonAbove: Float) -> [SubsequenceMatch] {
        if acc.abandoned { return [] }
        let last = acc.lastRow()
        guard let best = last.min(), best <= abandonAbove else { return [] }
        var taken: [SubsequenceMatch] = []
        var covered = [Bool](repeating: false, count: cost.cols)
        var ends = EndOrder(last)
        while let end = ends.next(skipping: covered) {
            let path = DTW.backtrack(acc, cost: cost, weights: weights, from: end, subsequence: true)
            let start = path.first!.j
            if (start...end).contains(where: { covered[$0] }) { continue }
            for j in start...end { covered[j] = true }
            taken.append(SubsequenceMatch(start: start, end: end, cost: last[end], path: path))
            if taken.count == count { break }
        }
        return taken
    }

    /// The finite end frames of a matching function, cheapest first (ties: earlier first), skipping those
    /// already covered by a match. The first few come from linear scans, since a search usually needs
    /// only a handful; after `scans` of them, the rest are sorted once. Either way the order is that of
    /// sorting all ends by (cost, frame).
    struct EndOrder {
        let costs: [Float]
        var tried: [Bool]
        var sorted: [Int]?
        var position = 0
        var scansLeft: Int

        init(_ costs: [Float], scans: Int = 16) {
            self.costs = costs
            tried = costs.map { !$0.isFinite }
            scansLeft = scans
        }

        mutating func next(skipping covered: [Bool]) -> Int? {
            if scansLeft > 0 {
                scansLeft -= 1
                var best = -1
                for j in costs.indices where !tried[j] && !covered[j] && (best < 0 || costs[j] < costs[best]) { best = j }
                guard best >= 0 else { return nil }
                tried[best] = true
                return best
            }
            if sorted == nil {
                sorted = costs.indices.filter { !tried[$0] }.sorted { costs[$0] < costs[$1] || (costs[$0] == costs[$1] && $0 < $1) }
            }
            while let order = sorted, position < order.count {
                let j = order[position]
                position += 1
                if !covered[j] { return j }
            }
            return nil
        }
    }

    /// The best matches of `query` (`N x dims`) in `database` (`M x dims`) under `metric`.
    public static func bestMatches(query: Matrix, database: Matrix, metric: CostMetric = .euclidean,
                                   count: Int = 1, weights: StepWeights = .standard) throws -> [SubsequenceMatch] {
        try bestMatches(cost: CostMatrix.compute(query, database, metric: metric), count: count, weights: weights)
    }
}
