import RefrainMath

/// The accumulated-cost matrix `D` of standard-step DTW, computed eight rows at a time along
/// anti-diagonals so that one AVX2 register (`SIMD8<Float>`) advances eight cells per step.
///
/// A scalar DTW recurrence is latency-bound: each cell waits for its left neighbour. Inside a stripe
/// of eight rows, lane `k` works on row `r0 + k` at column `t - k` in step `t`; its left neighbour is
/// its own previous value, its upper neighbour the previous value of lane `k - 1` (one lane shift),
/// and its diagonal neighbour the upper neighbour of the previous step. Row 0 follows librosa's
/// initialization and is kept separately; stripe `s` holds rows `1 + 8s ..< 9 + 8s`, skewed:
/// cell `(1 + 8s + k, j)` is element `(j + k) * 8 + k` of the stripe.
struct StripedAccumulation {
    /// Writes rows `r0 ..< r0 + h` of the cost matrix, row `k` at `destination + k * stride`: at least the
    /// columns `columns` (the union of the rows' windows; every other cell of those rows is forbidden and
    /// never read), and it may write more of the row.
    typealias CostRows = (_ r0: Int, _ h: Int, _ columns: Range<Int>, _ destination: UnsafeMutablePointer<Float>,
                          _ stride: Int) -> Void

    let rows: Int
    let cols: Int
    var row0: [Float]
    /// Skewed stripes, `stripeSize` floats each: all of them when kept for backtracking, otherwise
    /// two used in turn.
    var storage: [Float]
    let keptAll: Bool
    /// Set when every cell of some row exceeded the abandoning threshold (the DTW cost then does too).
    var abandoned = false

    var stripeSize: Int { (cols + 7) * 8 }

    @inline(__always)
    func stripeBase(_ s: Int) -> Int { (keptAll ? s : s % 2) * stripeSize }

    /// `D[i, j]`; only valid for every row when the stripes were kept.
    @inline(__always)
    func value(_ i: Int, _ j: Int) -> Float {
        if i == 0 { return row0[j] }
        let k = (i - 1) % 8
        return storage[stripeBase((i - 1) / 8) + (j + k) * 8 + k]
    }

    /// The last row `D[N-1, :]`.
    func lastRow() -> [Float] {
        (0..<cols).map { value(rows - 1, $0) }
    }

    /// Runs the recurrence. `costRows` provides rows of the cost matrix; `window` restricts row `i`
    /// to columns `lo[i]...hi[i]`. A stripe asks for and advances only the union of its rows' windows
    /// (the steps in which some lane meets an allowed cell) and fills the rest of its skewed storage
    /// with +inf, which is what the whole recurrence would have put there.
    static func compute(rows n: Int, cols m: Int, weights w: StepWeights, window: (lo: [Int], hi: [Int])?,
                        subsequence: Bool, keepAll: Bool, abandonAbove: Float = .infinity,
                        costRows: CostRows) -> StripedAccumulation {
        precondition(n > 0 && m > 0)
        // Row 0, as librosa initializes it: D[0,0] = C[0,0]; subsequence: D[0,j] = C[0,j] at most.
        var c0 = [Float](repeating: 0, count: m)
        c0.withUnsafeMutableBufferPointer { costRows(0, 1, 0..<m, $0.baseAddress!, m) }
        var row0 = [Float](repeating: .infinity, count: m)
        let lo0 = window?.lo[0] ?? 0, hi0 = window?.hi[0] ?? (m - 1)
        for j in 0..<m {
            let c = (j >= lo0 && j <= hi0) ? c0[j] : Float.infinity
            var v: Float = .infinity
            if j == 0 || subsequence { v = c }
            if j > 0 { v = min(v, row0[j - 1] + (w.horizontalMul * c + w.horizontalAdd)) }
            row0[j] = v
        }
        let stripeCount = (n - 1 + 7) / 8
        let stripeSize = (m + 7) * 8
        // Every stripe is written whole by `runStripe` before it is read, so no zero fill is needed.
        var storage = [Float](unsafeUninitializedCapacity: stripeSize * (keepAll ? stripeCount : 2)) { _, count in
            count = stripeSize * (keepAll ? stripeCount : 2)
        }
        var abandoned = false
        func stripeBase(_ s: Int) -> Int { (keepAll ? s : s % 2) * stripeSize }
        // The stripe's cost rows, each padded with 8 infinite cells on both sides, so that lane k
        // can read column t - k for every step t without a bounds test.
        let stride = m + 16
        var paddedCost = [Float](repeating: .infinity, count: 8 * stride)
        storage.withUnsafeMutableBufferPointer { store in
            paddedCost.withUnsafeMutableBufferPointer { pc in
                for s in 0..<stripeCount {
                    let r0 = 1 + 8 * s, h = min(8, n - r0)
                    let out = store.baseAddress! + stripeBase(s)
                    // Only the union of the stripe's windows is computed; every other cell is +inf.
                    guard let span = stripeColumns(window, rows: r0..<(r0 + h), cols: m) else {
                        out.update(repeating: .infinity, count: stripeSize)
                        if abandonAbove < .infinity { abandoned = true; return }
                        continue
                    }
                    costRows(r0, h, span, pc.baseAddress! + 8, stride)
                    // The kernel reads lane k at column t - k for steps t in span.lowerBound ..< span.upperBound + 7.
                    let read = max(0, span.lowerBound - 8)..<min(m, span.upperBound + 8)
                    for k in 0..<8 {
                        let row = pc.baseAddress! + k * stride + 8
                        guard k < h else { (row + read.lowerBound).update(repeating: .infinity, count: read.count); continue }
                        let lo = window?.lo[r0 + k] ?? 0, hi = window?.hi[r0 + k] ?? (m - 1)
                        for j in read where j < lo || j > hi { row[j] = .infinity }
                    }
                    let steps = span.lowerBound..<(span.upperBound + 7)
                    out.update(repeating: .infinity, count: steps.lowerBound * 8)
                    (out + steps.upperBound * 8).update(repeating: .infinity, count: (m + 7 - steps.upperBound) * 8)
                    if s == 0 {
                        row0.withUnsafeBufferPointer { p in
                            runStripe(cost: pc.baseAddress! + 8, costStride: stride, out: out, prev: p.baseAddress!,
                                      prevStride: 1, cols: m, steps: steps, weights: w)
                        }
                    } else {
                        runStripe(cost: pc.baseAddress! + 8, costStride: stride, out: out,
                                  prev: store.baseAddress! + stripeBase(s - 1) + 63, prevStride: 8, cols: m, steps: steps, weights: w)
                    }
                    if abandonAbove < .infinity {
                        // Every path crosses the stripe's last row; its minimum bounds the final cost.
                        let k = h - 1
                        var smallest = Float.infinity
                        for j in span { smallest = min(smallest, out[(j + k) * 8 + k]) }
                        if smallest > abandonAbove { abandoned = true; return }
                    }
                }
            }
        }
        var result = StripedAccumulation(rows: n, cols: m, row0: row0, storage: storage, keptAll: keepAll)
        result.abandoned = abandoned
        return result
    }

