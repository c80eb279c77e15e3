/// The geometry of a 2-D convolution or pooling window over one `channels x height x width` item, and the
/// im2col / col2im copies that turn a convolution into one matrix product (Chellapilla, Puri & Simard 2006).
struct ConvGeometry {
    var channels: Int, height: Int, width: Int
    var kernelH: Int, kernelW: Int, strideH: Int, strideW: Int, padH: Int, padW: Int

    var outHeight: Int { (height + 2 * padH - kernelH) / strideH + 1 }
    var outWidth: Int { (width + 2 * padW - kernelW) / strideW + 1 }
    /// Rows of the column matrix: one per (channel, kernel row, kernel column).
    var patchSize: Int { channels * kernelH * kernelW }
    /// Columns of the column matrix: one per output position.
    var positions: Int { outHeight * outWidth }

    /// Writes the `patchSize x positions` column matrix of `src` (one item, `channels x height x width`) to
    /// `dst`, whose rows are `rowStride` floats apart (`positions` for one item alone; the whole batch's
    /// positions when the items' column matrices sit side by side); positions in the zero padding read 0.
    func im2col(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let ho = outHeight, wo = outWidth, p = rowStride ?? positions
        for c in 0..<channels {
            for i in 0..<kernelH {
                for j in 0..<kernelW {
                    let d = dst + ((c * kernelH + i) * kernelW + j) * p
                    for oh in 0..<ho {
                        let ih = oh * strideH - padH + i
                        let row = d + oh * wo
                        guard ih >= 0 && ih < height else { row.update(repeating: 0, count: wo); continue }
                        let s = src + (c * height + ih) * width
                        if strideW == 1 {
                            let lo = min(wo, max(0, padW - j)), hi = max(lo, min(wo, width + padW - j))
                            if lo > 0 { row.update(repeating: 0, count: lo) }
                            if hi > lo { (row + lo).update(from: s + (lo - padW + j), count: hi - lo) }
                            if hi < wo { (row + hi).update(repeating: 0, count: wo - hi) }
                        } else {
                            for ow in 0..<wo {
                                let iw = ow * strideW - padW + j
                                row[ow] = iw >= 0 && iw < width ? s[iw] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Adds the column matrix `src` (`patchSize x positions`, rows `rowStride` apart) back onto the item `dst`
    /// (`channels x height x width`): the transpose of `im2col`, for the input gradient.
    func col2im(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, rowStride: Int? = nil) {
        let ho = outHeight, wo = outWidth, p = rowStride ?? positions
        for c in 0..<channels {
            for i in 0..<kernelH {
                for j in 0..<kernelW {
                    let s = src + ((c * kernelH + i) * kernelW + j) * p
                    for oh in 0..<ho {
                        let ih = oh * strideH - padH + i
                        guard ih >= 0 && ih < height else { continue }
                        let row = s + oh * wo
                        let d = dst + (c * height + ih) * width
                        if strideW == 1 {
                            let lo = min(wo, max(0, padW - j)), hi = max(lo, min(wo, width + padW - j))
                            let base = d + (-padW + j)
                            for ow in lo..<hi { base[ow] += row[ow] }
                        } else {
                            for ow in 0..<wo {
                                let iw = ow * strideW - padW + j
                                if iw >= 0 && iw < width { d[iw] += row[ow] }
                            }
                        }
                    }
                }
            }
        }
    }
}
