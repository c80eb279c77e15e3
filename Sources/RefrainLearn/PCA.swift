import Foundation
import RefrainMath

/// Principal component analysis, exact: the covariance of the samples (`Matrix.gram`, BLAS `ssyrk`) decomposed
/// by LAPACK's symmetric eigensolver (`Matrix.symmetricEigen`, `ssyevd`). Used to reduce chroma shingles before the HNSW graph
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
        let (eigenvalues, eigenvectors) = try Matrix(rows: n, cols: d, storage: centred).gram(scale: 1 / Float(n - 1))
            .symmetricEigen()
        var components = Matrix(rows: dimensions, cols: d)
        var variances = [Float](repeating: 0, count: dimensions)
        for k in 0..<dimensions {
            let j = d - 1 - k
            var axis = eigenvectors.row(j)
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
