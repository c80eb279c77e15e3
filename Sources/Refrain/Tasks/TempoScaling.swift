import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
/// Resamples a feature sequence in time by `factor` (> 1 lengthens it, as if played slower) with linear
/// interpolation between frames, then L2-normalises every frame again. Used to try a query at several
/// global tempi (Müller, Kurth & Clausen 2005 vary the CENS downsampling to the same end).
///
/// - Returns: `max(1, round(frames * factor)) x dims`.
public func timeScaled(_ values: Matrix, by factor: Double) -> Matrix {
    precondition(factor > 0, "tempo factor must be positive")
    let n = values.rows, d = values.cols
    let m = max(1, Int((Double(n) * factor).rounded()))
    guard n > 1, m != n else { return values }
    var out = Matrix(rows: m, cols: d)
    let step = Double(n - 1) / Double(max(m - 1, 1))
    // Through pointers (the version stage fits the query to every candidate's length): the same operations in
    // the same order as element by element, so the same bits.
    values.storage.withUnsafeBufferPointer { source in
        out.storage.withUnsafeMutableBufferPointer { target in
            for i in 0..<m {
                let x = Double(i) * step
                let k = min(Int(x), n - 2)
                let f = Float(x - Double(k))
                let before = source.baseAddress! + k * d, row = target.baseAddress! + i * d
                var norm: Float = 0
                for c in 0..<d {
                    let v = before[c] * (1 - f) + before[d + c] * f
                    row[c] = v
                    norm += v * v
                }
                if norm > 0 {
                    let scale = 1 / norm.squareRoot()
                    for c in 0..<d { row[c] *= scale }
                }
            }
        }
    }
    return out
}

/// The chroma sequence with every frame's pitch classes rotated up by `semitones` (column `c` moves to
/// `(c + semitones) mod dims`): a transposition.
public func cyclicallyShifted(_ values: Matrix, by semitones: Int) -> Matrix {
    let d = values.cols
    guard d > 0, semitones % d != 0 else { return values }
    var out = Matrix(rows: values.rows, cols: d)
    for r in 0..<values.rows {
        for c in 0..<d { out[r, ((c + semitones) % d + d) % d] = values[r, c] }
    }
    return out
}
