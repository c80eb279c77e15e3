import RefrainMath

/// Rows of a cost matrix computed directly, without BLAS: for the few rows a DTW stripe needs at a
/// time, a call into BLAS costs more than the arithmetic. The second sequence is held transposed
/// (`dims x M`), so every inner loop runs along contiguous columns and vectorizes.
struct CostStripMaker {
    let metric: CostMetric
    let dims: Int
    let cols: Int
    /// `dims x cols`; unit rows for cosine.
    let transposed: [Float]
    /// Squared norms of the columns' frames (Euclidean metrics).
    let norms: [Float]
    let original: Matrix

    init(_ b: Matrix, metric: CostMetric) {
        self.metric = metric
        dims = b.cols
        cols = b.rows
        original = b
        var norms = b.rowSquaredNorms()
        var source = b
        if metric == .cosine {
            for j in 0..<b.rows where norms[j] > 0 {
                let s = 1 / norms[j].squareRoot()
                for k in 0..<b.cols { source[j, k] *= s }
            }
            norms = norms.map { $0 > 0 ? 1 : 0 }
        }
        transposed = source.transposed().storage
        self.norms = norms
    }

    /// Rows `range` of the cost matrix between `a` and the stored sequence, row `k` written at
    /// `destination + k * stride` (`cols` values).
    func rows(_ a: Matrix, _ range: Range<Int>, into destination: UnsafeMutablePointer<Float>, stride: Int) {
        let m = cols, d = dims
        var x = [Float](repeating: 0, count: d)
        do {
            transposed.withUnsafeBufferPointer { bt in
                norms.withUnsafeBufferPointer { nb in
                    for (k, i) in range.enumerated() {
                        var xn: Float = 0
                        for t in 0..<d { x[t] = a[i, t]; xn += x[t] * x[t] }
                        if metric == .cosine && xn > 0 {
                            let s = 1 / xn.squareRoot()
                            for t in 0..<d { x[t] *= s }
                            xn = 1
                        }
                        let row = destination + k * stride
                        for j in 0..<m { row[j] = 0 }
                        for t in 0..<d {
                            let coefficient = x[t]
                            let column = bt.baseAddress! + t * m
                            for j in 0..<m { row[j] += coefficient * column[j] }
                        }
                        switch metric {
                        case .cosine:
                            for j in 0..<m {
                                let both = xn * nb[j]
                                row[j] = both > 0 ? max(0, 1 - row[j]) : (xn == 0 && nb[j] == 0 ? 0 : 1)
                            }
                        case .euclidean, .squaredEuclidean:
                            original.storage.withUnsafeBufferPointer { ob in
                                a.storage.withUnsafeBufferPointer { ab in
                                    CostMatrix.finishSquaredDistances(row, m, xn, nb.baseAddress!) {
                                        CostMatrix.directSquaredDistance(ab.baseAddress! + i * d, ob.baseAddress! + $0 * d, d)
                                    }
                                }
                            }
                            if metric == .euclidean { for j in 0..<m { row[j] = row[j].squareRoot() } }
                        }
                    }
                }
            }
        }
    }
}

