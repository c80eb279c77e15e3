/// Soft-DTW value and expected alignment in Float32, sixteen rows at a time along anti-diagonals
/// (`SIMD16<Float>`, one AVX-512 register), with vectorised `exp` and `log` (`FastMath`).
///
/// Layout as in `StripedAccumulation`: strip `s` holds rows `16s ..< 16s + 16` of the cost matrix; in step `t`
/// lane `k` works on cell `(16s + k, t - k)`, so its left neighbour is its own previous value, its upper
/// neighbour lane `k - 1`'s previous value and its diagonal neighbour lane `k - 1`'s value two steps back.
/// Cells outside the matrix hold `R = +inf` (forward) and `G = -big`, `E = 0` (backward), so no lane needs a
/// branch. The forward pass keeps, per cell, `R` and the soft minimum `G = R - C` of its predecessors; the
/// backward pass (Cuturi & Blondel 2017, Algorithm 2) needs only those: the weight of the edge from `p` to its
/// successor `q` is `exp((G_q - R_p) / γ)`, the probability that the soft minimum at `q` came from `p`.
///
/// Accuracy: Float32 holds `R` to about `6e-8 |R|`, so the edge weights carry an absolute error near
/// `6e-8 |R| / γ`; `SoftDTW.valueAndGradientDouble` is the exact reference.
enum SoftDTWKernel {
    typealias V = SIMD16<Float>
    static let big: Float = 1e30

