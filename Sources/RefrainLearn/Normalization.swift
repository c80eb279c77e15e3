import RefrainMath

/// Layer normalisation (Ba, Kiros & Hinton 2016) over the last axis of `features` values:
/// `y = (x - mean) / sqrt(var + epsilon) * gamma + beta` with the biased variance, as PyTorch's
/// `nn.LayerNorm(features)`. `gamma` (named "weight") starts at 1, `beta` ("bias") at 0.
public final class LayerNorm: Layer {
    public let name: String
    public let features: Int
    public let epsilon: Float
    public let gamma: Parameter
    public let beta: Parameter
    private var normalized: [Float] = []
    private var inverseStd: [Float] = []
    private var inputShape: [Int] = []
    private var inputLengths: [Int]?

    public init(name: String, features: Int, epsilon: Float) {
        self.name = name
        self.features = features
        self.epsilon = epsilon
        gamma = Parameter(name: name + ".weight", shape: [features], value: [Float](repeating: 1, count: features))
        beta = Parameter(name: name + ".bias", shape: [features], value: [Float](repeating: 0, count: features))
    }

    public var spec: LayerSpec { .layerNorm(features, epsilon: epsilon, name: name) }
    public var parameters: [Parameter] { [gamma, beta] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.last == features else {
            throw RefrainError.invalidArgument("layer \(name) normalises \(features) features, got shape \(input)")
        }
        return input
    }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        precondition(x.shape.last == features, "layer \(name) normalises \(features) features, got shape \(x.shape)")
        inputShape = x.shape
        inputLengths = x.lengths
        let n = features, rows = x.count / n
        normalized = x.data
        inverseStd = [Float](repeating: 0, count: rows)
        var y = x
        for r in 0..<rows {
            var mean: Float = 0
            for j in 0..<n { mean += x.data[r * n + j] }
            mean /= Float(n)
            var variance: Float = 0
            for j in 0..<n { let d = x.data[r * n + j] - mean; variance += d * d }
            variance /= Float(n)
            let inv = 1 / (variance + epsilon).squareRoot()
            inverseStd[r] = inv
            for j in 0..<n {
                let z = (x.data[r * n + j] - mean) * inv
                normalized[r * n + j] = z
                y.data[r * n + j] = z * gamma.value[j] + beta.value[j]
            }
        }
        return y
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        let n = features, rows = dy.count / n
        var dx = [Float](repeating: 0, count: inputGradient ? dy.count : 0)
        for r in 0..<rows {
            var sumG: Float = 0, sumGZ: Float = 0
            for j in 0..<n {
                let g = dy.data[r * n + j], z = normalized[r * n + j]
                gamma.gradient[j] += g * z
                beta.gradient[j] += g
                let gz = g * gamma.value[j]
                sumG += gz
                sumGZ += gz * z
            }
            guard inputGradient else { continue }
            let inv = inverseStd[r], scale = 1 / Float(n)
            for j in 0..<n {
                let gz = dy.data[r * n + j] * gamma.value[j], z = normalized[r * n + j]
                dx[r * n + j] = inv * (gz - scale * sumG - z * scale * sumGZ)
            }
        }
        guard inputGradient else { return Tensor(shape: [0]) }
        return Tensor(shape: inputShape, data: dx, lengths: inputLengths)
    }
}

/// Scales each vector of the last axis to unit Euclidean length: `y = x / max(‖x‖, epsilon)` (PyTorch's
/// `F.normalize`). Backward: `dx = (dy - y (y · dy)) / ‖x‖` (plain `dy / epsilon` where the norm is clamped).
public final class L2Normalize: Layer {
    public let name: String
    public let epsilon: Float
    private var output = Tensor(shape: [0])
    private var norms: [Float] = []

    public init(name: String, epsilon: Float) {
        self.name = name
        self.epsilon = epsilon
    }

    public var spec: LayerSpec { .l2Normalize(epsilon: epsilon, name: name) }
    public var parameters: [Parameter] { [] }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        let n = x.shape.last ?? 1, rows = x.count / max(n, 1)
        var y = x
        norms = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<n { s += x.data[r * n + j] * x.data[r * n + j] }
            let norm = s.squareRoot()
            norms[r] = norm
            let inv = 1 / max(norm, epsilon)
            for j in 0..<n { y.data[r * n + j] *= inv }
        }
        output = y
        return y
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        let n = dy.shape.last ?? 1, rows = dy.count / max(n, 1)
        var dx = dy
        for r in 0..<rows {
            if norms[r] <= epsilon {
                for j in 0..<n { dx.data[r * n + j] = dy.data[r * n + j] / epsilon }
                continue
            }
            var dot: Float = 0
            for j in 0..<n { dot += output.data[r * n + j] * dy.data[r * n + j] }
            let inv = 1 / norms[r]
            for j in 0..<n { dx.data[r * n + j] = (dy.data[r * n + j] - output.data[r * n + j] * dot) * inv }
        }
        return dx
    }
}
