import RefrainMath

/// Dropout (Srivastava et al., JMLR 2014), inverted: in training, each element is zeroed with probability
/// `rate` and the survivors scaled by `1 / (1 - rate)`; outside training it passes values unchanged. The mask
/// comes from the layer's own `SeededRandom`, derived from the network's seed.
public final class Dropout: Layer {
    public let name: String
    public let rate: Float
    public var random: SeededRandom
    private var mask: [Float] = []

    public init(name: String, rate: Float, random: SeededRandom) throws {
        guard rate >= 0, rate < 1 else { throw RefrainError.invalidArgument("layer \(name): dropout rate must be in [0, 1), got \(rate)") }
        self.name = name
        self.rate = rate
        self.random = random
    }

    public var spec: LayerSpec { .dropout(rate, name: name) }
    public var parameters: [Parameter] { [] }
    public func outputShape(_ input: [Int]) throws -> [Int] { input }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        guard pass.training, rate > 0 else { mask = []; return x }
        let scale = 1 / (1 - rate)
        mask = (0..<x.count).map { _ in random.uniform() < rate ? 0 : scale }
        var y = x
        for i in y.data.indices { y.data[i] *= mask[i] }
        return y
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        guard !mask.isEmpty else { return dy }
        var dx = dy
        for i in dx.data.indices { dx.data[i] *= mask[i] }
        return dx
    }
}
