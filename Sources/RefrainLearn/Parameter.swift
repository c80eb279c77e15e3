/// A learnable tensor of a layer with its gradient (accumulated by `backward`, cleared by `zeroGradient`).
///
/// Shapes follow PyTorch's so that a saved model loads into the equivalent `torch.nn` module unchanged:
/// dense weights `outputs x inputs`, convolution weights `outputChannels x inputChannels x kernel...`.
public final class Parameter {
    /// `layer.name` + "." + role, e.g. "conv1.weight": the tensor's name in a model file.
    public let name: String
    public let shape: [Int]
    public var value: [Float]
    public var gradient: [Float]

    public init(name: String, shape: [Int], value: [Float]) {
        precondition(value.count == shape.reduce(1, *), "parameter \(name): \(value.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.value = value
        self.gradient = [Float](repeating: 0, count: value.count)
    }

    public var count: Int { value.count }

    public func zeroGradient() {
        gradient.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] = 0 } }
    }
}
