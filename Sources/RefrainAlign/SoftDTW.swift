import CSoftDTW
import Foundation
import RefrainMath

/// Soft-DTW (Cuturi & Blondel, "Soft-DTW: a Differentiable Loss Function for Time-Series", ICML 2017):
/// DTW with the minimum replaced by the soft minimum `-γ log Σ exp(-x/γ)`, evaluated with the
/// log-sum-exp shift so that no exponential overflows. Conventions follow tslearn: the cost of two
/// feature sequences is the squared Euclidean distance, and the gradient with respect to the cost
/// matrix is the expected alignment matrix `E` (Algorithm 2 of the paper). Time `O(N M)`. `value` and
/// `valueAndGradientDouble` accumulate in `Double`; `valueAndGradient` runs the Float32 wavefront kernel.
public enum SoftDTW {
    /// Soft-DTW value of an `N x M` cost matrix for temperature `gamma` (> 0).
    public static func value(cost: Matrix, gamma: Double) throws -> Double {
        try validate(cost, gamma)
        let r = forward(cost, gamma)
        return r[cost.rows * (cost.cols + 2) + cost.cols]  // R[n][m] in (n+2) x (m+2)
    }

    /// Soft-DTW between two feature sequences (`N x dims`, `M x dims`) with squared Euclidean costs,
    /// as tslearn's `soft_dtw`.
    public static func value(_ a: Matrix, _ b: Matrix, gamma: Double) throws -> Double {
        try value(cost: CostMatrix.compute(a, b, metric: .squaredEuclidean), gamma: gamma)
    }

    /// The value and its gradient with respect to the cost matrix (`N x M`, entries in `[0, 1]`: the
    /// expected alignment under the Gibbs distribution over paths), in Float32 by the wavefront kernel
    /// (`refrain_soft_dtw` in CSoftDTW: thirty-two rows per step, vectorised `exp`/`log`), much faster than
    /// `valueAndGradientDouble`. Agrees with it to about `1e-7 |R| / gamma` in the gradient (`R` the accumulated
    /// cost) and `1e-6` relative in the value.
    public static func valueAndGradient(cost: Matrix, gamma: Double) throws -> (value: Double, gradient: Matrix) {
        try validate(cost, gamma)
        guard Float(gamma).isNormal, Float(1 / gamma).isFinite else { return try valueAndGradientDouble(cost: cost, gamma: gamma) }
        var gradient = Matrix(rows: cost.rows, cols: cost.cols)
        let value = cost.storage.withUnsafeBufferPointer { c in
            gradient.storage.withUnsafeMutableBufferPointer { g in
                refrain_soft_dtw(c.baseAddress!, cost.rows, cost.cols, Float(gamma), g.baseAddress!)
            }
        }
        guard !value.isNaN else { throw RefrainError(.io, "soft-DTW: cannot allocate the work space for \(cost.rows)x\(cost.cols) cells") }
        return (Double(value), gradient)
    }

    /// `valueAndGradient` accumulated in Double, one cell at a time: the exact reference.
    public static func valueAndGradientDouble(cost: Matrix, gamma: Double) throws -> (value: Double, gradient: Matrix) {
        try validate(cost, gamma)
        let n = cost.rows, m = cost.cols, w = m + 2
        var r = forward(cost, gamma)
        let value = r[n * w + m]
        // Extended costs: D'[i][j] = C[i-1][j-1] inside, 0 on the far border.
        var d = [Double](repeating: 0, count: (n + 2) * w)
        for i in 1...n { for j in 1...m { d[i * w + j] = Double(cost[i - 1, j - 1]) } }
        for i in 1...n { r[i * w + m + 1] = -.infinity }
        for j in 1...m { r[(n + 1) * w + j] = -.infinity }
        r[(n + 1) * w + m + 1] = value
        var e = [Double](repeating: 0, count: (n + 2) * w)
        e[(n + 1) * w + m + 1] = 1
        let invGamma = 1 / gamma
        for j in stride(from: m, through: 1, by: -1) {
            for i in stride(from: n, through: 1, by: -1) {
                let rij = r[i * w + j]
                let a = exp((r[(i + 1) * w + j] - rij - d[(i + 1) * w + j]) * invGamma)
                let b = exp((r[i * w + j + 1] - rij - d[i * w + j + 1]) * invGamma)
                let c = exp((r[(i + 1) * w + j + 1] - rij - d[(i + 1) * w + j + 1]) * invGamma)
                e[i * w + j] = e[(i + 1) * w + j] * a + e[i * w + j + 1] * b + e[(i + 1) * w + j + 1] * c
            }
        }
        let gradient = Matrix(rows: n, cols: m) { Float(e[($0 + 1) * w + $1 + 1]) }
        return (value, gradient)
    }

    static func validate(_ cost: Matrix, _ gamma: Double) throws {
        guard cost.rows > 0, cost.cols > 0 else { throw RefrainError.invalidArgument("cannot align an empty sequence") }
        guard gamma > 0, gamma.isFinite else { throw RefrainError.invalidArgument("soft-DTW needs a temperature gamma > 0, got \(gamma)") }
    }

    /// `R`, `(N+2) x (M+2)`: `R[0][0] = 0`, the rest of row and column 0 infinite.
    static func forward(_ cost: Matrix, _ gamma: Double) -> [Double] {
        let n = cost.rows, m = cost.cols, w = m + 2
        var r = [Double](repeating: .infinity, count: (n + 2) * w)
        r[0] = 0
        let invGamma = 1 / gamma
        cost.storage.withUnsafeBufferPointer { c in
            r.withUnsafeMutableBufferPointer { r in
                for i in 1...n {
                    for j in 1...m {
                        let x = r[(i - 1) * w + j - 1], y = r[(i - 1) * w + j], z = r[i * w + j - 1]
                        // Log-sum-exp shifted by the minimum, whose own term is exp(0) = 1.
                        let lo = min(x, min(y, z))
                        let soft: Double
                        if lo == .infinity {
                            soft = .infinity
                        } else {
                            let (u, v) = x == lo ? (y, z) : (y == lo ? (x, z) : (x, y))
                            soft = lo - gamma * log(1 + exp((lo - u) * invGamma) + exp((lo - v) * invGamma))
                        }
                        r[i * w + j] = Double(c[(i - 1) * m + j - 1]) + soft
                    }
                }
            }
        }
        return r
    }
}
