import RefrainMath

/// 1-D or 2-D convolution (cross-correlation, as in PyTorch) with stride and zero padding, by im2col and
/// `sgemm`: the column matrices of the batch sit side by side, so each core's share of the batch is one product
/// `W · cols` (and two in the backward pass) rather than one small product per item.
///
/// 2-D items are `inputChannels x height x width` (height is time for spectrogram patches), the weight is
/// `outputChannels x inputChannels x kernelH x kernelW` (PyTorch's `nn.Conv2d`). 1-D items are
/// `inputChannels x length`, the weight `outputChannels x inputChannels x kernel` (`nn.Conv1d`). He-initialised
/// weights, zero biases. Batch items are split over `Pass.threads` cores; the weight gradient is summed from one
/// partial per core in a fixed order.
public final class Convolution: Layer {
    public let name: String
    /// 1 or 2.
    public let dimensions: Int
    public let inputChannels: Int
    public let outputChannels: Int
    public let kernel: [Int]
    public let stride: [Int]
    public let padding: [Int]
    public let weight: Parameter
    public let bias: Parameter
    private var input = Tensor(shape: [0])
    private var geometry: ConvGeometry?
    private var columns: [Float] = []
    /// `W · columns` (outC x batch*positions), kept between calls like `columns` so that inference over a long
    /// sequence in chunks neither allocates nor clears it each time.
    private var product: [Float] = []

    public init(name: String, dimensions: Int, inputChannels: Int, outputChannels: Int, kernel: [Int],
                stride: [Int], padding: [Int], random: inout SeededRandom) throws {
        guard dimensions == 1 || dimensions == 2, kernel.count == dimensions, stride.count == dimensions,
              padding.count == dimensions, kernel.allSatisfy({ $0 >= 1 }), stride.allSatisfy({ $0 >= 1 }),
              padding.allSatisfy({ $0 >= 0 }), inputChannels >= 1, outputChannels >= 1 else {
            throw RefrainError.invalidArgument("layer \(name): a \(dimensions)-D convolution needs \(dimensions) positive kernel sizes and strides, non-negative paddings and positive channel counts")
        }
        self.name = name
        self.dimensions = dimensions
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        let fanIn = inputChannels * kernel.reduce(1, *)
        weight = Parameter(name: name + ".weight", shape: [outputChannels, inputChannels] + kernel,
                           value: heNormal(count: outputChannels * fanIn, fanIn: fanIn, random: &random))
        bias = Parameter(name: name + ".bias", shape: [outputChannels], value: [Float](repeating: 0, count: outputChannels))
    }

    public var spec: LayerSpec {
        LayerSpec(type: dimensions == 1 ? "conv1d" : "conv2d", name: name, inputChannels: inputChannels,
                  outputChannels: outputChannels, kernel: kernel, stride: stride, padding: padding)
    }
    public var parameters: [Parameter] { [weight, bias] }

    func geometry(_ item: [Int]) -> ConvGeometry {
        ConvGeometry(channels: item[0], height: item[1], width: dimensions == 2 ? item[2] : 1,
                     kernelH: kernel[0], kernelW: dimensions == 2 ? kernel[1] : 1,
                     strideH: stride[0], strideW: dimensions == 2 ? stride[1] : 1,
                     padH: padding[0], padW: dimensions == 2 ? padding[1] : 0)
    }

    public func outputShape(_ input: [Int]) throws -> [Int] {
        try requireShape(input, dimensions + 1, name)
        guard input[0] == inputChannels else {
            throw RefrainError.invalidArgument("layer \(name) expects \(inputChannels) input channels, got shape \(input)")
        }
        let g = geometry(input)
        guard g.height + 2 * g.padH >= g.kernelH, g.width + 2 * g.padW >= g.kernelW else {
            throw RefrainError.invalidArgument("layer \(name): input \(input) is smaller than the kernel \(kernel)")
        }
        return dimensions == 2 ? [outputChannels, g.outHeight, g.outWidth] : [outputChannels, g.outHeight]
    }

