import Foundation
import RefrainMath

/// Unit-length rows of an `n x d` buffer and the backward map of that normalisation.
struct RowNormalization {
    let dims: Int
    var unit: [Float]
    var norms: [Float]

    init(_ values: [Float], dims: Int) {
        self.dims = dims
        unit = values
        let rows = values.count / max(dims, 1)
        norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var s: Float = 0
            for k in 0..<dims { s += values[r * dims + k] * values[r * dims + k] }
            norms[r] = max(s.squareRoot(), 1e-12)
            for k in 0..<dims { unit[r * dims + k] /= norms[r] }
        }
    }

    /// `∂L/∂x` from `∂L/∂(x/‖x‖)`: `(g - u (u · g)) / ‖x‖` per row.
    func backward(_ g: [Float]) -> [Float] {
        var out = g
        for r in 0..<norms.count {
            var dot: Float = 0
            for k in 0..<dims { dot += unit[r * dims + k] * g[r * dims + k] }
            for k in 0..<dims { out[r * dims + k] = (g[r * dims + k] - unit[r * dims + k] * dot) / norms[r] }
        }
        return out
    }
}

/// Cross-entropy of logits (`n x classes`) against integer labels, averaged over rows: the value and
/// `∂L/∂logits = (softmax - onehot) / n`.
func crossEntropy(_ logits: [Float], classes: Int, labels: [Int]) -> (Float, [Float]) {
    var p = logits
    var total: Float = 0
    let n = labels.count
    p.withUnsafeMutableBufferPointer { buf in
        for i in 0..<n {
            let row = buf.baseAddress! + i * classes
            softmaxInPlace(row, classes)
            total -= Foundation.log(max(row[labels[i]], Float.leastNormalMagnitude))
            row[labels[i]] -= 1
            for c in 0..<classes { row[c] /= Float(n) }
        }
    }
    return (total / Float(n), p)
}

/// Softmax classification over L2-normalised embeddings with a temperature ("normalised softmax", as in
/// Wang et al., "NormFace", 2017, and the proxy losses of metric learning): `logits_ic = (ê_i · ŵ_c) / T`, with
/// `ê` the unit-length embedding and `ŵ_c` the unit-length weight vector of class `c`. The class weights
/// (`classes x dims`) are a `Parameter` of the loss, trained with the network.
public final class NormalizedSoftmaxLoss {
    public let temperature: Float
    public let classWeights: Parameter

    public init(classes: Int, dims: Int, temperature: Float, random: inout SeededRandom) {
        self.temperature = temperature
        classWeights = Parameter(name: "loss.class_weights", shape: [classes, dims],
                                 value: heNormal(count: classes * dims, fanIn: dims, random: &random))
    }

    public var classes: Int { classWeights.shape[0] }

    /// The loss and its gradient with respect to `embeddings` (`batch x dims`); the class weights' gradient is
    /// added to `classWeights.gradient`.
    public func evaluate(embeddings: Tensor, labels: [Int]) throws -> (value: Float, gradient: Tensor) {
        let n = embeddings.batch, d = embeddings.itemSize, c = classes
        guard d == classWeights.shape[1], labels.count == n, labels.allSatisfy({ (0..<c).contains($0) }) else {
            throw RefrainError.invalidArgument("normalised softmax loss needs \(classWeights.shape[1])-d embeddings and one label in 0..<\(c) per row")
        }
        let e = RowNormalization(embeddings.data, dims: d), w = RowNormalization(classWeights.value, dims: d)
        var logits = [Float](repeating: 0, count: n * c)
        for i in 0..<n { for k in 0..<c {
            var s: Float = 0
            for j in 0..<d { s += e.unit[i * d + j] * w.unit[k * d + j] }
            logits[i * c + k] = s / temperature
        } }
        let (value, dl) = crossEntropy(logits, classes: c, labels: labels)
        var de = [Float](repeating: 0, count: n * d), dw = [Float](repeating: 0, count: c * d)
        for i in 0..<n { for k in 0..<c {
            let g = dl[i * c + k] / temperature
            guard g != 0 else { continue }
            for j in 0..<d {
                de[i * d + j] += g * w.unit[k * d + j]
                dw[k * d + j] += g * e.unit[i * d + j]
            }
        } }
        let gw = w.backward(dw)
        for i in 0..<gw.count { classWeights.gradient[i] += gw[i] }
        return (value, Tensor(shape: embeddings.shape, data: e.backward(de)))
    }
}

/// Prototypical softmax (Snell, Swersky & Zemel, "Prototypical Networks for Few-shot Learning", NeurIPS 2017)
/// over L2-normalised embeddings: each class present in the batch has a prototype `p_c`, the mean of its
/// unit-length embeddings, and `logits_ic = -‖ê_i - p_c‖² / T`. Every batch item is both a query and a member
/// of its class's prototype (no support/query split), so the gradient reaches the embeddings through the
/// prototypes too. Labels are arbitrary integers; each class needs at least one item.
public struct PrototypeSoftmaxLoss: Sendable {
    public var temperature: Float

    public init(temperature: Float) { self.temperature = temperature }

    public func evaluate(embeddings: Tensor, labels: [Int]) throws -> (value: Float, gradient: Tensor) {
        let n = embeddings.batch, d = embeddings.itemSize
        let classes = Array(Set(labels)).sorted()
        guard labels.count == n, classes.count >= 2 else {
            throw RefrainError.invalidArgument("prototype loss needs one label per embedding and at least 2 classes in the batch")
        }
        let index = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0) })
        let target = labels.map { index[$0]! }
        let c = classes.count
        let e = RowNormalization(embeddings.data, dims: d)
        var members = [Int](repeating: 0, count: c)
        var proto = [Float](repeating: 0, count: c * d)
        for i in 0..<n {
            members[target[i]] += 1
            for j in 0..<d { proto[target[i] * d + j] += e.unit[i * d + j] }
        }
        for k in 0..<c { for j in 0..<d { proto[k * d + j] /= Float(members[k]) } }
        var logits = [Float](repeating: 0, count: n * c)
        for i in 0..<n { for k in 0..<c {
            var s: Float = 0
            for j in 0..<d { let diff = e.unit[i * d + j] - proto[k * d + j]; s += diff * diff }
            logits[i * c + k] = -s / temperature
        } }
        let (value, dl) = crossEntropy(logits, classes: c, labels: target)
        var dz = [Float](repeating: 0, count: n * d), dp = [Float](repeating: 0, count: c * d)
        for i in 0..<n { for k in 0..<c {
            let g = dl[i * c + k] * 2 / temperature
            for j in 0..<d {
                let diff = e.unit[i * d + j] - proto[k * d + j]
                dz[i * d + j] -= g * diff
                dp[k * d + j] += g * diff
            }
        } }
        for i in 0..<n {
            let k = target[i]
            for j in 0..<d { dz[i * d + j] += dp[k * d + j] / Float(members[k]) }
        }
        return (value, Tensor(shape: embeddings.shape, data: e.backward(dz)))
    }
}
