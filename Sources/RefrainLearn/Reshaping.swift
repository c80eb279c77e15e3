import RefrainMath

/// Flattens each item to one vector: `[batch, a, b, ...]` to `[batch, a * b * ...]` (C order, as PyTorch's
/// `flatten(1)`).
public final class Flatten: Layer {
    public let name: String
    private var inputShape: [Int] = []
    private var inputLengths: [Int]?

    public init(name: String) { self.name = name }

    public var spec: LayerSpec { .activation("flatten", name: name) }
    public var parameters: [Parameter] { [] }
    public func outputShape(_ input: [Int]) throws -> [Int] { [input.reduce(1, *)] }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        inputShape = x.shape
        inputLengths = x.lengths
        return Tensor(shape: [x.batch, x.itemSize], data: x.data)
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        return Tensor(shape: inputShape, data: dy.data, lengths: inputLengths)
    }
}

/// Turns feature maps into a sequence over their time axis: `[batch, channels, time, width]` to
/// `[batch, time, channels * width]` (and `[batch, channels, time]` to `[batch, time, channels]`), so that
/// dense layers and attention pooling see one vector per time step. In PyTorch:
/// `x.permute(0, 2, 1, 3).flatten(2)`. Sequence lengths pass through.
public final class ToSequence: Layer {
    public let name: String
    private var inputShape: [Int] = []

    public init(name: String) { self.name = name }

    public var spec: LayerSpec { .activation("tosequence", name: name) }
    public var parameters: [Parameter] { [] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        guard input.count == 2 || input.count == 3 else {
            throw RefrainError.invalidArgument("layer \(name) expects channels x time (x width) items, got shape \(input)")
        }
        return [input[1], input[0] * (input.count == 3 ? input[2] : 1)]
    }

    /// `[b][c][t][w]` to `[b][t][c][w]` (`forward: true`) or back.
    private func permute(_ src: [Float], forward: Bool) -> [Float] {
        let b = inputShape[0], c = inputShape[1], t = inputShape[2], w = inputShape.count == 4 ? inputShape[3] : 1
        // A permutation: every element is written below, so none is cleared first.
        var out = [Float](unsafeUninitializedCapacity: src.count) { _, count in count = src.count }
        src.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for bi in 0..<b {
                    for ci in 0..<c {
                        for ti in 0..<t {
                            let a = ((bi * c + ci) * t + ti) * w, z = ((bi * t + ti) * c + ci) * w
                            if forward {
                                (d.baseAddress! + z).update(from: s.baseAddress! + a, count: w)
                            } else {
                                (d.baseAddress! + a).update(from: s.baseAddress! + z, count: w)
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        precondition(x.shape.count == 3 || x.shape.count == 4, "layer \(name) takes [batch, channels, time(, width)], got \(x.shape)")
        inputShape = x.shape
        let w = x.shape.count == 4 ? x.shape[3] : 1
        return Tensor(shape: [x.shape[0], x.shape[2], x.shape[1] * w], data: permute(x.data, forward: true), lengths: x.lengths)
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        return Tensor(shape: inputShape, data: permute(dy.data, forward: false), lengths: dy.lengths)
    }
}
