import CLearnKernels
import Foundation
import RefrainMath

/// A first-order optimiser over a network's parameters. `step` applies one update from the accumulated
/// gradients and then clears them (the clearing is fused into the update pass, which is memory-bound on large
/// layers). Its state (moment buffers by parameter name, the step count) goes into checkpoints.
///
/// Update rules follow PyTorch's `torch.optim` with default options, so that a few steps from one start
/// match `scripts/reference/learn_torch.py`.
public protocol Optimizer: AnyObject {
    /// "sgd", "rmsprop" or "adam".
    var kind: String { get }
    var learningRate: Float { get set }
    /// Updates taken so far.
    var steps: Int { get set }
    func step(_ parameters: [Parameter], threads: Int)
    /// Buffers by "<parameter name>.<buffer>" (e.g. "dense1.weight.momentum").
    var state: [String: [Float]] { get set }
}

/// Eight floats at `p + i` (no alignment needed).
@inline(__always)
func load8(_ p: UnsafeMutablePointer<Float>, _ i: Int) -> SIMD8<Float> {
    UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores eight floats at `p + i` (no alignment needed).
@inline(__always)
func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ i: Int) {
    withUnsafeBytes(of: v) { UnsafeMutableRawPointer(p + i).copyMemory(from: $0.baseAddress!, byteCount: 32) }
}

/// Runs `body(range)` over `count` elements in a few large blocks on at most `threads` cores.
func forEachChunk(_ count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let parts = count >= 1 << 16 ? threads : 1
    forEachBlock(count, threads: parts) { _, range in body(range) }
}

/// Stochastic gradient descent with (heavy-ball) momentum: `v = μ v + g`, `θ -= η v` (PyTorch's `SGD`).
public final class SGD: Optimizer {
    public let kind = "sgd"
    public var learningRate: Float
    public var momentum: Float
    public var steps = 0
    public var state: [String: [Float]] = [:]

    public init(learningRate: Float, momentum: Float = 0.9) {
        self.learningRate = learningRate
        self.momentum = momentum
    }

    public func step(_ parameters: [Parameter], threads: Int = 1) {
        steps += 1
        let (lr, mu) = (learningRate, momentum)
        for p in parameters {
            let count = p.count
            var v = state.removeValue(forKey: p.name + ".momentum") ?? [Float](repeating: 0, count: count)
            v.withUnsafeMutableBufferPointer { vb in
                p.value.withUnsafeMutableBufferPointer { xb in
                    p.gradient.withUnsafeMutableBufferPointer { gb in
                        let s = UncheckedSendable((vb.baseAddress!, xb.baseAddress!, gb.baseAddress!))
                        forEachChunk(count, threads: threads) { r in
                            let (v, x, g) = s.value
                            var i = r.lowerBound
                            // Eight lanes at a time (the same operations as the scalar tail, so the same results).
                            while i + 8 <= r.upperBound {
                                let vi = mu * load8(v, i) + load8(g, i)
                                store8(vi, v, i)
                                store8(load8(x, i) - lr * vi, x, i)
                                store8(.zero, g, i)
                                i += 8
                            }
                            while i < r.upperBound { v[i] = mu * v[i] + g[i]; x[i] -= lr * v[i]; g[i] = 0; i += 1 }
                        }
                    }
                }
            }
            state[p.name + ".momentum"] = v
        }
    }
}

/// RMSProp (Tieleman & Hinton 2012; the element loop is `refrain_rmsprop_update` in CLearnKernels), Raffel's choice for the hashing networks: `s = α s + (1 - α) g²`,
/// `θ -= η g / (sqrt(s) + ε)` (PyTorch's `RMSprop`, defaults `α = 0.99`, `ε = 1e-8`).
public final class RMSProp: Optimizer {
    public let kind = "rmsprop"
    public var learningRate: Float
    public var decay: Float
    public var epsilon: Float
    public var steps = 0
    public var state: [String: [Float]] = [:]

    public init(learningRate: Float, decay: Float = 0.99, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.decay = decay
        self.epsilon = epsilon
    }

