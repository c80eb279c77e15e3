import RefrainMath

/// What a network is, independent of its weights: the shape of one input item and its layers in order. This
/// is the JSON "architecture" of a model file.
public struct Architecture: Codable, Equatable, Sendable {
    /// One input item, without the batch axis (e.g. `[1, 100, 48]`: one channel of 100 frames x 48 bins).
    public var inputShape: [Int]
    public var layers: [LayerSpec]

    public init(inputShape: [Int], layers: [LayerSpec]) {
        self.inputShape = inputShape
        self.layers = layers
    }
}

/// A feed-forward network: layers applied in order, trained by backpropagation through their hand-written
/// backward passes.
///
/// Determinism: the initial weights and every dropout mask come from `SeededRandom(seed:)`, and every
/// reduction runs in a fixed order for a given thread count, so the same seed, data and thread count give the
/// same model bit for bit on one machine.
public final class Network {
    public let architecture: Architecture
    public let layers: [Layer]
    /// The shape of one output item.
    public let outputShape: [Int]
    /// Outputs of every layer in the last training forward pass (for locating non-finite values).
    private var activations: [Tensor] = []

    /// Builds the layers of `architecture` with He-initialised weights drawn from `seed`. Unnamed layers are
    /// named by type and position ("dense3").
    /// - Throws: `RefrainError.invalidArgument` for an unknown layer type, missing hyper-parameters, or shapes
    ///   that do not chain.
    public init(_ architecture: Architecture, seed: UInt64) throws {
        var random = SeededRandom(seed: seed)
        var layers: [Layer] = []
        var specs: [LayerSpec] = []
        var shape = architecture.inputShape
        guard !shape.isEmpty, shape.allSatisfy({ $0 >= 1 }) else {
            throw RefrainError.invalidArgument("network input shape must be non-empty and positive, got \(shape)")
        }
        var names = Set<String>()
        for (index, original) in architecture.layers.enumerated() {
            var spec = original
            if spec.name.isEmpty { spec.name = "\(spec.type)\(index)" }
            guard names.insert(spec.name).inserted else {
                throw RefrainError.invalidArgument("two layers are named \(spec.name)")
            }
            let layer = try Network.makeLayer(spec, &random)
            shape = try layer.outputShape(shape)
            layers.append(layer)
            specs.append(layer.spec)
        }
        self.architecture = Architecture(inputShape: architecture.inputShape, layers: specs)
        self.layers = layers
        self.outputShape = shape
    }

    static func makeLayer(_ s: LayerSpec, _ random: inout SeededRandom) throws -> Layer {
        func need<T>(_ value: T?, _ field: String) throws -> T {
            guard let value else { throw RefrainError.invalidArgument("layer \(s.name) (\(s.type)) needs '\(field)'") }
            return value
        }
        switch s.type {
        case "dense":
            let (i, o) = (try need(s.inputs, "inputs"), try need(s.outputs, "outputs"))
            guard i >= 1, o >= 1 else { throw RefrainError.invalidArgument("layer \(s.name): dense sizes must be positive") }
            return Dense(name: s.name, inputs: i, outputs: o, random: &random)
        case "conv1d", "conv2d":
            let d = s.type == "conv1d" ? 1 : 2
            let kernel = try need(s.kernel, "kernel")
            return try Convolution(name: s.name, dimensions: d, inputChannels: try need(s.inputChannels, "inputChannels"),
                                   outputChannels: try need(s.outputChannels, "outputChannels"), kernel: kernel,
                                   stride: s.stride ?? [Int](repeating: 1, count: d),
                                   padding: s.padding ?? [Int](repeating: 0, count: d), random: &random)
        case "maxpool2d":
            let kernel = try need(s.kernel, "kernel")
            return try MaxPool2D(name: s.name, kernel: kernel, stride: s.stride ?? kernel)
        case "relu": return Activation(name: s.name, kind: .relu)
        case "tanh": return Activation(name: s.name, kind: .tanh)
        case "sigmoid": return Activation(name: s.name, kind: .sigmoid)
        case "softmax": return Softmax(name: s.name)
        case "dropout": return try Dropout(name: s.name, rate: try need(s.rate, "rate"), random: random.split())
        case "layernorm":
            let f = try need(s.inputs, "inputs")
            guard f >= 1 else { throw RefrainError.invalidArgument("layer \(s.name): layer norm needs a positive feature count") }
            return LayerNorm(name: s.name, features: f, epsilon: s.epsilon ?? 1e-5)
        case "l2normalize": return L2Normalize(name: s.name, epsilon: s.epsilon ?? 1e-12)
        case "flatten": return Flatten(name: s.name)
        case "tosequence": return ToSequence(name: s.name)
        case "attention":
            let f = try need(s.inputs, "inputs")
            guard f >= 1 else { throw RefrainError.invalidArgument("layer \(s.name): attention needs a positive feature count") }
            return AttentionPooling(name: s.name, features: f, random: &random)
        default:
            throw RefrainError.invalidArgument("layer \(s.name) has unknown type '\(s.type)'")
        }
    }

