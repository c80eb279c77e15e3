import RefrainMath

/// The similarity-preserving hashing loss of Raffel & Ellis ("Large-Scale Content-Based Matching of MIDI and
/// Audio Files", ISMIR 2015; "Learning a Similarity-Preserving Hash for DTW", NIPS workshop 2015):
///
///     L = 1/|P| Σ_P ‖f(x) - g(y)‖² + α/|N| Σ_N max(0, m - ‖f(x) - g(y)‖²)
///
/// Positive pairs `P` are aligned frames of the two modalities (row `i` of `x` with row `i` of `y`); negative
/// pairs `N` are made by swapping aligned pairs: row `i` of `x` with row `negatives[i]` of `y` (a random
/// permutation, see `shuffledNegatives`). Raffel used `α` in [0, 16] and margins `m` up to a few times the
/// squared embedding norm; the hinge acts on the squared distance, as in the paper.
public struct HashingLoss: Sendable {
    public var margin: Float
    public var alpha: Float

    public init(margin: Float, alpha: Float) {
        self.margin = margin
        self.alpha = alpha
    }

    /// Loss and gradients with respect to `x` and `y` (both `n x dims`).
    /// - Throws: `RefrainError.invalidArgument` when the shapes or the negative indices do not fit.
    public func evaluate(x: Tensor, y: Tensor, negatives: [Int]) throws -> (value: Float, dx: Tensor, dy: Tensor) {
        let n = x.batch, d = x.itemSize
        guard n >= 1, y.shape == x.shape, negatives.count == n, negatives.allSatisfy({ (0..<n).contains($0) }) else {
            throw RefrainError.invalidArgument("hashing loss needs x and y of one shape and one negative index in 0..<\(n) per row")
        }
        var dx = [Float](repeating: 0, count: n * d), dy = dx
        var positive: Float = 0, negative: Float = 0
        let inv = 1 / Float(n)
        for i in 0..<n {
            var s: Float = 0
            for k in 0..<d { let diff = x.data[i * d + k] - y.data[i * d + k]; s += diff * diff }
            positive += s
            for k in 0..<d {
                let g = 2 * (x.data[i * d + k] - y.data[i * d + k]) * inv
                dx[i * d + k] += g
                dy[i * d + k] -= g
            }
            let j = negatives[i]
            var t: Float = 0
            for k in 0..<d { let diff = x.data[i * d + k] - y.data[j * d + k]; t += diff * diff }
            if margin - t > 0 {
                negative += margin - t
                for k in 0..<d {
                    let g = -2 * alpha * (x.data[i * d + k] - y.data[j * d + k]) * inv
                    dx[i * d + k] += g
                    dy[j * d + k] -= g
                }
            }
        }
        return ((positive + alpha * negative) * inv, Tensor(shape: x.shape, data: dx), Tensor(shape: y.shape, data: dy))
    }

    /// A permutation of `0..<n` with no fixed point (for `n >= 2`), from `random`: the partner of each row in
    /// its negative pair.
    public static func shuffledNegatives(_ n: Int, random: inout SeededRandom) -> [Int] {
        guard n >= 2 else { return Array(0..<n) }
        // A random cyclic shift of a random order: no row is paired with itself.
        var order = Array(0..<n)
        order.shuffle(using: &random)
        let shift = 1 + Int(random.next() % UInt64(n - 1))
        var partner = [Int](repeating: 0, count: n)
        for k in 0..<n { partner[order[k]] = order[(k + shift) % n] }
        return partner
    }
}

/// The contrastive loss of Hadsell, Chopra & LeCun ("Dimensionality Reduction by Learning an Invariant
/// Mapping", CVPR 2006), averaged over pairs: `½ d²` for similar pairs, `½ max(0, m - d)²` for dissimilar ones,
/// with `d` the Euclidean distance of the two embeddings.
public struct ContrastiveLoss: Sendable {
    public var margin: Float

    public init(margin: Float) { self.margin = margin }

    /// Loss and gradients for pairs `(a_i, b_i)` (`n x dims` each) with `similar[i]` telling whether they match.
    public func evaluate(a: Tensor, b: Tensor, similar: [Bool]) throws -> (value: Float, da: Tensor, db: Tensor) {
        let n = a.batch, d = a.itemSize
        guard n >= 1, b.shape == a.shape, similar.count == n else {
            throw RefrainError.invalidArgument("contrastive loss needs a and b of one shape and one label per pair")
        }
        var da = [Float](repeating: 0, count: n * d), db = da
        var total: Float = 0
        let inv = 1 / Float(n)
        for i in 0..<n {
            var s: Float = 0
            for k in 0..<d { let diff = a.data[i * d + k] - b.data[i * d + k]; s += diff * diff }
            let dist = max(s, PairwiseDistances.floor).squareRoot()
            // ∂L/∂a = w (a - b) with w = 1 for similar pairs, -(m - d)/d for dissimilar ones inside the margin.
            let w: Float
            if similar[i] {
                total += 0.5 * s
                w = 1
            } else if dist < margin {
                total += 0.5 * (margin - dist) * (margin - dist)
                w = -(margin - dist) / dist
            } else {
                w = 0
            }
            guard w != 0 else { continue }
            for k in 0..<d {
                let g = w * (a.data[i * d + k] - b.data[i * d + k]) * inv
                da[i * d + k] += g
                db[i * d + k] -= g
            }
        }
        return (total * inv, Tensor(shape: a.shape, data: da), Tensor(shape: b.shape, data: db))
    }
}