    public func step(_ parameters: [Parameter], threads: Int = 1) {
        steps += 1
        let (lr, a, eps) = (learningRate, decay, epsilon)
        for p in parameters {
            let count = p.count
            var sq = state.removeValue(forKey: p.name + ".square_avg") ?? [Float](repeating: 0, count: count)
            sq.withUnsafeMutableBufferPointer { sb in
                p.value.withUnsafeMutableBufferPointer { xb in
                    p.gradient.withUnsafeMutableBufferPointer { gb in
                        let s = UncheckedSendable((sb.baseAddress!, xb.baseAddress!, gb.baseAddress!))
                        forEachChunk(count, threads: threads) { r in
                            let (sq, x, g) = s.value
                            refrain_rmsprop_update(x + r.lowerBound, g + r.lowerBound, sq + r.lowerBound, r.count, lr, a, eps)
                        }
                    }
                }
            }
            state[p.name + ".square_avg"] = sq
        }
    }
}

/// Adam (Kingma & Ba, ICLR 2015) with bias correction (PyTorch's `Adam`, defaults `β = (0.9, 0.999)`,
/// `ε = 1e-8`).
public final class Adam: Optimizer {
    public let kind = "adam"
    public var learningRate: Float
    public var beta1: Float
    public var beta2: Float
    public var epsilon: Float
    public var steps = 0
    public var state: [String: [Float]] = [:]

    public init(learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8) {
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
    }

    public func step(_ parameters: [Parameter], threads: Int = 1) {
        steps += 1
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        let c1 = 1 - Foundation.pow(b1, Float(steps)), c2 = 1 - Foundation.pow(b2, Float(steps))
        let stepSize = learningRate / c1, root2 = c2.squareRoot()
        for p in parameters {
            let count = p.count
            var m = state.removeValue(forKey: p.name + ".exp_avg") ?? [Float](repeating: 0, count: count)
            var v = state.removeValue(forKey: p.name + ".exp_avg_sq") ?? [Float](repeating: 0, count: count)
            m.withUnsafeMutableBufferPointer { mb in
                v.withUnsafeMutableBufferPointer { vb in
                    p.value.withUnsafeMutableBufferPointer { xb in
                        p.gradient.withUnsafeMutableBufferPointer { gb in
                            let s = UncheckedSendable((mb.baseAddress!, vb.baseAddress!, xb.baseAddress!, gb.baseAddress!))
                            forEachChunk(count, threads: threads) { r in
                                let (m, v, x, g) = s.value
                                refrain_adam_update(x + r.lowerBound, g + r.lowerBound, m + r.lowerBound, v + r.lowerBound, r.count,
                                                    stepSize, b1, b2, root2, eps)
                            }
                        }
                    }
                }
            }
            state[p.name + ".exp_avg"] = m
            state[p.name + ".exp_avg_sq"] = v
        }
    }
}

/// Gradient clipping.
public enum GradientClipping {
    /// Scales all gradients together so that their global L2 norm is at most `maxNorm` (PyTorch's
    /// `clip_grad_norm_`: factor `maxNorm / (norm + 1e-6)` when below 1). Returns the norm before clipping.
    @discardableResult
    public static func clipNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
        var total: Double = 0
        for p in parameters {
            p.gradient.withUnsafeBufferPointer { g in total += Double(BLAS.dot(g.baseAddress!, g.baseAddress!, count: g.count)) }
        }
        let norm = Float(total.squareRoot())
        let factor = maxNorm / (norm + 1e-6)
        if factor < 1 {
            for p in parameters { p.gradient.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] *= factor } } }
        }
        return norm
    }

    /// Clamps every gradient element to `[-limit, limit]` (PyTorch's `clip_grad_value_`).
    public static func clipValue(_ parameters: [Parameter], limit: Float) {
        for p in parameters {
            p.gradient.withUnsafeMutableBufferPointer { g in for i in g.indices { g[i] = min(max(g[i], -limit), limit) } }
        }
    }
}
