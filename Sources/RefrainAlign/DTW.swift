import RefrainMath

/// The result of aligning two sequences.
public struct DTWAlignment: Equatable, Sendable {
    /// The accumulated cost of the optimal path (`D[N-1, M-1]`, or the best end for subsequence DTW).
    public var cost: Float
    /// The optimal path from its first cell to its last, `i` indexing the first sequence's frames
    /// and `j` the second's. (librosa returns the same cells in reverse order.)
    public var path: [PathStep]
}

/// Dynamic time warping with the standard step pattern (`(1,1)`, `(0,1)`, `(1,0)`), librosa's
/// conventions: `D[0,0] = C[0,0]`, each move adds `mul * C[i,j] + add` of its `StepWeights`, ties
/// prefer the diagonal, then the horizontal, then the vertical move.
///
/// The recurrence runs eight rows at a time along anti-diagonals (`StripedAccumulation`).
public enum DTW {
    /// The accumulated cost and optimal path for an `N x M` cost matrix. Memory: `N x M` floats.
    public static func align(cost: Matrix, options: DTWOptions = DTWOptions()) throws -> DTWAlignment {
        try validate(cost, options)
        let acc = accumulate(cost: cost, options: options, subsequence: false, keepAll: true)
        let total = acc.value(cost.rows - 1, cost.cols - 1)
        guard total.isFinite else {
            throw RefrainError.invalidArgument("no warping path satisfies the global constraint")
        }
        let path = backtrack(acc, cost: cost, weights: options.weights, from: cost.cols - 1, subsequence: false)
        return DTWAlignment(cost: total, path: path)
    }

    /// Aligns two feature sequences (`N x dims`, `M x dims`) under `metric`.
    public static func align(_ a: Matrix, _ b: Matrix, metric: CostMetric = .euclidean,
                             options: DTWOptions = DTWOptions()) throws -> DTWAlignment {
        try align(cost: CostMatrix.compute(a, b, metric: metric), options: options)
    }

    /// The DTW cost only, from a precomputed cost matrix (two stripes of memory besides `cost`).
    public static func distance(cost: Matrix, options: DTWOptions = DTWOptions()) throws -> Float {
        try validate(cost, options)
        let acc = accumulate(cost: cost, options: options, subsequence: false, keepAll: false)
        return acc.lastRow()[cost.cols - 1]
    }

    /// The DTW cost between two feature sequences without ever holding the cost matrix: costs are
    /// made eight rows at a time along the shorter sequence, so memory is `O(min(N, M))`. Under a global
    /// constraint only the columns of each eight rows' windows are made and advanced (a band of 10 % of
    /// the length: about a fifth of the cells), with the same result bit for bit.
    ///
    /// Early abandoning: when the cost provably exceeds `abandonAbove` (every cell of some row does,
    /// and no move is cheaper than its cell), the computation stops and returns `+inf`.
    public static func distance(_ a: Matrix, _ b: Matrix, metric: CostMetric = .euclidean,
                                options: DTWOptions = DTWOptions(), abandonAbove: Float = .infinity) throws -> Float {
        guard a.cols == b.cols else {
            throw RefrainError.invalidArgument("feature dimensions differ: \(a.cols) and \(b.cols)")
        }
        guard a.rows > 0, b.rows > 0 else { throw RefrainError.invalidArgument("cannot align an empty sequence") }
        try validate(options.weights)
        // Rows run along the longer sequence so that a stripe spans the shorter one.
        let transpose = a.rows < b.rows
        let (x, y) = transpose ? (b, a) : (a, b)
        let weights = transpose ? options.weights.transposed : options.weights
        let window = options.constraint == .none ? nil : options.constraint.window(rows: x.rows, cols: y.rows)
        let maker = CostStripMaker(y, metric: metric)
        let acc = StripedAccumulation.compute(rows: x.rows, cols: y.rows, weights: weights, window: window,
                                              subsequence: false, keepAll: false,
                                              abandonAbove: weights.neverDiscounts ? abandonAbove : .infinity) { r0, h, columns, dst, stride in
            maker.rows(x, r0..<(r0 + h), columns: columns, into: dst, stride: stride)
        }
        if acc.abandoned { return .infinity }
        return acc.lastRow()[y.rows - 1]
    }

