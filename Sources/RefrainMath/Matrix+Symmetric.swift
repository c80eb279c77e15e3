import CBLAS
import Dispatch

extension Matrix {
    /// `scale * selfᵀ self`, `cols x cols` and symmetric: the scatter matrix of the rows (the covariance of
    /// centred samples with `scale = 1 / (rows - 1)`). BLAS `ssyrk`, one block of rows per core for large
    /// inputs (at most `threads`), the partial sums added.
    public func gram(scale: Float = 1, threads: Int = ComputeBudget.machine.threads) -> Matrix {
        let n = rows, d = cols
        var out = Matrix(rows: d, cols: d)
        guard n > 0, d > 0 else { return out }
        let blocks = BLASThreads.rowBlocks(count: n, work: n * d * d / 2, threads: threads)
        var partial = [Float](repeating: 0, count: blocks.count * d * d)
        storage.withUnsafeBufferPointer { x in
            partial.withUnsafeMutableBufferPointer { p in
                let (x0, p0) = (UncheckedSendable(x.baseAddress!), UncheckedSendable(p.baseAddress!))
                DispatchQueue.concurrentPerform(iterations: blocks.count) { b in
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(blocks[b].count), scale,
                                x0.value + blocks[b].lowerBound * d, Int32(d), 0, p0.value + b * d * d, Int32(d))
                }
            }
        }
        // ssyrk wrote the upper triangles; add them up and mirror.
        for i in 0..<d {
            for j in i..<d {
                var sum: Float = 0
                for b in 0..<blocks.count { sum += partial[b * d * d + i * d + j] }
                out[i, j] = sum
                out[j, i] = sum
            }
        }
        return out
    }

    /// Eigenvalues, ascending, and unit eigenvectors (row `k` of `vectors` belongs to `values[k]`) of this
    /// symmetric matrix: LAPACK's divide-and-conquer solver `ssyevd` (OpenBLAS).
    /// - Throws: `RefrainError.invalidArgument` when the matrix is not square or the solver fails.
    public func symmetricEigen() throws -> (values: [Float], vectors: Matrix) {
        guard rows == cols, rows > 0 else { throw RefrainError.invalidArgument("eigendecomposition needs a square matrix, got \(rows)x\(cols)") }
        // Row-major storage of a symmetric matrix is its column-major storage too.
        var a = storage
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "L"))
        var order = Int32(rows), lda = Int32(rows), info: Int32 = 0
        var values = [Float](repeating: 0, count: rows)
        var workSize: Float = 0, iworkSize: Int32 = 0, query: Int32 = -1
        ssyevd_(&jobz, &uplo, &order, &a, &lda, &values, &workSize, &query, &iworkSize, &query, &info)
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        var iwork = [Int32](repeating: 0, count: Int(max(liwork, 1)))
        ssyevd_(&jobz, &uplo, &order, &a, &lda, &values, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw RefrainError.invalidArgument("eigendecomposition failed (LAPACK info \(info))") }
        // Column-major eigenvectors: eigenvector k is a[k*n ..< (k+1)*n], a row of the row-major result.
        return (values, Matrix(rows: rows, cols: rows, storage: a))
    }
}

extension Matrix {
    /// The generalised symmetric-definite eigenproblem `self x = lambda B x` (`self` symmetric, `b` symmetric
    /// positive definite, both `n x n`): eigenvalues ascending and eigenvectors as rows of `vectors`
    /// (row `k` belongs to `values[k]`), normalised so that `x^T B x = 1`. LAPACK `ssygvd` (OpenBLAS). Used by
    /// Fisher's linear discriminant analysis (between-class against within-class scatter).
    /// - Throws: `RefrainError.invalidArgument` when the shapes differ, or when `b` is not positive definite.
    public func generalizedSymmetricEigen(_ b: Matrix) throws -> (values: [Float], vectors: Matrix) {
        guard rows == cols, rows > 0, b.rows == rows, b.cols == cols else {
            throw RefrainError.invalidArgument("generalised eigenproblem needs two square matrices of one size, got \(rows)x\(cols) and \(b.rows)x\(b.cols)")
        }
        var a = storage, bb = b.storage
        var itype: Int32 = 1
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "L"))
        var order = Int32(rows), lda = Int32(rows), ldb = Int32(rows), info: Int32 = 0
        var values = [Float](repeating: 0, count: rows)
        var workSize: Float = 0, iworkSize: Int32 = 0, query: Int32 = -1
        ssygvd_(&itype, &jobz, &uplo, &order, &a, &lda, &bb, &ldb, &values, &workSize, &query, &iworkSize, &query, &info)
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        var iwork = [Int32](repeating: 0, count: Int(max(liwork, 1)))
        ssygvd_(&itype, &jobz, &uplo, &order, &a, &lda, &bb, &ldb, &values, &work, &lwork, &iwork, &liwork, &info)
        if info > rows {
            throw RefrainError.invalidArgument("generalised eigenproblem: the second matrix is not positive definite")
        }
        guard info == 0 else { throw RefrainError.invalidArgument("generalised eigenproblem failed (LAPACK info \(info))") }
        return (values, Matrix(rows: rows, cols: rows, storage: a))
    }
}
