/// Vectorised `exp` and `log` for `SIMD16<Float>`, for the soft minimum of soft-DTW where they are the
/// whole cost. Range reduction and polynomials as in Cephes (`expf`, Moshier 1984-2000); relative error a few
/// units in the last place of Float32 over the ranges documented on each.
enum FastMath {
    typealias V = SIMD16<Float>
    typealias I = SIMD16<Int32>

    /// `e^x` for `x <= 0.5`; values below -87.3 give 0 (Float32 underflow), NaN stays NaN.
    @inline(__always)
    static func exp(_ x: V) -> V {
        let small = x .< V(repeating: -87.3)
        let xc = x.clamped(lowerBound: V(repeating: -87.3), upperBound: V(repeating: 88))
        // x = n ln2 + r, |r| <= ln2 / 2; ln2 split in two for an exact product n * ln2_hi.
        let n = (xc * V(repeating: 1.442_695_04) + V(repeating: 0.5)).rounded(.down)
        var r = xc - n * V(repeating: 0.693_359_375)
        r = r - n * V(repeating: -2.121_944_4e-4)
        var p = V(repeating: 1.987_569_15e-4)
        p = p * r + V(repeating: 1.398_199_95e-3)
        p = p * r + V(repeating: 8.333_451_9e-3)
        p = p * r + V(repeating: 4.166_579_59e-2)
        p = p * r + V(repeating: 1.666_666_55e-1)
        p = p * r + V(repeating: 5.000_000_12e-1)
        p = p * (r * r) + r + V(repeating: 1)
        // 2^n by building the exponent bits: n + 127 in bits 23...30.
        let magic = V(repeating: 12_582_912)  // 1.5 * 2^23: adding it puts n in the low mantissa bits
        let bits = (unsafeBitCast(n + magic, to: I.self) &- unsafeBitCast(magic, to: I.self) &+ 127) &<< 23
        let scaled = p * unsafeBitCast(bits, to: V.self)
        return scaled.replacing(with: 0, where: small)
    }

    /// Natural logarithm for `x` in `[1, 4)` (the sum of three exponentials of which the largest is 1):
    /// `x = m 2^e` with `m` in `[0.75, 1.5)`, then `log m = 2 atanh((m - 1)/(m + 1))` by its series to `u^9`
    /// (`|u| <= 0.2`, truncation below 1e-8).
    @inline(__always)
    static func logOneToFour(_ x: V) -> V {
        let bits = unsafeBitCast(x, to: I.self)
        var e = V((bits &>> 23) &- 127)
        var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F80_0000, to: V.self)  // in [1, 2)
        let high = m .>= V(repeating: 1.5)
        m = m.replacing(with: m * 0.5, where: high)
        e = e.replacing(with: e + 1, where: high)
        let u = (m - 1) / (m + 1)
        let u2 = u * u
        var s = V(repeating: 1.0 / 9)
        s = s * u2 + V(repeating: 1.0 / 7)
        s = s * u2 + V(repeating: 1.0 / 5)
        s = s * u2 + V(repeating: 1.0 / 3)
        s = s * u2 + V(repeating: 1)
        return e * V(repeating: 0.693_147_18) + 2 * u * s
    }
}