    public func forward(_ x: Tensor, _ pass: Pass) -> Tensor {
        precondition(x.shape.count == dimensions + 2 && x.shape[1] == inputChannels,
                     "layer \(name) takes [batch, \(inputChannels), ...] with \(dimensions) spatial axes, got \(x.shape)")
        input = x
        let g = geometry(Array(x.shape.dropFirst()))
        geometry = g
        let batch = x.batch, k = g.patchSize, p = g.positions, outC = outputChannels, all = batch * p
        let itemIn = x.itemSize
        // The batch's column matrices side by side (k x batch*p), so that each core's share of the batch is one
        // product W (outC x k) · cols (k x its positions) into a channel-major scratch, then copied per item.
        // Grown, never shrunk or cleared: every element used is written below (im2col, then sgemm with beta 0), and
        // both passes address them by `all`, not by the buffers' counts. Clearing them (and the kernel's zeroing of
        // fresh pages) whenever a query's length changed was about 4 ms of CPU per query in the learned cascade's
        // two networks (issue 20, seventeenth round).
        if columns.count < k * all { columns = Self.scratch(k * all) }
        if product.count < outC * all { product = Self.scratch(outC * all) }
        // Every element is written below (sgemm with beta 0 into `product`, then bias added into `out`).
        var out = [Float](unsafeUninitializedCapacity: batch * outC * p) { _, count in count = batch * outC * p }
        x.data.withUnsafeBufferPointer { xp in
            columns.withUnsafeMutableBufferPointer { cp in
                product.withUnsafeMutableBufferPointer { pp in
                    out.withUnsafeMutableBufferPointer { yp in
                        weight.value.withUnsafeBufferPointer { wp in
                            bias.value.withUnsafeBufferPointer { bp in
                                let s = UncheckedSendable((xp.baseAddress!, cp.baseAddress!, pp.baseAddress!, yp.baseAddress!,
                                                           wp.baseAddress!, bp.baseAddress!))
                                forEachBlock(batch, threads: pass.threads) { _, range in
                                    let (x0, c0, p0, y0, w0, b0) = s.value
                                    for b in range { g.im2col(x0 + b * itemIn, c0 + b * p, rowStride: all) }
                                    let first = range.lowerBound * p
                                    BLAS.sgemm(m: outC, n: range.count * p, k: k, a: w0, lda: k, b: c0 + first, ldb: all,
                                               c: p0 + first, ldc: all)
                                    for b in range {
                                        for o in 0..<outC {
                                            let src = p0 + o * all + b * p, dst = y0 + (b * outC + o) * p, bias = b0[o]
                                            for i in 0..<p { dst[i] = src[i] + bias }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let shape = dimensions == 2 ? [batch, outC, g.outHeight, g.outWidth] : [batch, outC, g.outHeight]
        return Tensor(shape: shape, data: out, lengths: x.lengths.map { lengths in
            lengths.map { min(g.outHeight, max(1, ($0 + 2 * g.padH - g.kernelH) / g.strideH + 1)) }
        })
    }

    /// `count` floats left uninitialized, for buffers whose every element is written before it is read.
    static func scratch(_ count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    public func backward(_ dy: Tensor, _ pass: Pass, inputGradient: Bool) -> Tensor {
        guard let g = geometry else { return Tensor(shape: [0]) }
        let batch = input.batch, k = g.patchSize, p = g.positions, outC = outputChannels, all = batch * p
        let itemIn = input.itemSize
        precondition(dy.count == batch * outC * p, "layer \(name): gradient of shape \(dy.shape) does not fit the last forward pass")
        let parts = blockCount(batch, threads: pass.threads)
        var partialW = [Float](repeating: 0, count: parts * outC * k)
        var partialB = [Float](repeating: 0, count: parts * outC)
        var dx = [Float](repeating: 0, count: inputGradient ? input.count : 0)
        var dcols = [Float](repeating: 0, count: inputGradient ? k * all : 0)
        var dyT = [Float](repeating: 0, count: outC * all)  // dy channel-major: outC x batch*p
        dy.data.withUnsafeBufferPointer { gp in
            columns.withUnsafeBufferPointer { cp in
                weight.value.withUnsafeBufferPointer { wp in
                    partialW.withUnsafeMutableBufferPointer { pw in
                        partialB.withUnsafeMutableBufferPointer { pb in
                            dx.withUnsafeMutableBufferPointer { dxp in
                                dcols.withUnsafeMutableBufferPointer { dcp in
                                    dyT.withUnsafeMutableBufferPointer { tp in
                                        // (An empty array's buffer may still have a base address: the flag decides.)
                                        let s = UncheckedSendable((gp.baseAddress!, cp.baseAddress!, wp.baseAddress!, pw.baseAddress!,
                                                                   pb.baseAddress!, inputGradient ? dxp.baseAddress : nil,
                                                                   inputGradient ? dcp.baseAddress : nil, tp.baseAddress!))
                                        forEachBlock(batch, threads: pass.threads) { part, range in
                                            let (g0, c0, w0, pw0, pb0, dx0, dc0, t0) = s.value
                                            let gw = pw0 + part * outC * k, gb = pb0 + part * outC
                                            let first = range.lowerBound * p, n = range.count * p
                                            for b in range {
                                                for o in 0..<outC {
                                                    let src = g0 + (b * outC + o) * p, dst = t0 + o * all + b * p
                                                    var sum: Float = 0
                                                    for i in 0..<p { dst[i] = src[i]; sum += src[i] }
                                                    gb[o] += sum
                                                }
                                            }
                                            // dW (this part) = dy (outC x n) · colsᵀ (n x k).
                                            BLAS.sgemm(transposeB: true, m: outC, n: k, k: n, a: t0 + first, lda: all,
                                                       b: c0 + first, ldb: all, c: gw, ldc: k)
                                            if let dx0, let dc0 {
                                                // dcols = Wᵀ (k x outC) · dy (outC x n), folded back item by item.
                                                BLAS.sgemm(transposeA: true, m: k, n: n, k: outC, a: w0, lda: k, b: t0 + first, ldb: all,
                                                           c: dc0 + first, ldc: all)
                                                for b in range { g.col2im(dc0 + b * p, dx0 + b * itemIn, rowStride: all) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for part in 0..<parts {
            for i in 0..<(outC * k) { weight.gradient[i] += partialW[part * outC * k + i] }
            for o in 0..<outC { bias.gradient[o] += partialB[part * outC + o] }
        }
        guard inputGradient else { return Tensor(shape: [0]) }
        return Tensor(shape: input.shape, data: dx, lengths: input.lengths)
    }
}
