import Foundation
import RefrainMath

/// Large-margin nearest neighbour metric learning (Weinberger, Blitzer & Saul, NIPS 2006; Weinberger & Saul,
/// JMLR 2009): a linear map `L` (`dimensions x d`) such that each sample's `k` target neighbours (its nearest
/// samples of the same class in the input space) are pulled close, and impostors (samples of other classes)
/// are pushed at least one unit of squared distance beyond them:
///
///     ε(L) = (1 - μ) Σ_{i, j ⇝ i} ‖L(x_i - x_j)‖² + μ Σ_{i, j ⇝ i, l: y_l ≠ y_i} [1 + ‖L(x_i - x_j)‖² - ‖L(x_i - x_l)‖²]_+
///
/// minimised by gradient descent on `L` with the step adapted as in the authors' code (grown 1 % after a step
/// that lowered `ε`, halved and undone after one that raised it). The gradient is `2 L Σ_ab w_ab (x_a - x_b)
/// (x_a - x_b)ᵀ`, gathered as `2 L Xᵀ (diag(W 1 + Wᵀ 1) - W - Wᵀ) X` with two `sgemm`s per iteration.
/// Starts from the identity (or the leading PCA axes when `dimensions < d`).
public struct LMNN: Sendable {
    public var neighbours: Int = 3
    /// `μ`, the weight of the impostor term.
    public var pushWeight: Float = 0.5
    public var maxIterations: Int = 300
    /// Stop when the objective changes by less than this fraction.
    public var tolerance: Float = 1e-6

    public init(neighbours: Int = 3, pushWeight: Float = 0.5, maxIterations: Int = 300) {
        self.neighbours = neighbours
        self.pushWeight = pushWeight
        self.maxIterations = maxIterations
    }

    /// Learns `L` from `samples` (`n x d`) and their labels; returns `L` and the mean of the samples.
    /// - Throws: `RefrainError.invalidArgument` for a single class, or a class with no more than `neighbours`
    ///   samples (each sample needs `neighbours` targets of its own class).
    public func fit(_ samples: Matrix, labels: [Int], dimensions: Int) throws -> (map: Matrix, mean: [Float]) {
        let n = samples.rows, d = samples.cols
        guard labels.count == n else { throw RefrainError.invalidArgument("LMNN: \(labels.count) labels for \(n) samples") }
        let classes = Array(Set(labels)).sorted()
        guard classes.count >= 2 else { throw RefrainError.invalidArgument("LMNN needs at least 2 classes, got \(classes.count)") }
        for c in classes where labels.filter({ $0 == c }).count <= neighbours {
            throw RefrainError.invalidArgument("LMNN needs more than \(neighbours) samples of every class (class \(c) has \(labels.filter { $0 == c }.count))")
        }
        guard dimensions >= 1, dimensions <= d else { throw RefrainError.invalidArgument("LMNN dimensions must be in 1...\(d), got \(dimensions)") }
        // Centre the samples (the map is learned on differences, so only the transform's offset depends on it).
        var mean = [Float](repeating: 0, count: d)
        for r in 0..<n { for c in 0..<d { mean[c] += samples.storage[r * d + c] / Float(n) } }
        var x = samples
        for r in 0..<n { for c in 0..<d { x.storage[r * d + c] -= mean[c] } }

        // Target neighbours in the input space.
        let sq = squaredDistances(x)
        var targets = [[Int]](repeating: [], count: n)
        for i in 0..<n {
            let same = (0..<n).filter { $0 != i && labels[$0] == labels[i] }
            targets[i] = Array(same.sorted { (sq[i * n + $0], $0) < (sq[i * n + $1], $1) }.prefix(neighbours))
        }

        var map: Matrix
        if dimensions == d {
            map = Matrix(rows: d, cols: d) { $0 == $1 ? 1 : 0 }
        } else {
            map = try PCA(fitting: samples, dimensions: dimensions).components
        }
        var (loss, gradient) = objective(map, x, labels, targets)
        var rate = 0.01 * frobenius(map) / max(frobenius(gradient), 1e-12)
        for _ in 0..<maxIterations {
            var candidate = map
            for i in 0..<candidate.count { candidate.storage[i] -= rate * gradient.storage[i] }
            let (newLoss, newGradient) = objective(candidate, x, labels, targets)
            if newLoss <= loss {
                let change = (loss - newLoss) / max(abs(loss), 1e-12)
                map = candidate
                loss = newLoss
                gradient = newGradient
                rate *= 1.01
                if change < tolerance { break }
            } else {
                rate *= 0.5
                if rate < 1e-20 { break }
            }
        }
        return (map, mean)
    }

    func frobenius(_ m: Matrix) -> Float { m.storage.reduce(0) { $0 + $1 * $1 }.squareRoot() }

    func squaredDistances(_ z: Matrix) -> [Float] {
        let n = z.rows
        let norms = z.rowSquaredNorms()
        let g = z.multipliedTransposed(z)
        var out = [Float](repeating: 0, count: n * n)
        for i in 0..<n { for j in 0..<n { out[i * n + j] = max(0, norms[i] + norms[j] - 2 * g.storage[i * n + j]) } }
        return out
    }

    /// `ε(L)` and `∂ε/∂L`.
    func objective(_ map: Matrix, _ x: Matrix, _ labels: [Int], _ targets: [[Int]]) -> (Float, Matrix) {
        let n = x.rows
        let z = x.multipliedTransposed(map)   // n x dims
        let dist = squaredDistances(z)
        let mu = pushWeight
        var w = [Float](repeating: 0, count: n * n)
        var loss: Double = 0
        for i in 0..<n {
            for j in targets[i] {
                let dij = dist[i * n + j]
                loss += Double((1 - mu) * dij)
                w[i * n + j] += 1 - mu
                for l in 0..<n where labels[l] != labels[i] {
                    let hinge = 1 + dij - dist[i * n + l]
                    if hinge > 0 {
                        loss += Double(mu * hinge)
                        w[i * n + j] += mu
                        w[i * n + l] -= mu
                    }
                }
            }
        }
        // A = diag(W 1 + Wᵀ 1) - W - Wᵀ; gradient = 2 L Xᵀ A X.
        var a = Matrix(rows: n, cols: n)
        for i in 0..<n {
            for j in 0..<n where w[i * n + j] != 0 {
                let v = w[i * n + j]
                a.storage[i * n + i] += v
                a.storage[j * n + j] += v
                a.storage[i * n + j] -= v
                a.storage[j * n + i] -= v
            }
        }
        let ax = a.multiplied(by: x)                                       // n x d
        let scatter = Matrix.gemm(x, transposeA: true, ax, transposeB: false)  // d x d
        let gradient = Matrix.gemm(map, transposeA: false, scatter, transposeB: false, alpha: 2)
        return (Float(loss), gradient)
    }
}