    @inline(__always)
    static func shiftUp(_ v: V, _ first: Float) -> V {
        V(first, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14])
    }

    @inline(__always)
    static func shiftDown(_ v: V, _ last: Float) -> V {
        V(v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15], last)
    }

    /// Value and expected alignment (`n x m`, row-major into `gradient`) of the `n x m` cost matrix `cost`.
    static func run(cost: UnsafePointer<Float>, n: Int, m: Int, gamma: Float, gradient: UnsafeMutablePointer<Float>?) -> Float {
        let strips = (n + 15) / 16
        // Steps -2 ..< m + 17 exist in each strip (two boundary steps before, two after the last real one).
        let steps = m + 15 + 4, stripSize = steps * 16
        let origin = 2 * 16  // offset of step 0
        var rStore = [Float](repeating: .infinity, count: strips * stripSize)
        var gStore = [Float](repeating: -big, count: strips * stripSize)
        var skewedCost = [Float](repeating: 0, count: stripSize)
        var eStrip = [Float](repeating: 0, count: stripSize)
        // The row above the strip (forward) or below it (backward), by column j + 16 (columns -16 ..< m + 16).
        var edgeR = [Float](repeating: .infinity, count: m + 32)
        var edgeE = [Float](repeating: 0, count: m + 32)
        var edgeG = [Float](repeating: -big, count: m + 32)
        let invGamma = V(repeating: 1 / gamma), g = V(repeating: gamma)
        let lane = V(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
        let infinity = V(repeating: .infinity), minusBig = V(repeating: -big)
        var value: Float = 0
        rStore.withUnsafeMutableBufferPointer { rAll in
        gStore.withUnsafeMutableBufferPointer { gAll in
        skewedCost.withUnsafeMutableBufferPointer { dsk in
        eStrip.withUnsafeMutableBufferPointer { esk in
        edgeR.withUnsafeMutableBufferPointer { er in
        edgeE.withUnsafeMutableBufferPointer { ee in
        edgeG.withUnsafeMutableBufferPointer { eg in
            let rRaw = UnsafeMutableRawPointer(rAll.baseAddress!), gRaw = UnsafeMutableRawPointer(gAll.baseAddress!)
            let dRaw = UnsafeRawPointer(dsk.baseAddress!), eRaw = UnsafeMutableRawPointer(esk.baseAddress!)
            let above = er.baseAddress! + 16
            // Row -1 (the boundary above the matrix): R[-1][-1] = 0, the rest infinite.
            above[-1] = 0
            // Forward.
            for s in 0..<strips {
                let i0 = 16 * s, rows = min(16, n - i0)
                for k in 0..<rows {
                    let src = cost + (i0 + k) * m
                    for j in 0..<m { dsk[origin + (j + k) * 16 + k] = src[j] }
                }
                let base = s * stripSize + origin
                // Lane k is valid at step t when 0 <= t - k < m and k < rows.
                let rowsV = V(repeating: Float(rows))
                var prev1 = infinity, prev2 = infinity
                for t in 0..<(m + 15) {
                    let up = shiftUp(prev1, above[t])
                    let diagonal = shiftUp(prev2, above[t - 1])
                    let left = prev1
                    let c = dRaw.loadUnaligned(fromByteOffset: (origin + t * 16) * 4, as: V.self)
                    let lo = pointwiseMin(pointwiseMin(up, left), diagonal)
                    let loSafe = lo.replacing(with: 0, where: lo .== infinity)
                    let sum = FastMath.exp((loSafe - up) * invGamma) + FastMath.exp((loSafe - left) * invGamma)
                        + FastMath.exp((loSafe - diagonal) * invGamma)
                    let soft = loSafe - g * FastMath.logOneToFour(sum)
                    let tv = V(repeating: Float(t))
                    let valid = (lane .<= tv) .& (lane .> tv - V(repeating: Float(m))) .& (lane .< rowsV)
                    let r = (c + soft).replacing(with: infinity, where: .!valid)
                    let gq = soft.replacing(with: minusBig, where: .!valid)
                    rRaw.storeBytes(of: r, toByteOffset: (base + t * 16) * 4, as: V.self)
                    gRaw.storeBytes(of: gq, toByteOffset: (base + t * 16) * 4, as: V.self)
                    prev2 = prev1
                    prev1 = r
                }
                // The strip's last row is the next strip's row above (only full strips have a next one).
                above[-1] = .infinity
                if rows == 16 { for j in 0..<m { above[j] = rAll[base + (j + 15) * 16 + 15] } }
                if s == strips - 1 { value = rAll[base + (m - 1 + rows - 1) * 16 + rows - 1] }
            }
            guard let gradient else { return }
            // Backward, from the last strip up. The row below the last strip: E = 0, G = -big everywhere.
            let belowE = ee.baseAddress! + 16, belowG = eg.baseAddress! + 16
            for s in stride(from: strips - 1, through: 0, by: -1) {
                let i0 = 16 * s, rows = min(16, n - i0)
                let base = s * stripSize + origin
                let rowsV = V(repeating: Float(rows))
                var next1 = V(repeating: 0), next2 = V(repeating: 0)
                var gNext1 = gRaw.loadUnaligned(fromByteOffset: (base + (m + 15) * 16) * 4, as: V.self)
                var gNext2 = gRaw.loadUnaligned(fromByteOffset: (base + (m + 16) * 16) * 4, as: V.self)
                let cornerStep = s == strips - 1 ? m - 1 + rows - 1 : -1
                for t in stride(from: m + 14, through: 0, by: -1) {
                    let rp = rRaw.loadUnaligned(fromByteOffset: (base + t * 16) * 4, as: V.self)
                    // Lane 15 (column t - 15) has its lower neighbours in the row below the strip, columns t - 15 and t - 14.
                    let gDown = shiftDown(gNext1, belowG[t - 15])
                    let gDiagonal = shiftDown(gNext2, belowG[t - 14])
                    let eDown = shiftDown(next1, belowE[t - 15])
                    let eDiagonal = shiftDown(next2, belowE[t - 14])
                    var e = eDown * FastMath.exp((gDown - rp) * invGamma)
                    e += next1 * FastMath.exp((gNext1 - rp) * invGamma)
                    e += eDiagonal * FastMath.exp((gDiagonal - rp) * invGamma)
                    let tv = V(repeating: Float(t))
                    let valid = (lane .<= tv) .& (lane .> tv - V(repeating: Float(m))) .& (lane .< rowsV)
                    e = e.replacing(with: 0, where: .!valid)
                    if t == cornerStep { e[rows - 1] = 1 }  // E[n-1][m-1] = 1: every path ends there
                    eRaw.storeBytes(of: e, toByteOffset: (origin + t * 16) * 4, as: V.self)
                    next2 = next1
                    next1 = e
                    gNext2 = gNext1
                    gNext1 = gRaw.loadUnaligned(fromByteOffset: (base + t * 16) * 4, as: V.self)
                }
                // Unskew into the gradient, and hand lane 0 (row i0) to the strip above as its row below.
                for k in 0..<rows {
                    let dst = gradient + (i0 + k) * m
                    for j in 0..<m { dst[j] = esk[origin + (j + k) * 16 + k] }
                }
                for j in 0..<m {
                    belowE[j] = esk[origin + j * 16]
                    belowG[j] = gAll[base + j * 16]
                }
            }
        }}}}}}}
        return value
    }
}
