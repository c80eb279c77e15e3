import Foundation
import RefrainMath

/// Several 12-d chroma arrays of one frame rate (e.g. `cens` and `crp_coarse`, both ≈ 2.15 frames/s) matched as
/// one sequence: frame `t` is the concatenation of the arrays' frames `t`, each L2-normalised and scaled by
/// `1/sqrt(n)` for `n` arrays, so that the joined frame has unit length. The cosine cost of two joined frames is
/// then the mean of the arrays' cosine costs, `1 - (1/n) Σ_k a_k·b_k`, so one subsequence DTW over the joined
/// frames is the DTW of the mean of the arrays' cost matrices: one path, one tempo version and one key for all
/// arrays, at the cost of one DTW whose cells take `12 n` multiply-adds instead of `n` DTWs.
///
/// This is not `ArrayMeanMatcher`, which lets each array find its own best path, key and tempo and averages
/// the best scores; the joint path's mean cost is never below that mean of bests. CENS: Müller, Kurth & Clausen
/// 2005; CRP: Müller & Ewert 2010 (issue 18, round 13).
///
/// A transposition moves every array's pitch classes by the same number of semitones (`shifted`); the coarse
/// pass's frame pairs are averaged and normalised per array (`halved`), so the identity holds there too.
public enum JointChroma {
    /// Pitch classes per array.
    public static let blockWidth = 12

    /// The arrays' frames joined: `min(frames) x 12 n`, each array's part unit length times `1/sqrt(n)` (a silent,
    /// all-zero frame stays zero). Nil when there is no part, a part is not `frames x 12`, or a part has no frames.
    public static func joined(_ parts: [Matrix]) -> Matrix? {
        guard !parts.isEmpty, parts.allSatisfy({ $0.cols == blockWidth && $0.rows > 0 }) else { return nil }
        let rows = parts.map(\.rows).min()!, n = parts.count, d = blockWidth
        let weight = 1 / Float(n).squareRoot()
        var out = Matrix(rows: rows, cols: n * d)
        for (k, part) in parts.enumerated() {
            for r in 0..<rows {
                var norm: Float = 0
                for c in 0..<d { norm += part[r, c] * part[r, c] }
                let scale = norm > 0 ? weight / norm.squareRoot() : 0
                for c in 0..<d { out[r, k * d + c] = part[r, c] * scale }
            }
        }
        return out
    }

    /// The first array's part of joined frames (`frames x 12`), scaled back to unit length: for the key estimate.
    public static func firstBlock(_ joined: Matrix) -> Matrix {
        let n = max(1, joined.cols / blockWidth), scale = Float(n).squareRoot()
        var out = Matrix(rows: joined.rows, cols: blockWidth)
        for r in 0..<joined.rows { for c in 0..<blockWidth { out[r, c] = joined[r, c] * scale } }
        return out
    }

    /// Every array's part moved up by `semitones` (cyclically, as `cyclicallyShifted` moves one chroma array).
    public static func shifted(_ values: Matrix, by semitones: Int) -> Matrix {
        let d = blockWidth
        guard values.cols % d == 0, values.cols > d else { return cyclicallyShifted(values, by: semitones) }
        guard semitones % d != 0 else { return values }
        var out = Matrix(rows: values.rows, cols: values.cols)
        for r in 0..<values.rows {
            for base in stride(from: 0, to: values.cols, by: d) {
                for c in 0..<d { out[r, base + ((c + semitones) % d + d) % d] = values[r, base + c] }
            }
        }
        return out
    }

    /// Pairs of frames summed and each `blocks`-th part L2-normalised and scaled by `1/sqrt(blocks)`:
    /// `ceil(frames / 2) x dims`. With one block, the pair's mean direction at unit length.
    public static func halved(_ m: Matrix, blocks: Int) -> Matrix {
        let rows = (m.rows + 1) / 2, n = max(1, blocks), cols = m.cols, width = cols / n
        let weight = 1 / Float(n).squareRoot()
        var out = Matrix(rows: rows, cols: cols)
        // Through pointers (the version stage halves two sequences per candidate): the same operations in the
        // same order as element by element, so the same bits.
        m.storage.withUnsafeBufferPointer { source in
            out.storage.withUnsafeMutableBufferPointer { target in
                for r in 0..<rows {
                    let first = source.baseAddress! + 2 * r * cols, paired = 2 * r + 1 < m.rows
                    let row = target.baseAddress! + r * cols
                    for k in 0..<n {
                        var norm: Float = 0
                        for c in (k * width)..<((k + 1) * width) {
                            let v = first[c] + (paired ? first[cols + c] : 0)
                            row[c] = v
                            norm += v * v
                        }
                        if norm > 0 {
                            let s = weight / norm.squareRoot()
                            for c in (k * width)..<((k + 1) * width) { row[c] *= s }
                        }
                    }
                }
            }
        }
        return out
    }
}
