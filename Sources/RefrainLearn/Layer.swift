import RefrainMath

/// How a forward or backward pass runs: in training mode (dropout active) or not, and on how many cores
/// (the caller's compute budget; products and per-sample work are split over at most this many).
public struct Pass: Sendable {
    public var training: Bool
    public var threads: Int

    public init(training: Bool = false, threads: Int = 1) {
        self.training = training
        self.threads = max(1, threads)
    }

    /// The cores worth using for `elements` of element-wise work: one below 64 k elements (a dispatch costs
    /// more than it saves), else `threads`.
    public func work(_ elements: Int) -> Int { elements >= 1 << 16 ? threads : 1 }
}

/// One layer of a `Network`, with a forward pass and a hand-written backward pass.
///
/// `forward` keeps what `backward` needs (its input, masks, argmax positions); `backward` takes the gradient
/// of the loss with respect to the last forward's output, adds the gradients of the layer's parameters to
/// their `gradient` buffers, and returns the gradient with respect to the input (an empty tensor when
/// `inputGradient` is false, which the first layer of a network uses to skip that work).
///
/// `Network` checks shapes once, when it is built and on every input; a layer called directly with an input
/// that its `outputShape` refuses stops with a precondition failure rather than touching memory it does not own.
public protocol Layer: AnyObject {
    /// Unique within its network ("conv1", "dense2"): prefixes the parameter names in model files.
    var name: String { get }
    /// The layer's description in a model file.
    var spec: LayerSpec { get }
    /// Learnable tensors, in a fixed order (weight before bias).
    var parameters: [Parameter] { get }
    /// The shape of one output item for one input item (shapes without the batch axis).
    /// - Throws: `RefrainError.invalidArgument` when the layer cannot take that input.
    func outputShape(_ input: [Int]) throws -> [Int]
    func forward(_ x: Tensor, _ pass: Pass) -> Tensor
    func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor
}

/// A layer's description in a model file's JSON: its type, its name and the hyper-parameters of that type
/// (absent fields are not used by the type). See `docs/model-format.md`.
public struct LayerSpec: Codable, Equatable, Sendable {
    /// "dense", "conv1d", "conv2d", "maxpool2d", "relu", "tanh", "sigmoid", "softmax", "dropout",
    /// "layernorm", "l2normalize", "flatten", "tosequence", "attention".
    public var type: String
    public var name: String
    /// Dense: input and output features; layer norm and attention: `inputs` features.
    public var inputs: Int?
    public var outputs: Int?
    /// Convolutions: input and output channels.
    public var inputChannels: Int?
    public var outputChannels: Int?
    /// Convolutions and pooling: per spatial axis (one value for 1-D, two for 2-D: height, width).
    public var kernel: [Int]?
    public var stride: [Int]?
    public var padding: [Int]?
    /// Dropout: probability of zeroing an element.
    public var rate: Float?
    /// Layer norm and L2 normalisation: the epsilon added for stability.
    public var epsilon: Float?

    public init(type: String, name: String, inputs: Int? = nil, outputs: Int? = nil, inputChannels: Int? = nil,
                outputChannels: Int? = nil, kernel: [Int]? = nil, stride: [Int]? = nil, padding: [Int]? = nil,
                rate: Float? = nil, epsilon: Float? = nil) {
        self.type = type
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.rate = rate
        self.epsilon = epsilon
    }

    // Shorthands for building architectures in code.
    public static func dense(_ inputs: Int, _ outputs: Int, name: String = "") -> LayerSpec {
        LayerSpec(type: "dense", name: name, inputs: inputs, outputs: outputs)
    }
    public static func conv2d(_ inputChannels: Int, _ outputChannels: Int, kernel: [Int], stride: [Int] = [1, 1],
                              padding: [Int] = [0, 0], name: String = "") -> LayerSpec {
        LayerSpec(type: "conv2d", name: name, inputChannels: inputChannels, outputChannels: outputChannels,
                  kernel: kernel, stride: stride, padding: padding)
    }
    public static func conv1d(_ inputChannels: Int, _ outputChannels: Int, kernel: Int, stride: Int = 1,
                              padding: Int = 0, name: String = "") -> LayerSpec {
        LayerSpec(type: "conv1d", name: name, inputChannels: inputChannels, outputChannels: outputChannels,
                  kernel: [kernel], stride: [stride], padding: [padding])
    }
    public static func maxPool2d(_ kernel: [Int], stride: [Int]? = nil, name: String = "") -> LayerSpec {
        LayerSpec(type: "maxpool2d", name: name, kernel: kernel, stride: stride ?? kernel)
    }
    public static func activation(_ type: String, name: String = "") -> LayerSpec { LayerSpec(type: type, name: name) }
    public static var relu: LayerSpec { activation("relu") }
    public static var tanh: LayerSpec { activation("tanh") }
    public static var sigmoid: LayerSpec { activation("sigmoid") }
    public static var softmax: LayerSpec { activation("softmax") }
    public static var flatten: LayerSpec { activation("flatten") }
    public static var toSequence: LayerSpec { activation("tosequence") }
    public static func dropout(_ rate: Float, name: String = "") -> LayerSpec { LayerSpec(type: "dropout", name: name, rate: rate) }
    public static func layerNorm(_ features: Int, epsilon: Float = 1e-5, name: String = "") -> LayerSpec {
        LayerSpec(type: "layernorm", name: name, inputs: features, epsilon: epsilon)
    }
    public static func l2Normalize(epsilon: Float = 1e-12, name: String = "") -> LayerSpec {
        LayerSpec(type: "l2normalize", name: name, epsilon: epsilon)
    }
    public static func attention(_ features: Int, name: String = "") -> LayerSpec {
        LayerSpec(type: "attention", name: name, inputs: features)
    }
}

/// He (Kaiming) normal initialisation (He et al., "Delving Deep into Rectifiers", ICCV 2015): standard
/// deviation `sqrt(2 / fanIn)`.
func heNormal(count: Int, fanIn: Int, random: inout SeededRandom) -> [Float] {
    let std = (2 / Float(max(fanIn, 1))).squareRoot()
    return (0..<count).map { _ in random.normal() * std }
}

/// `dy` reshaped like a layer's cached input (for shape-only layers).
func requireShape(_ shape: [Int], _ expected: Int, _ layer: String) throws {
    guard shape.count == expected else {
        throw RefrainError.invalidArgument("layer \(layer) expects \(expected)-D items, got shape \(shape)")
    }
}
