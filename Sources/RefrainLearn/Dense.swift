import RefrainMath

/// A fully connected layer, `y = x Wᵀ + b`, over the last axis: items of shape `[..., inputs]` (a vector, or
/// a sequence of vectors) give `[..., outputs]`. `weight` is `outputs x inputs` (PyTorch's `nn.Linear`),
/// He-initialised; `bias` starts at zero. All rows of the batch go through one `sgemm`.
public final class Dense: Layer {
    public let name: String
    public let inputs: Int
    public let outputs: Int
    public let weight: Parameter
    public let bias: Parameter
    private var input = Tensor(shape: [0])

    public init(name: String, inputs: Int, outputs: Int, random: inout SeededRandom) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        weight = Parameter(name: name + ".weight", shape: [outputs, inputs],
                           value: heNormal(count: outputs * inputs, fanIn: inputs, random: &random))
        bias = Parameter(name: name + ".bias", shape: [outputs], value: [Float](repeating: 0, count: outputs))
    }

    public var spec: LayerSpec { .dense(inputs, outputs, name: name) }
    public var parameters: [Parameter] { [weight, bias] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.last == inputs else {
            throw RefrainError.invalidArgument("layer \(name) expects \(inputs) features in the last axis, got shape \(input)")
        }
        return input.dropLast() + [outputs]
    }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        precondition(x.shape.last == inputs, "layer \(name) takes \(inputs) features, got shape \(x.shape)")
        input = x
        let rows = x.count / inputs
        // Every element is set to its bias below before sgemm adds to it, so none is cleared first.
        var out = [Float](unsafeUninitializedCapacity: rows * outputs) { _, count in count = rows * outputs }
        out.withUnsafeMutableBufferPointer { y in
            bias.value.withUnsafeBufferPointer { b in
                for r in 0..<rows { for j in 0..<outputs { y[r * outputs + j] = b[j] } }
            }
            x.data.withUnsafeBufferPointer { xp in
                weight.value.withUnsafeBufferPointer { w in
                    BLAS.sgemm(transposeB: true, m: rows, n: outputs, k: inputs, a: xp.baseAddress!, lda: inputs,
                               b: w.baseAddress!, ldb: inputs, beta: 1, c: y.baseAddress!, ldc: outputs, threads: pass.threads)
                }
            }
        }
        var shape = x.shape
        shape[shape.count - 1] = outputs
        return Tensor(shape: shape, data: out, lengths: x.lengths)
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        precondition(dy.count == input.count / inputs * outputs, "layer \(name): gradient of shape \(dy.shape) does not fit the last forward pass")
        let rows = dy.count / outputs
        dy.data.withUnsafeBufferPointer { g in
            input.data.withUnsafeBufferPointer { xp in
                weight.gradient.withUnsafeMutableBufferPointer { gw in
                    // dW += dYᵀ X: (outputs x rows) (rows x inputs).
                    BLAS.sgemm(transposeA: true, m: outputs, n: inputs, k: rows, a: g.baseAddress!, lda: outputs,
                               b: xp.baseAddress!, ldb: inputs, beta: 1, c: gw.baseAddress!, ldc: inputs, threads: pass.threads)
                }
            }
            bias.gradient.withUnsafeMutableBufferPointer { gb in
                for r in 0..<rows { for j in 0..<outputs { gb[j] += g[r * outputs + j] } }
            }
        }
        guard inputGradient else { return Tensor(shape: [0]) }
        var dx = [Float](repeating: 0, count: rows * inputs)
        dy.data.withUnsafeBufferPointer { g in
            weight.value.withUnsafeBufferPointer { w in
                dx.withUnsafeMutableBufferPointer { d in
                    // dX = dY W: (rows x outputs) (outputs x inputs).
                    BLAS.sgemm(m: rows, n: inputs, k: outputs, a: g.baseAddress!, lda: outputs, b: w.baseAddress!,
                               ldb: inputs, c: d.baseAddress!, ldc: inputs, threads: pass.threads)
                }
            }
        }
        return Tensor(shape: input.shape, data: dx, lengths: input.lengths)
    }
}
