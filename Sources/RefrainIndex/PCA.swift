import CBLAS
import Dispatch
import CHNSW
import Foundation
import RefrainMath

/// Principal component analysis, exact: the covariance of the samples (BLAS `ssyrk`) decomposed by LAPACK's
/// symmetric eigensolver (`ssyevd`, OpenBLAS). Used to reduce chroma shingles before the HNSW graph
/// (Zalkow & Müller 2020).
public struct PCA: Equatable, Sendable {
    /// Per-dimension mean of the training samples, `inputDimension` values.
    public var mean: [Float]
    /// `outputDimension x inputDimension`, one unit-length principal axis per row, by decreasing variance.
    /// Signs are fixed so that each axis' largest-magnitude entry is positive.
    public var components: Matrix
    /// Variance along each axis (eigenvalues of the covariance with divisor n - 1), decreasing.
    public var explainedVariance: [Float]

    public var inputDimension: Int { components.cols }
    public var outputDimension: Int { components.rows }

    public init(mean: [Float], components: Matrix, explainedVariance: [Float]) {
        self.mean = mean
        self.components = components
        self.explainedVariance = explainedVariance
    }

    /// Learns the `dimensions` leading axes of `samples` (`n x d`, one sample per row).
    public init(fitting samples: Matrix, dimensions: Int) throws {
        let n = samples.rows, d = samples.cols
        guard n >= 2, d >= 1 else { throw RefrainError.invalidArgument("PCA needs at least 2 samples, got \(n)") }
        guard dimensions >= 1, dimensions <= d else {
            throw RefrainError.invalidArgument("PCA dimensions must be in 1...\(d), got \(dimensions)")
        }
        var mean = [Double](repeating: 0, count: d)
        samples.storage.withUnsafeBufferPointer { x in
            for r in 0..<n { for c in 0..<d { mean[c] += Double(x[r * d + c]) } }
        }
        for c in 0..<d { mean[c] /= Double(n) }
        var centred = samples.storage
        for r in 0..<n { for c in 0..<d { centred[r * d + c] -= Float(mean[c]) } }
        // Covariance (upper triangle, row-major) = centred^T centred / (n - 1).
        // Each core sums the outer products of its own rows; the partial sums are then added.
        let blocks = BLASThreads.rowBlocks(count: n, work: n * d * d / 2)
        var partial = [Float](repeating: 0, count: blocks.count * d * d)
        centred.withUnsafeBufferPointer { x in
            partial.withUnsafeMutableBufferPointer { p in
                let (x0, p0) = (UncheckedSendable(x.baseAddress!), UncheckedSendable(p.baseAddress!))
                DispatchQueue.concurrentPerform(iterations: blocks.count) { b in
                    cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, Int32(d), Int32(blocks[b].count), 1 / Float(n - 1),
                                x0.value + blocks[b].lowerBound * d, Int32(d), 0, p0.value + b * d * d, Int32(d))
                }
            }
        }
        var covariance = Array(partial[0..<(d * d)])
        for b in 1..<blocks.count { for i in 0..<(d * d) { covariance[i] += partial[b * d * d + i] } }
        // Row-major upper = column-major lower of the same symmetric matrix.
        var jobz = CChar(UInt8(ascii: "V")), uplo = CChar(UInt8(ascii: "L"))
        var order = Int32(d), lda = Int32(d), info: Int32 = 0
        var eigenvalues = [Float](repeating: 0, count: d)
        var workSize: Float = 0, iworkSize: Int32 = 0, query: Int32 = -1
        ssyevd_(&jobz, &uplo, &order, &covariance, &lda, &eigenvalues, &workSize, &query, &iworkSize, &query, &info)
        var lwork = Int32(workSize), liwork = iworkSize
        var work = [Float](repeating: 0, count: Int(max(lwork, 1)))
        var iwork = [Int32](repeating: 0, count: Int(max(liwork, 1)))
        ssyevd_(&jobz, &uplo, &order, &covariance, &lda, &eigenvalues, &work, &lwork, &iwork, &liwork, &info)
        guard info == 0 else { throw RefrainError(.invalidArgument, "PCA: eigendecomposition failed (LAPACK info \(info))") }
        // Column-major eigenvectors: eigenvector j is covariance[j*d ..< (j+1)*d], eigenvalues ascending.
        var components = Matrix(rows: dimensions, cols: d)
        var variances = [Float](repeating: 0, count: dimensions)
        for k in 0..<dimensions {
            let j = d - 1 - k
            var axis = Array(covariance[(j * d)..<((j + 1) * d)])
            let largest = axis.indices.max { abs(axis[$0]) < abs(axis[$1]) } ?? 0
            if axis[largest] < 0 { axis = axis.map { -$0 } }
            for c in 0..<d { components[k, c] = axis[c] }
            variances[k] = max(eigenvalues[j], 0)
        }
        self.init(mean: mean.map { Float($0) }, components: components, explainedVariance: variances)
    }

    /// Projects `samples` (`n x inputDimension`) onto the axes: `n x outputDimension`.
    public func transform(_ samples: Matrix) -> Matrix {
        precondition(samples.cols == inputDimension, "PCA expects \(inputDimension) columns, got \(samples.cols)")
        var centred = samples
        let d = inputDimension
        centred.storage.withUnsafeMutableBufferPointer { x in
            for r in 0..<samples.rows { for c in 0..<d { x[r * d + c] -= mean[c] } }
        }
        return centred.multipliedTransposed(components)
    }

    /// The model as one matrix for storage: row 0 the mean, row 1 the variances (padded with 0), then the
    /// components: `(outputDimension + 2) x inputDimension`.
    public func packed() -> Matrix {
        let d = inputDimension
        var rows = mean
        rows += explainedVariance + [Float](repeating: 0, count: d - outputDimension)
        rows += components.storage
        return Matrix(rows: outputDimension + 2, cols: d, storage: rows)
    }

    /// Reads back `packed()`.
    public init(packed: Matrix) throws {
        guard packed.rows >= 3 else { throw RefrainError(.index, "stored PCA model is malformed") }
        let k = packed.rows - 2
        self.init(mean: packed.row(0), components: packed.rows(2..<packed.rows),
                  explainedVariance: Array(packed.row(1).prefix(k)))
    }
}
