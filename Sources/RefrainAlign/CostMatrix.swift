import RefrainMath

/// How two feature frames are compared.
public enum CostMetric: String, Sendable, CaseIterable {
    /// `||a - b||`.
    case euclidean
    /// `||a - b||^2` (tslearn's soft-DTW and dtaidistance's inner cost).
    case squaredEuclidean = "sqeuclidean"
    /// `1 - a.b / (||a|| ||b||)`; a zero frame is at distance 1 from everything (0 from another zero frame).
    case cosine
}

/// Pairwise cost matrices between two feature sequences.
public enum CostMatrix {
    /// The `N x M` cost matrix between `a` (`N x dims`) and `b` (`M x dims`): element `(i, j)` is the
    /// cost of matching frame `i` of `a` with frame `j` of `b`.
    ///
    /// Cosine and (squared) Euclidean costs come from the dot products `a * b^T` and the row norms:
    /// one BLAS matrix product above 32 dimensions, a direct vectorized pass below; entries where
    /// the expansion cancels badly (close frames) are recomputed directly, so the cost of a frame
    /// with itself is exactly 0.
    public static func compute(_ a: Matrix, _ b: Matrix, metric: CostMetric = .euclidean) throws -> Matrix {
        guard a.cols == b.cols else {
            throw RefrainError.invalidArgument("feature dimensions differ: \(a.cols) and \(b.cols)")
        }
        if a.rows == 0 || b.rows == 0 { return Matrix(rows: a.rows, cols: b.rows) }
        if a.cols <= directDimensionLimit {
            // Few dimensions (chroma, MFCC): a direct vectorized pass beats sgemm, whose inner
            // dimension is then too short to pay for its packing and output passes.
            let maker = CostStripMaker(b, metric: metric)
            var out = Matrix(rows: a.rows, cols: b.rows)
            out.storage.withUnsafeMutableBufferPointer { maker.rows(a, 0..<a.rows, into: $0.baseAddress!, stride: b.rows) }
            return out
        }
        return strip(a, rows: 0..<a.rows, b, bNorms: b.rowSquaredNorms(), metric: metric)
    }

    /// Up to this many dimensions, cost matrices are computed directly rather than through BLAS
    /// (measured on 2000 x 2000: 12-d direct 2.4x faster, 48-d even, 84-d BLAS 2x faster).
    static let directDimensionLimit = 32

