import RefrainMath

/// Fisher's linear discriminant analysis (Fisher 1936; Rao 1948): the axes `w` that maximise between-class
/// over within-class scatter, `S_b w = λ S_w w`, solved as a generalised symmetric-definite eigenproblem by
/// LAPACK `ssygvd` (`Matrix.generalizedSymmetricEigen`).
///
/// Conventions follow scikit-learn's `LinearDiscriminantAnalysis(solver="eigen")`: `S_w = Σ_c p_c Σ_c` with class
/// priors `p_c = n_c / n` and biased class covariances, `S_b = S_t - S_w` with `S_t` the biased total covariance;
/// axes normalised so that `wᵀ S_w w = 1`, by decreasing eigenvalue. At most `classes - 1` axes carry
/// information.
public enum LDA {
    /// The `dimensions` leading discriminant axes (rows of a `dimensions x d` matrix), their eigenvalues, and the
    /// mean of the samples.
    /// - Throws: `RefrainError.invalidArgument` for fewer than 2 classes, no more samples than classes,
    ///   `dimensions` outside `1...min(classes - 1, d)`, or a singular within-class scatter.
    public static func fit(_ samples: Matrix, labels: [Int], dimensions: Int) throws -> (axes: Matrix, eigenvalues: [Float], mean: [Float]) {
        let n = samples.rows, d = samples.cols
        guard labels.count == n else { throw RefrainError.invalidArgument("LDA: \(labels.count) labels for \(n) samples") }
        let classes = Array(Set(labels)).sorted()
        guard classes.count >= 2 else {
            throw RefrainError.invalidArgument("LDA needs at least 2 classes, got \(classes.count)")
        }
        guard n > classes.count else {
            throw RefrainError.invalidArgument("LDA needs more samples than classes (\(n) samples, \(classes.count) classes)")
        }
        let limit = min(classes.count - 1, d)
        guard dimensions >= 1, dimensions <= limit else {
            throw RefrainError.invalidArgument("LDA gives at most min(classes - 1, features) = \(limit) dimensions, asked for \(dimensions)")
        }
        // Scatter in Float64.
        var mean = [Double](repeating: 0, count: d)
        for r in 0..<n { for c in 0..<d { mean[c] += Double(samples.storage[r * d + c]) } }
        for c in 0..<d { mean[c] /= Double(n) }
        var total = [Double](repeating: 0, count: d * d), within = total
        for r in 0..<n {
            for a in 0..<d {
                let xa = Double(samples.storage[r * d + a]) - mean[a]
                for b in 0..<d { total[a * d + b] += xa * (Double(samples.storage[r * d + b]) - mean[b]) }
            }
        }
        for cls in classes {
            let rows = (0..<n).filter { labels[$0] == cls }
            var m = [Double](repeating: 0, count: d)
            for r in rows { for c in 0..<d { m[c] += Double(samples.storage[r * d + c]) } }
            for c in 0..<d { m[c] /= Double(rows.count) }
            // p_c * (1/n_c) Σ (x - m)(x - m)ᵀ = (1/n) Σ (x - m)(x - m)ᵀ.
            for r in rows {
                for a in 0..<d {
                    let xa = Double(samples.storage[r * d + a]) - m[a]
                    for b in 0..<d { within[a * d + b] += xa * (Double(samples.storage[r * d + b]) - m[b]) }
                }
            }
        }
        let sw = Matrix(rows: d, cols: d, storage: within.map { Float($0 / Double(n)) })
        let sb = Matrix(rows: d, cols: d, storage: zip(total, within).map { Float(($0 - $1) / Double(n)) })
        let solution: (values: [Float], vectors: Matrix)
        do { solution = try sb.generalizedSymmetricEigen(sw) } catch {
            throw RefrainError.invalidArgument("LDA: the within-class scatter is singular (constant features or fewer samples than features); reduce the features first, e.g. with PCA")
        }
        var axes = Matrix(rows: dimensions, cols: d)
        var values = [Float](repeating: 0, count: dimensions)
        for k in 0..<dimensions {
            let j = d - 1 - k
            var axis = solution.vectors.row(j)
            let largest = axis.indices.max { abs(axis[$0]) < abs(axis[$1]) } ?? 0
            if axis[largest] < 0 { axis = axis.map { -$0 } }
            for c in 0..<d { axes[k, c] = axis[c] }
            values[k] = solution.values[j]
        }
        return (axes, values, mean.map { Float($0) })
    }
}
