import Foundation
import RefrainMath

/// The reference level that 0 dB stands for in `powerToDB` and `amplitudeToDB`.
public enum DecibelReference: Sendable {
    /// A fixed value (librosa's `ref=1.0` by default).
    case value(Float)
    /// The largest value of the input (librosa's `ref=np.max`).
    case maximum
}

/// Converts a power spectrogram to decibels with librosa's `power_to_db` semantics:
/// `10 * log10(max(amin, S)) - 10 * log10(max(amin, ref))`, then, when `topDB` is given, every value
/// is raised to at least `max - topDB`.
///
/// - Parameters:
///   - power: non-negative values, any shape (processed element-wise; `topDB` uses the global maximum).
///   - reference: 0 dB level (default `.value(1)`).
///   - amin: floor before the logarithm (default `1e-10`).
///   - topDB: dynamic range kept below the maximum, in dB (default 80; nil keeps everything).
public func powerToDB(_ power: Matrix, reference: DecibelReference = .value(1), amin: Float = 1e-10,
                      topDB: Float? = 80) -> Matrix {
    precondition(amin > 0, "amin must be positive")
    let refValue: Float
    switch reference {
    case .value(let v): refValue = abs(v)
    case .maximum: refValue = power.storage.max() ?? 1
    }
    let offset = 10 * log10(max(amin, refValue))
    var out = power
    var top = -Float.infinity
    out.storage.withUnsafeMutableBufferPointer { p in
        // Eight lanes at a time, then the remainder.
        var i = 0
        var tops = SIMD8<Float>(repeating: -.infinity)
        while i + 8 <= p.count {
            let raw = UnsafeMutableRawPointer(p.baseAddress! + i)
            let x = raw.loadUnaligned(as: SIMD8<Float>.self)
            var db = 10 * log10Lanes(pointwiseMax(x, SIMD8(repeating: amin))) - offset
            // Below amin, NaN or infinity somewhere (x - x is NaN for the last two): as the scalar path.
            // Reductions rather than lane masks, which Swift lowers lane by lane.
            if !(x.min() >= amin) || (x - x).sum() != 0 {
                for lane in 0..<8 { db[lane] = 10 * log10(max(amin, x[lane])) - offset }
            }
            raw.storeBytes(of: db, as: SIMD8<Float>.self)
            tops = pointwiseMax(tops, db)
            i += 8
        }
        top = tops.max()
        while i < p.count {
            let db = 10 * log10(max(amin, p[i])) - offset
            p[i] = db
            top = max(top, db)
            i += 1
        }
        if let topDB {
            precondition(topDB >= 0, "topDB must be non-negative")
            let floor = top - topDB
            for i in p.indices where p[i] < floor { p[i] = floor }
        }
    }
    return out
}

/// Converts an amplitude (magnitude) spectrogram to decibels with librosa's `amplitude_to_db`
/// semantics: `powerToDB(S², ref², amin²)`. Defaults: `ref = 1`, `amin = 1e-5`, `topDB = 80`.
public func amplitudeToDB(_ magnitude: Matrix, reference: DecibelReference = .value(1), amin: Float = 1e-5,
                          topDB: Float? = 80) -> Matrix {
    let ref: DecibelReference
    switch reference {
    case .value(let v): ref = .value(v * v)
    case .maximum: ref = .value({ let m = magnitude.storage.map(abs).max() ?? 1; return m * m }())
    }
    return powerToDB(magnitude.map { $0 * $0 }, reference: ref, amin: amin * amin, topDB: topDB)
}

/// `log10` of eight positive, normal, finite values. With `x = m · 2^e`, `m` in [√½, √2):
/// `ln m = 2 atanh(s) = 2 (s + s³/3 + s⁵/5 + s⁷/7 + s⁹/9 + ...)`, `s = (m - 1) / (m + 1)`, `|s| ≤ 0.172`,
/// so the series cut after s⁹ leaves a relative error under 1e-9, below Float's rounding.
@inline(__always)
func log10Lanes(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Split x = m · 2^k with m in [√½, √2): subtracting the bits of √½ before taking the exponent moves
    // the exponent boundary there (integer arithmetic only; lane masks are slow in Swift's SIMD).
    let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
    let k = (bits &- 0x3F35_04F3) &>> 23
    let m = unsafeBitCast(bits &- (k &<< 23), to: SIMD8<Float>.self)
    let s = (m - 1) / (m + 1), s2 = s * s
    var series = SIMD8<Float>(repeating: 1 / 9)
    series = series * s2 + 1 / 7
    series = series * s2 + 1 / 5
    series = series * s2 + 1 / 3
    series = series * s2 + 1
    let lnM = 2 * s * series
    let ln2: Float = 0.693_147_18, log10e: Float = 0.434_294_48
    return (SIMD8<Float>(k) * ln2 + lnM) * log10e
}