    /// Every learnable tensor, layer by layer.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// Number of learnable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    /// Runs the layers on a batch `x` (`batch x inputShape`).
    /// - Throws: `RefrainError.invalidArgument` when the items do not have `inputShape`.
    public func forward(_ x: Tensor, _ pass: Pass = Pass()) throws -> Tensor {
        guard Array(x.shape.dropFirst()) == architecture.inputShape, x.batch >= 1 else {
            throw RefrainError.invalidArgument("network expects batches of shape [batch] + \(architecture.inputShape), got \(x.shape)")
        }
        if let lengths = x.lengths, lengths.count != x.batch {
            throw RefrainError.invalidArgument("\(lengths.count) sequence lengths for a batch of \(x.batch)")
        }
        var y = x
        activations.removeAll(keepingCapacity: true)
        for layer in layers {
            y = layer.forward(y, pass)
            if pass.training { activations.append(y) }
        }
        return y
    }

    /// Backpropagates `dy` (the gradient of the loss with respect to the last forward's output) through every
    /// layer, adding to the parameters' gradients. The input gradient is not computed.
    public func backward(_ dy: Tensor, _ pass: Pass = Pass()) {
        var g = dy
        for (index, layer) in layers.enumerated().reversed() {
            g = layer.backward(g, pass, inputGradient: index > 0)
        }
    }

    /// Like `backward`, and returns the gradient with respect to the network's input.
    public func backwardToInput(_ dy: Tensor, _ pass: Pass = Pass()) -> Tensor {
        var g = dy
        for layer in layers.reversed() { g = layer.backward(g, pass, inputGradient: true) }
        return g
    }

    public func zeroGradients() { for p in parameters { p.zeroGradient() } }

    /// The first place where the last training pass produced a NaN or an infinity: a layer's output
    /// ("output of layer conv1") or a parameter's gradient ("gradient of dense2.weight"); nil when all are finite.
    public func firstNonFinite() -> String? {
        for (layer, output) in zip(layers, activations) where !output.isFinite { return "output of layer \(layer.name)" }
        for p in parameters where !allFinite(p.gradient) { return "gradient of \(p.name)" }
        for p in parameters where !allFinite(p.value) { return "value of \(p.name)" }
        return nil
    }

    /// The parameters by name, as tensors (for model files).
    public func namedTensors() -> [(name: String, shape: [Int], values: [Float])] {
        parameters.map { ($0.name, $0.shape, $0.value) }
    }

    /// Replaces the weights with `tensors` as `namedTensors()` gives them (a snapshot taken during training).
    /// - Throws: as `load(_:)`, naming the first missing or misshapen tensor.
    public func load(namedTensors tensors: [(name: String, shape: [Int], values: [Float])]) throws {
        try load(Dictionary(tensors.map { ($0.name, NPYArray($0.values, shape: $0.shape)) }, uniquingKeysWith: { a, _ in a }))
    }

    /// Replaces the weights with `tensors` (by parameter name).
    /// - Throws: `RefrainError.invalidFile`-style errors naming the first missing or misshapen tensor.
    public func load(_ tensors: [String: NPYArray]) throws {
        for p in parameters {
            guard let t = tensors[p.name] else { throw RefrainError(.invalidFile, "tensor \(p.name) is missing") }
            guard t.shape == p.shape else {
                throw RefrainError(.invalidFile, "tensor \(p.name) has shape \(t.shape), the architecture needs \(p.shape)")
            }
            guard t.dtype == .float32 else { throw RefrainError(.invalidFile, "tensor \(p.name) is \(t.dtype.rawValue), expected float32 (<f4)") }
            p.value = t.floats()
        }
    }
}
