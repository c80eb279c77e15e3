import Foundation
import RefrainMath

/// Feed-forward attention pooling (Raffel & Ellis, "Feed-Forward Networks with Attention Can Solve Some
/// Long-Term Memory Problems", ICLR workshop 2016): a sequence `h_1 ... h_T` (items `steps x features`)
/// becomes one vector `c = Σ_t α_t h_t` with `α = softmax_t(w · h_t + b)`.
///
/// Sequences of different lengths travel padded to one length with `Tensor.lengths`: the softmax runs over
/// the first `lengths[b]` steps of item `b` only, padded steps get weight 0 and no gradient. `weight` is
/// `1 x features` and `bias` `1` (PyTorch's `nn.Linear(features, 1)`); the weight is He-initialised.
public final class AttentionPooling: Layer {
    public let name: String
    public let features: Int
    public let weight: Parameter
    public let bias: Parameter
    private var input = Tensor(shape: [0])
    /// `batch x steps` attention weights of the last forward pass (0 on padded steps).
    public private(set) var alphas: [Float] = []

    public init(name: String, features: Int, random: inout SeededRandom) {
        self.name = name
        self.features = features
        weight = Parameter(name: name + ".weight", shape: [1, features],
                           value: heNormal(count: features, fanIn: features, random: &random))
        bias = Parameter(name: name + ".bias", shape: [1], value: [0])
    }

    public var spec: LayerSpec { .attention(features, name: name) }
    public var parameters: [Parameter] { [weight, bias] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.count == 2, input[1] == features else {
            throw RefrainError.invalidArgument("layer \(name) pools sequences of \(features) features (steps x \(features)), got shape \(input)")
        }
        return [features]
    }

    func length(_ b: Int, steps: Int) -> Int { input.lengths.map { min(max($0[b], 1), steps) } ?? steps }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        precondition(x.shape.count == 3 && x.shape[2] == features && (x.lengths?.count ?? x.shape[0]) == x.shape[0],
                     "layer \(name) takes [batch, steps, \(features)] with one length per item, got \(x.shape)")
        input = x
        let batch = x.shape[0], steps = x.shape[1], f = features
        alphas = [Float](repeating: 0, count: batch * steps)
        var out = [Float](repeating: 0, count: batch * f)
        x.data.withUnsafeBufferPointer { h in
            weight.value.withUnsafeBufferPointer { w in
                alphas.withUnsafeMutableBufferPointer { a in
                    out.withUnsafeMutableBufferPointer { c in
                        for b in 0..<batch {
                            let n = length(b, steps: steps)
                            let row = a.baseAddress! + b * steps
                            for t in 0..<n { row[t] = BLAS.dot(h.baseAddress! + (b * steps + t) * f, w.baseAddress!, count: f) + bias.value[0] }
                            softmaxInPlace(row, n)
                            for t in 0..<n { BLAS.axpy(row[t], h.baseAddress! + (b * steps + t) * f, c.baseAddress! + b * f, count: f) }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [batch, f], data: out)
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        let batch = input.shape[0], steps = input.shape[1], f = features
        precondition(dy.count == batch * f, "layer \(name): gradient of shape \(dy.shape) does not fit the last forward pass")
        var dx = [Float](repeating: 0, count: inputGradient ? input.count : 0)
        var scoreGrad = [Float](repeating: 0, count: steps)
        input.data.withUnsafeBufferPointer { h in
            dy.data.withUnsafeBufferPointer { g in
                weight.value.withUnsafeBufferPointer { w in
                    weight.gradient.withUnsafeMutableBufferPointer { gw in
                        dx.withUnsafeMutableBufferPointer { d in
                            for b in 0..<batch {
                                let n = length(b, steps: steps)
                                let dc = g.baseAddress! + b * f
                                // dL/dα_t = h_t · dc; through the softmax: ds_t = α_t (dα_t - Σ_s α_s dα_s).
                                var mean: Float = 0
                                for t in 0..<n {
                                    let da = BLAS.dot(h.baseAddress! + (b * steps + t) * f, dc, count: f)
                                    scoreGrad[t] = da
                                    mean += alphas[b * steps + t] * da
                                }
                                for t in 0..<n {
                                    let alpha = alphas[b * steps + t]
                                    let ds = alpha * (scoreGrad[t] - mean)
                                    let ht = h.baseAddress! + (b * steps + t) * f
                                    BLAS.axpy(ds, ht, gw.baseAddress!, count: f)
                                    bias.gradient[0] += ds
                                    if inputGradient {
                                        let dh = d.baseAddress! + (b * steps + t) * f
                                        BLAS.axpy(alpha, dc, dh, count: f)
                                        BLAS.axpy(ds, w.baseAddress!, dh, count: f)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        guard inputGradient else { return Tensor(shape: [0]) }
        return Tensor(shape: input.shape, data: dx, lengths: input.lengths)
    }
}
