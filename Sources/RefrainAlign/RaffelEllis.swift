import RefrainMath

/// The result of Raffel & Ellis's alignment-and-matching DTW.
public struct RaffelEllisAlignment: Equatable, Sendable {
    /// Accumulated cost of the path, penalties included.
    public var cost: Float
    /// The path, from its (possibly skipped-to) start to its end.
    public var path: [PathStep]
    /// `cost / path.count / mean(C[i0...i1, j0...j1])`: the path cost per step relative to the
    /// mean cost of the submatrix the path spans. Lower is a better match; near 1 means the path
    /// is no better than a random pairing of the spanned frames.
    public var score: Float
    /// The additive penalty that was used.
    public var penalty: Float
}

/// DTW for matching MIDI to audio as in Raffel & Ellis, "Optimizing DTW-Based Audio-to-MIDI
/// Alignment and Matching" (ICASSP 2016), whose best configuration uses cosine costs, an additive
/// penalty on non-diagonal moves equal to the median of the cost matrix, a "gully" that lets the
/// path start and end inside the first and last `1 - gully` of either sequence, and a score
/// normalized by path length and by the mean of the path's submatrix.
public enum RaffelEllis {
    /// Aligns the rows (`N`) and columns (`M`) of `cost`. `penalty` defaults to the cost matrix's
    /// median; `gully` in `(0, 1]` is the fraction of each sequence the path must span (the path may
    /// skip up to `1 - gully` of either sequence at its start and at its end). Memory: `N x M`.
    public static func align(cost: Matrix, penalty: Float? = nil, gully: Float = 0.96) throws -> RaffelEllisAlignment {
        guard cost.rows > 0, cost.cols > 0 else { throw RefrainError.invalidArgument("cannot align an empty sequence") }
        guard gully > 0, gully <= 1 else { throw RefrainError.invalidArgument("gully must be in (0, 1], got \(gully)") }
        let p = penalty ?? CostMatrix.median(of: cost)
        guard p.isFinite, p >= 0 else { throw RefrainError.invalidArgument("the penalty must be finite and non-negative") }
        let n = cost.rows, m = cost.cols
        let skipRows = Int(Float(n) * (1 - gully)), skipCols = Int(Float(m) * (1 - gully))
        var d = Matrix(rows: n, cols: m, repeating: .infinity)
        cost.storage.withUnsafeBufferPointer { c in
            d.storage.withUnsafeMutableBufferPointer { d in
                for i in 0..<n {
                    for j in 0..<m {
                        let cij = c[i * m + j]
                        var best = Float.infinity
                        if (i == 0 && j <= skipCols) || (j == 0 && i <= skipRows) { best = 0 }  // free start
                        if i > 0 && j > 0 { best = min(best, d[(i - 1) * m + j - 1]) }
                        if i > 0 { best = min(best, d[(i - 1) * m + j] + p) }
                        if j > 0 { best = min(best, d[i * m + j - 1] + p) }
                        d[i * m + j] = cij + best
                    }
                }
            }
        }
        // Best end in the last row or column, within the gully.
        var end = PathStep(n - 1, m - 1), endCost = d[n - 1, m - 1]
        for j in max(0, m - 1 - skipCols)..<m where d[n - 1, j] < endCost { endCost = d[n - 1, j]; end = PathStep(n - 1, j) }
        for i in max(0, n - 1 - skipRows)..<n where d[i, m - 1] < endCost { endCost = d[i, m - 1]; end = PathStep(i, m - 1) }
        guard endCost.isFinite else { throw RefrainError.invalidArgument("no path: the cost matrix is infinite along every route") }
        // Back to a free start.
        var path = [end]
        var i = end.i, j = end.j
        while true {
            let freeStart = (i == 0 && j <= skipCols) || (j == 0 && i <= skipRows)
            if freeStart && d[i, j] == cost[i, j] { break }
            if i == 0 && j == 0 { break }
            let from = PathStep.predecessor(of: i, j,
                                            diagonal: i > 0 && j > 0 ? d[i - 1, j - 1] : .infinity,
                                            horizontal: j > 0 ? d[i, j - 1] + p : .infinity,
                                            vertical: i > 0 ? d[i - 1, j] + p : .infinity)
            (i, j) = (from.i, from.j)
            path.append(PathStep(i, j))
        }
        path.reverse()
        let first = path[0], last = path[path.count - 1]
        var sum: Double = 0
        for r in first.i...last.i { for c in first.j...last.j { sum += Double(cost[r, c]) } }
        let mean = Float(sum / Double((last.i - first.i + 1) * (last.j - first.j + 1)))
        let perStep = endCost / Float(path.count)
        return RaffelEllisAlignment(cost: endCost, path: path, score: mean > 0 ? perStep / mean : 0, penalty: p)
    }

    /// Aligns two feature sequences with cosine costs (Raffel & Ellis's choice for chroma/CQT).
    public static func align(_ a: Matrix, _ b: Matrix, metric: CostMetric = .cosine, penalty: Float? = nil,
                             gully: Float = 0.96) throws -> RaffelEllisAlignment {
        try align(cost: CostMatrix.compute(a, b, metric: metric), penalty: penalty, gully: gully)
    }
}