    /// The columns of rows `rows` that their windows allow (the union, as one range; all without a
    /// window), or nil when no cell of those rows is allowed.
    static func stripeColumns(_ window: (lo: [Int], hi: [Int])?, rows: Range<Int>, cols m: Int) -> Range<Int>? {
        guard let window else { return 0..<m }
        var first = m, last = -1
        for i in rows where window.lo[i] <= window.hi[i] {
            first = min(first, window.lo[i])
            last = max(last, window.hi[i])
        }
        return first <= last ? first..<(last + 1) : nil
    }

    /// One stripe: row `k` of the stripe's costs starts at `cost + k * costStride` and is readable
    /// 8 cells before and after; `out` is skewed (`(cols + 7) x 8`); `prev[j * prevStride]` is the
    /// row above the stripe. Only `steps` (a subrange of `0 ..< cols + 7`) are computed: the caller
    /// passes every step in which some lane reaches an allowed cell, so that all cells left of the
    /// first step are +inf, and fills the other steps of `out` itself.
    @inline(__always)
    static func runStripe(cost: UnsafePointer<Float>, costStride: Int, out: UnsafeMutablePointer<Float>,
                          prev: UnsafePointer<Float>, prevStride: Int, cols m: Int, steps: Range<Int>, weights w: StepWeights) {
        typealias V = SIMD8<Float>
        let inf = V(repeating: .infinity)
        let standard = w.isStandard
        let dm = V(repeating: w.diagonalMul), hm = V(repeating: w.horizontalMul), vm = V(repeating: w.verticalMul)
        let da = V(repeating: w.diagonalAdd), ha = V(repeating: w.horizontalAdd), va = V(repeating: w.verticalAdd)
        // Before the first step every lane's left cell is +inf; lane 0's diagonal is the row above.
        let t0 = steps.lowerBound
        var left = inf
        var upPrevious = t0 > 0 && t0 - 1 < m ? V(prev[(t0 - 1) * prevStride], .infinity, .infinity, .infinity, .infinity,
                                                   .infinity, .infinity, .infinity) : inf
        // Lane k reads row k at column t - k.
        let c0 = cost, c1 = cost + costStride - 1, c2 = cost + 2 * costStride - 2, c3 = cost + 3 * costStride - 3
        let c4 = cost + 4 * costStride - 4, c5 = cost + 5 * costStride - 5, c6 = cost + 6 * costStride - 6
        let c7 = cost + 7 * costStride - 7
        let outs = UnsafeMutableRawPointer(out)
        if standard {
            for t in steps {
                let above: Float = t < m ? prev[t * prevStride] : .infinity
                let up = V(above, left[0], left[1], left[2], left[3], left[4], left[5], left[6])
                let c = V(c0[t], c1[t], c2[t], c3[t], c4[t], c5[t], c6[t], c7[t])
                let v = c + lanewiseMin(lanewiseMin(upPrevious, left), up)
                outs.storeBytes(of: v, toByteOffset: t * 32, as: V.self)
                upPrevious = up
                left = v
            }
        } else {
            for t in steps {
                let above: Float = t < m ? prev[t * prevStride] : .infinity
                let up = V(above, left[0], left[1], left[2], left[3], left[4], left[5], left[6])
                let c = V(c0[t], c1[t], c2[t], c3[t], c4[t], c5[t], c6[t], c7[t])
                let cd = c * dm + da, ch = c * hm + ha, cv = c * vm + va
                var v = lanewiseMin(lanewiseMin(upPrevious + cd, left + ch), up + cv)
                v.replace(with: inf, where: c .== inf)  // 0 * inf is NaN; a forbidden cell stays forbidden
                outs.storeBytes(of: v, toByteOffset: t * 32, as: V.self)
                upPrevious = up
                left = v
            }
        }
    }
}
