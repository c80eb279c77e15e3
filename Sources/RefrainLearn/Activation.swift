import Foundation
import RefrainMath

/// Element-wise nonlinearities: ReLU (`max(0, x)`), tanh and the logistic sigmoid. Each keeps its output,
/// from which its derivative follows (`y > 0`, `1 - y²`, `y (1 - y)`).
public final class Activation: Layer {
    public enum Kind: String, Sendable { case relu, tanh, sigmoid }
    public let name: String
    public let kind: Kind
    private var output = Tensor(shape: [0])

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public var spec: LayerSpec { .activation(kind.rawValue, name: name) }
    public var parameters: [Parameter] { [] }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        var y = x
        y.data.withUnsafeMutableBufferPointer { p in
            switch kind {
            case .relu: for i in p.indices { p[i] = max(p[i], 0) }
            case .tanh: for i in p.indices { p[i] = Foundation.tanh(p[i]) }
            case .sigmoid: for i in p.indices { p[i] = 1 / (1 + Foundation.exp(-p[i])) }
            }
        }
        output = y
        return y
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        var dx = dy
        dx.data.withUnsafeMutableBufferPointer { g in
            output.data.withUnsafeBufferPointer { y in
                switch kind {
                case .relu: for i in g.indices { g[i] = y[i] > 0 ? g[i] : 0 }
                case .tanh: for i in g.indices { g[i] *= 1 - y[i] * y[i] }
                case .sigmoid: for i in g.indices { g[i] *= y[i] * (1 - y[i]) }
                }
            }
        }
        return dx
    }
}

/// Softmax over the last axis (with the maximum subtracted first). Backward:
/// `dx = y ⊙ (dy - Σ_j y_j dy_j)`.
public final class Softmax: Layer {
    public let name: String
    private var output = Tensor(shape: [0])

    public init(name: String) { self.name = name }

    public var spec: LayerSpec { .activation("softmax", name: name) }
    public var parameters: [Parameter] { [] }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        var y = x
        let n = x.shape.last ?? 1
        y.data.withUnsafeMutableBufferPointer { p in
            for r in 0..<(p.count / max(n, 1)) {
                let row = p.baseAddress! + r * n
                softmaxInPlace(row, n)
            }
        }
        output = y
        return y
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        var dx = dy
        let n = dy.shape.last ?? 1
        dx.data.withUnsafeMutableBufferPointer { g in
            output.data.withUnsafeBufferPointer { y in
                for r in 0..<(g.count / max(n, 1)) {
                    var dot: Float = 0
                    for j in 0..<n { dot += y[r * n + j] * g[r * n + j] }
                    for j in 0..<n { g[r * n + j] = y[r * n + j] * (g[r * n + j] - dot) }
                }
            }
        }
        return dx
    }
}

/// Softmax of `n` values in place, shifted by their maximum.
func softmaxInPlace(_ row: UnsafeMutablePointer<Float>, _ n: Int) {
    guard n > 0 else { return }
    var top = row[0]
    for j in 1..<max(n, 1) where row[j] > top { top = row[j] }
    var sum: Float = 0
    for j in 0..<n { row[j] = Foundation.exp(row[j] - top); sum += row[j] }
    let inv = 1 / sum
    for j in 0..<n { row[j] *= inv }
}
