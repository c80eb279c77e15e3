import RefrainMath

/// 2-D max pooling over `channels x height x width` items (no padding, windows that do not fit are dropped,
/// as PyTorch's `nn.MaxPool2d` with `ceil_mode=False`). The gradient goes to the first maximum of each window.
public final class MaxPool2D: Layer {
    public let name: String
    public let kernel: [Int]
    public let stride: [Int]
    private var inputShape: [Int] = []
    private var inputLengths: [Int]?
    private var argmax: [Int32] = []

    public init(name: String, kernel: [Int], stride: [Int]) throws {
        guard kernel.count == 2, stride.count == 2, kernel.allSatisfy({ $0 >= 1 }), stride.allSatisfy({ $0 >= 1 }) else {
            throw RefrainError.invalidArgument("layer \(name): 2-D max pooling needs two positive kernel sizes and strides")
        }
        self.name = name
        self.kernel = kernel
        self.stride = stride
    }

    public var spec: LayerSpec { .maxPool2d(kernel, stride: stride, name: name) }
    public var parameters: [Parameter] { [] }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        try requireShape(input, 3, name)
        guard input[1] >= kernel[0], input[2] >= kernel[1] else {
            throw RefrainError.invalidArgument("layer \(name): input \(input) is smaller than the window \(kernel)")
        }
        return [input[0], (input[1] - kernel[0]) / stride[0] + 1, (input[2] - kernel[1]) / stride[1] + 1]
    }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[2] >= kernel[0] && x.shape[3] >= kernel[1], "layer \(name) takes [batch, channels, height, width] at least as large as its window, got \(x.shape)")
        inputShape = x.shape
        inputLengths = x.lengths
        let (b, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw, sh, sw) = (kernel[0], kernel[1], stride[0], stride[1])
        let ho = (h - kh) / sh + 1, wo = (w - kw) / sw + 1
        // Every output and its argmax are written below: neither is cleared first (issue 20, seventeenth round).
        var out = [Float](unsafeUninitializedCapacity: b * c * ho * wo) { _, count in count = b * c * ho * wo }
        if argmax.count != out.count { argmax = [Int32](unsafeUninitializedCapacity: out.count) { _, count in count = out.count } }
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                argmax.withUnsafeMutableBufferPointer { ap in
                    let s = UncheckedSendable((xp.baseAddress!, yp.baseAddress!, ap.baseAddress!))
                    forEachBlock(b * c, threads: pass.work(b * c * h * w)) { _, planes in
                        let (x0, y0, a0) = s.value
                        for plane in planes {
                            let src = x0 + plane * h * w, dst = y0 + plane * ho * wo, arg = a0 + plane * ho * wo
                            if kh == 2 && kw == 2 && sh == 2 && sw == 2 {
                                // The common 2 x 2 window: four loads, three compares, no inner loops.
                                for oh in 0..<ho {
                                    let r0 = src + 2 * oh * w, r1 = r0 + w
                                    for ow in 0..<wo {
                                        let a = r0[2 * ow], bb = r0[2 * ow + 1], cc = r1[2 * ow], d = r1[2 * ow + 1]
                                        var best = a, at = 2 * oh * w + 2 * ow
                                        if bb > best { best = bb; at = 2 * oh * w + 2 * ow + 1 }
                                        if cc > best { best = cc; at = (2 * oh + 1) * w + 2 * ow }
                                        if d > best { best = d; at = (2 * oh + 1) * w + 2 * ow + 1 }
                                        if a.isNaN || bb.isNaN || cc.isNaN || d.isNaN { best = .nan }
                                        dst[oh * wo + ow] = best
                                        arg[oh * wo + ow] = Int32(at)
                                    }
                                }
                                continue
                            }
                            for oh in 0..<ho {
                                for ow in 0..<wo {
                                    var best = -Float.infinity, at = (oh * sh) * w + ow * sw
                                    var sawNaN = false
                                    for i in 0..<kh {
                                        let row = (oh * sh + i) * w + ow * sw
                                        for j in 0..<kw {
                                            let v = src[row + j]
                                            if v > best { best = v; at = row + j }
                                            sawNaN = sawNaN || v.isNaN
                                        }
                                    }
                                    dst[oh * wo + ow] = sawNaN ? .nan : best
                                    arg[oh * wo + ow] = Int32(at)
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: [b, c, ho, wo], data: out, lengths: x.lengths.map { lengths in
            lengths.map { min(ho, max(1, ($0 - kh) / sh + 1)) }
        })
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard inputGradient else { return Tensor(shape: [0]) }
        precondition(dy.count == argmax.count, "layer \(name): gradient of shape \(dy.shape) does not fit the last forward pass")
        let (h, w) = (inputShape[2], inputShape[3])
        let per = dy.count / (inputShape[0] * inputShape[1])
        var dx = [Float](repeating: 0, count: inputShape.reduce(1, *))
        dy.data.withUnsafeBufferPointer { gp in
            argmax.withUnsafeBufferPointer { ap in
                dx.withUnsafeMutableBufferPointer { dp in
                    for o in 0..<dy.count { dp[(o / per) * h * w + Int(ap[o])] += gp[o] }
                }
            }
        }
        return Tensor(shape: inputShape, data: dx, lengths: inputLengths)
    }
}