    /// The full accumulated-cost matrix `D` (`N x M`), as librosa's `sequence.dtw` returns it.
    public static func accumulatedCost(cost: Matrix, options: DTWOptions = DTWOptions(),
                                       subsequence: Bool = false) throws -> Matrix {
        try validate(cost, options)
        let acc = accumulate(cost: cost, options: options, subsequence: subsequence, keepAll: true)
        return Matrix(rows: cost.rows, cols: cost.cols) { acc.value($0, $1) }
    }

    // MARK: - Internals shared with subsequence DTW

    static func validate(_ cost: Matrix, _ options: DTWOptions) throws {
        guard cost.rows > 0, cost.cols > 0 else {
            throw RefrainError.invalidArgument("cannot align an empty sequence (cost matrix \(cost.rows)x\(cost.cols))")
        }
        try validate(options.weights)
    }

    static func validate(_ w: StepWeights) throws {
        let all = [w.diagonalMul, w.horizontalMul, w.verticalMul, w.diagonalAdd, w.horizontalAdd, w.verticalAdd]
        guard all.allSatisfy({ $0.isFinite }), w.diagonalMul >= 0, w.horizontalMul >= 0, w.verticalMul >= 0 else {
            throw RefrainError.invalidArgument("step weights must be finite and multiplicative weights non-negative")
        }
    }

    /// `abandonAbove`: stop (and set `abandoned`) once every cell of a row exceeds it; only sound for
    /// weights that never discount a move.
    static func accumulate(cost: Matrix, options: DTWOptions, subsequence: Bool, keepAll: Bool,
                           abandonAbove: Float = .infinity) -> StripedAccumulation {
        let window = options.constraint == .none ? nil : options.constraint.window(rows: cost.rows, cols: cost.cols)
        return StripedAccumulation.compute(rows: cost.rows, cols: cost.cols, weights: options.weights, window: window,
                                           subsequence: subsequence, keepAll: keepAll,
                                           abandonAbove: abandonAbove) { r0, h, columns, dst, stride in
            cost.storage.withUnsafeBufferPointer { c in
                for k in 0..<h {
                    (dst + k * stride + columns.lowerBound).update(from: c.baseAddress! + (r0 + k) * cost.cols + columns.lowerBound,
                                                                  count: columns.count)
                }
            }
        }
    }

    /// Follows the optimal moves back from `(N-1, end)` to `(0, 0)` (or to row 0 for subsequence DTW),
    /// choosing among equal predecessors in librosa's order: diagonal, horizontal, vertical.
    static func backtrack(_ acc: StripedAccumulation, cost: Matrix, weights w: StepWeights, from end: Int,
                          subsequence: Bool) -> [PathStep] {
        var i = acc.rows - 1, j = end
        var path = [PathStep(i, j)]
        path.reserveCapacity(acc.rows + acc.cols)
        while subsequence ? i > 0 : (i > 0 || j > 0) {
            let c = cost[i, j]
            let from = PathStep.predecessor(
                of: i, j,
                diagonal: i > 0 && j > 0 ? acc.value(i - 1, j - 1) + (w.diagonalMul * c + w.diagonalAdd) : .infinity,
                horizontal: j > 0 ? acc.value(i, j - 1) + (w.horizontalMul * c + w.horizontalAdd) : .infinity,
                vertical: i > 0 ? acc.value(i - 1, j) + (w.verticalMul * c + w.verticalAdd) : .infinity)
            (i, j) = (from.i, from.j)
            path.append(PathStep(i, j))
        }
        path.reverse()
        return path
    }
}
