import CBLAS

extension Matrix {
    /// The matrix product `self * other` through OpenBLAS `sgemm`: `(m x k) * (k x n) -> m x n`.
    public func multiplied(by other: Matrix) -> Matrix {
        precondition(cols == other.rows, "inner dimensions differ: \(rows)x\(cols) * \(other.rows)x\(other.cols)")
        return Matrix.gemm(self, transposeA: false, other, transposeB: false)
    }

    /// `self * other^T`: `(m x k) * (n x k)^T -> m x n`. Pairwise dot products of rows, the core of
    /// cosine and Euclidean cost matrices.
    public func multipliedTransposed(_ other: Matrix) -> Matrix {
        precondition(cols == other.cols, "row lengths differ: \(cols) and \(other.cols)")
        return Matrix.gemm(self, transposeA: false, other, transposeB: true)
    }

    /// `alpha * op(a) * op(b)` with `op` optionally transposing; row-major `sgemm`. Large products are split
    /// by rows over `threads` (`BLASThreads`).
    public static func gemm(_ a: Matrix, transposeA: Bool, _ b: Matrix, transposeB: Bool, alpha: Float = 1,
                            threads: Int = ComputeBudget.machine.threads) -> Matrix {
        let m = transposeA ? a.cols : a.rows
        let k = transposeA ? a.rows : a.cols
        let n = transposeB ? b.rows : b.cols
        precondition(k == (transposeB ? b.cols : b.rows), "inner dimensions differ")
        var out = Matrix(rows: m, cols: n)
        if m == 0 || n == 0 || k == 0 { return out }
        // Row blocks of the output are independent products: op(a)[rows] * op(b).
        a.storage.withUnsafeBufferPointer { pa in
            b.storage.withUnsafeBufferPointer { pb in
                out.storage.withUnsafeMutableBufferPointer { pc in
                    let (a0, b0, c0) = (UncheckedSendable(pa.baseAddress!), UncheckedSendable(pb.baseAddress!),
                                        UncheckedSendable(pc.baseAddress!))
                    let (lda, ldb) = (a.cols, b.cols)
                    BLASThreads.forEachRowBlock(count: m, work: m * n * k, threads: threads) { rows in
                        // Row r of op(a) starts at a[r, 0] (a[0, r] when transposed, stepping by 1 column).
                        let start = a0.value + (transposeA ? rows.lowerBound : rows.lowerBound * lda)
                        cblas_sgemm(CblasRowMajor,
                                    transposeA ? CblasTrans : CblasNoTrans,
                                    transposeB ? CblasTrans : CblasNoTrans,
                                    Int32(rows.count), Int32(n), Int32(k), alpha,
                                    start, Int32(lda),
                                    b0.value, Int32(ldb),
                                    0, c0.value + rows.lowerBound * n, Int32(n))
                    }
                }
            }
        }
        return out
    }

    /// Squared L2 norm of every row, `rows` values.
    public func rowSquaredNorms() -> [Float] {
        var out = [Float](repeating: 0, count: rows)
        storage.withUnsafeBufferPointer { p in
            for r in 0..<rows {
                out[r] = cblas_sdot(Int32(cols), p.baseAddress! + r * cols, 1, p.baseAddress! + r * cols, 1)
            }
        }
        return out
    }
}
