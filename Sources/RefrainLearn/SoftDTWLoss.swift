import RefrainAlign
import RefrainMath

/// Soft-DTW as a loss between two feature sequences (Cuturi & Blondel, "Soft-DTW: a Differentiable Loss
/// Function for Time-Series", ICML 2017), with squared Euclidean frame costs as in tslearn. The gradient
/// reaches the sequences through the cost matrix: with `E` the expected alignment (`∂sdtw/∂C`),
///
///     ∂/∂x_i = 2 Σ_j E_ij (x_i - y_j),    ∂/∂y_j = 2 Σ_i E_ij (y_j - x_i),
///
/// computed as two `sgemm`s (`E Y`, `Eᵀ X`) and the row and column sums of `E`.
public struct SoftDTWLoss: Sendable {
    /// Temperature of the soft minimum (> 0).
    public var gamma: Double

    public init(gamma: Double) { self.gamma = gamma }

    /// The soft-DTW value of `x` (`n x dims`) and `y` (`m x dims`) and its gradients with respect to both.
    public func evaluate(_ x: Matrix, _ y: Matrix) throws -> (value: Double, dx: Matrix, dy: Matrix) {
        guard x.cols == y.cols else {
            throw RefrainError.invalidArgument("soft-DTW loss: sequences of \(x.cols) and \(y.cols) dimensions")
        }
        let cost = try CostMatrix.compute(x, y, metric: .squaredEuclidean)
        let (value, e) = try SoftDTW.valueAndGradient(cost: cost, gamma: gamma)
        let ey = e.multiplied(by: y)                                       // n x dims
        let etx = Matrix.gemm(e, transposeA: true, x, transposeB: false)   // m x dims
        var dx = x, dy = y
        let d = x.cols
        for i in 0..<x.rows {
            var rowSum: Float = 0
            for j in 0..<y.rows { rowSum += e[i, j] }
            for k in 0..<d { dx.storage[i * d + k] = 2 * (rowSum * x.storage[i * d + k] - ey.storage[i * d + k]) }
        }
        var colSum = [Float](repeating: 0, count: y.rows)
        for i in 0..<x.rows { for j in 0..<y.rows { colSum[j] += e[i, j] } }
        for j in 0..<y.rows {
            for k in 0..<d { dy.storage[j * d + k] = 2 * (colSum[j] * y.storage[j * d + k] - etx.storage[j * d + k]) }
        }
        return (value, dx, dy)
    }
}
