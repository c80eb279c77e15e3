import RefrainMath

/// Subsequence DTW of many queries against one database sequence (the tempo-scaled and transposed
/// versions of one query in audio matching, Müller, Kurth & Clausen 2005), with costs made lazily.
///
/// A version's cost rows are computed stripe by stripe as the recurrence reaches them, and the version is
/// abandoned at the first stripe whose every cell is over the limit (every match crosses every query row:
/// Rakthanmanon et al. 2012). The result equals `SubsequenceDTW.bestMatches` on the full cost matrix of
/// every version, at a fraction of the work when most versions (the wrong transpositions, the wrong
/// tempi) are hopeless.
public struct SubsequenceSearch: Sendable {
    let maker: CostStripMaker
    /// Frames of the database sequence.
    public var frames: Int { maker.cols }

    /// Prepares `database` (`M x dims`) for queries compared under `metric`.
    public init(database: Matrix, metric: CostMetric) throws {
        guard database.rows > 0 else { throw RefrainError.invalidArgument("the database sequence is empty") }
        maker = CostStripMaker(database, metric: metric)
    }

    /// The `count` best non-overlapping matches of rows `rows` of `queries` (`N x dims`, one version
    /// per row range), as `SubsequenceDTW.bestMatches` finds them; empty when even the best match's
    /// accumulated cost exceeds `abandonAbove` (with weights that never discount a move).
    public func bestMatches(_ queries: Matrix, rows: Range<Int>, count: Int = 1, weights: StepWeights = .standard,
                            abandonAbove: Float = .infinity) throws -> [SubsequenceMatch] {
        guard queries.cols == maker.dims else {
            throw RefrainError.invalidArgument("feature dimensions differ: \(queries.cols) and \(maker.dims)")
        }
        guard !rows.isEmpty, rows.upperBound <= queries.rows, count > 0 else { return [] }
        try DTW.validate(weights)
        let m = maker.cols
        // The rows the recurrence asks for are made once, into `cost` (kept for backtracking) and the stripe.
        // `cost` starts uninitialised: an abandoned version leaves rows unmade, and nothing reads them.
        var cost = Matrix(rows: rows.count, cols: m,
                          storage: [Float](unsafeUninitializedCapacity: rows.count * m) { _, made in made = rows.count * m })
        let acc = cost.storage.withUnsafeMutableBufferPointer { c in
            StripedAccumulation.compute(rows: rows.count, cols: m, weights: weights, window: nil, subsequence: true, keepAll: true,
                                        abandonAbove: weights.neverDiscounts ? abandonAbove : .infinity) { r0, h, _, dst, stride in
                let made = c.baseAddress! + r0 * m
                maker.rows(queries, (rows.lowerBound + r0)..<(rows.lowerBound + r0 + h), into: made, stride: m)
                for k in 0..<h { (dst + k * stride).update(from: made + k * m, count: m) }
            }
        }
        return SubsequenceDTW.bestMatches(acc, cost: cost, count: count, weights: weights, abandonAbove: abandonAbove)
    }

    /// The accumulated cost of the best match of rows `rows` of `queries`, the cost of
    /// `bestMatches(queries, rows: rows, count: 1, ...)`'s match, or nil when it exceeds `abandonAbove`;
    /// without keeping the cost or accumulated matrices and without tracing the path (two stripes of
    /// memory instead of two `N x M` matrices), for searches that only rank versions by cost.
    public func bestCost(_ queries: Matrix, rows: Range<Int>, weights: StepWeights = .standard,
                         abandonAbove: Float = .infinity) throws -> Float? {
        guard queries.cols == maker.dims else {
            throw RefrainError.invalidArgument("feature dimensions differ: \(queries.cols) and \(maker.dims)")
        }
        guard !rows.isEmpty, rows.upperBound <= queries.rows else { return nil }
        try DTW.validate(weights)
        let acc = StripedAccumulation.compute(rows: rows.count, cols: maker.cols, weights: weights, window: nil, subsequence: true,
                                              keepAll: false, abandonAbove: weights.neverDiscounts ? abandonAbove : .infinity) { r0, h, _, dst, stride in
            maker.rows(queries, (rows.lowerBound + r0)..<(rows.lowerBound + r0 + h), into: dst, stride: stride)
        }
        guard !acc.abandoned, let best = acc.lastRow().min(), best.isFinite, best <= abandonAbove else { return nil }
        return best
    }
}