    /// Rows `rows` of the cost matrix between `a` and `b` through BLAS, given `b`'s squared row norms.
    static func strip(_ a: Matrix, rows: Range<Int>, _ b: Matrix, bNorms: [Float], metric: CostMetric) -> Matrix {
        let x = rows == 0..<a.rows ? a : a.rows(rows)
        let n = x.rows, m = b.rows, d = a.cols
        var out = x.multipliedTransposed(b)
        let na = x.rowSquaredNorms()
        x.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                bNorms.withUnsafeBufferPointer { nb in
                    out.storage.withUnsafeMutableBufferPointer { po in
                        for i in 0..<n {
                            let row = po.baseAddress! + i * m
                            let ai = pa.baseAddress! + i * d
                            let ni = na[i]
                            switch metric {
                            case .cosine:
                                let si = ni.squareRoot()
                                for j in 0..<m {
                                    let denom = si * nb[j].squareRoot()
                                    row[j] = denom > 0 ? max(0, 1 - row[j] / denom) : ((ni == 0 && nb[j] == 0) ? 0 : 1)
                                }
                            case .euclidean, .squaredEuclidean:
                                finishSquaredDistances(row, m, ni, nb.baseAddress!) {
                                    directSquaredDistance(ai, pb.baseAddress! + $0 * d, d)
                                }
                                if metric == .euclidean { for j in 0..<m { row[j] = row[j].squareRoot() } }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The cost matrix between two feature sequences (their `values`, `frames x dims`).
    public static func compute(_ a: FeatureSequence, _ b: FeatureSequence, metric: CostMetric = .euclidean) throws -> Matrix {
        try compute(a.values, b.values, metric: metric)
    }

    /// The `N x M` Hamming cost matrix between two hash sequences: element `(i, j)` is the number of
    /// bits in which `a[i]` and `b[j]` differ (XOR + popcount). Raffel & Ellis (2015) hash frames to
    /// 16-bit codes (`UInt16`); `UInt32` and `UInt64` codes work alike.
    @inlinable
    public static func hamming<Code: FixedWidthInteger & UnsignedInteger>(_ a: [Code], _ b: [Code]) -> Matrix {
        let m = b.count
        var storage = [Float](repeating: 0, count: a.count * m)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                storage.withUnsafeMutableBufferPointer { po in
                    for i in 0..<pa.count {
                        let x = pa[i]
                        let row = po.baseAddress! + i * m
                        let other = pb.baseAddress!
                        for j in 0..<m { row[j] = Float(Int32(truncatingIfNeeded: (x ^ other[j]).nonzeroBitCount)) }
                    }
                }
            }
        }
        return Matrix(rows: a.count, cols: m, storage: storage)
    }

    /// Turns dot products `row[j] = x.y_j` into squared distances `|x|^2 + |y_j|^2 - 2 x.y_j`
    /// (clamped at 0) in a vectorizable pass, then recomputes with `exact(j)` the few entries where
    /// that expansion cancels (close frames), so that a frame is at distance exactly 0 from itself.
    @inline(__always)
    static func finishSquaredDistances(_ row: UnsafeMutablePointer<Float>, _ m: Int, _ xNorm: Float,
                                       _ yNorms: UnsafePointer<Float>, exact: (Int) -> Float) {
        var cancelled: Int32 = 0  // counted, not short-circuited, so that the loop vectorizes
        for j in 0..<m {
            let s = xNorm + yNorms[j]
            let v = s - 2 * row[j]
            cancelled &+= v < 1e-3 * s ? 1 : 0
            row[j] = max(v, 0)
        }
        if cancelled > 0 {
            for j in 0..<m where row[j] < 1e-3 * (xNorm + yNorms[j]) { row[j] = exact(j) }
        }
    }

    @inline(__always)
    static func directSquaredDistance(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ d: Int) -> Float {
        var s: Float = 0
        for k in 0..<d { let t = x[k] - y[k]; s += t * t }
        return s
    }

    /// Median of a matrix's finite entries (0 when there are none) by copying them and selecting (`select`): the
    /// plain path that `median(of:)` (a radix histogram, the same value) replaced; kept for comparison in tests.
    static func medianBySelection(of cost: Matrix) -> Float {
        var v = cost.storage.filter { $0.isFinite }
        if v.isEmpty { return 0 }
        let n = v.count
        return v.withUnsafeMutableBufferPointer { p -> Float in
            let upper = select(p, n / 2)
            guard n % 2 == 0 else { return upper }
            // The lower middle is the largest value left of the upper middle after selection.
            var lower = -Float.infinity
            for i in 0..<(n / 2) where p[i] > lower { lower = p[i] }
            return 0.5 * (lower + upper)
        }
    }

    /// Reorders `p` so that `p[k]` is the value a full sort would put there, everything before it is no
    /// larger and everything after no smaller (Hoare's selection, median-of-three pivots): O(n) on
    /// average instead of the O(n log n) of a sort, which dominated Raffel & Ellis's default penalty.
    static func select(_ p: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        var lo = 0, hi = p.count - 1
        while lo < hi {
            let mid = lo + (hi - lo) / 2
            if p[mid] < p[lo] { p.swapAt(mid, lo) }
            if p[hi] < p[lo] { p.swapAt(hi, lo) }
            if p[hi] < p[mid] { p.swapAt(hi, mid) }
            let pivot = p[mid]
            var i = lo, j = hi
            while i <= j {
                while p[i] < pivot { i += 1 }
                while p[j] > pivot { j -= 1 }
                if i <= j { p.swapAt(i, j); i += 1; j -= 1 }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return p[k] }
        }
        return p[k]
    }
}
