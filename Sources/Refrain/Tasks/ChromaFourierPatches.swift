import Foundation
import RefrainMath

/// Key- and time-shift-invariant summaries of chroma patches: the magnitude of the 2-D discrete Fourier
/// transform of a `window x 12` patch of CENS (Bertin-Mahieux & Ellis 2012, "Large-scale cover song
/// recognition using the 2D Fourier transform magnitude", ISMIR). A cyclic shift of the pitch classes (a
/// transposition) or of the patch's frames changes only the transform's phases, so the magnitudes of a
/// transposed passage equal the original's.
///
/// Each patch keeps the magnitudes of the `rows` lowest temporal frequencies (0 ..< `rows` cycles per patch)
/// at all 12 chroma frequencies, `rows x 12` values (row-major: temporal frequency, then chroma frequency),
/// raised to `power` (compressing the dominant DC term, as the paper's power-law step does) and scaled to unit
/// length. CENS is smoothed over about 2 s, so the higher temporal frequencies carry little.
public struct ChromaFourierPatches: Sendable, Equatable {
    /// Patch length, frames (16 CENS frames ≈ 7.4 s at 2.15 frames/s).
    public var window: Int = 16
    /// Temporal frequencies kept, cycles per patch (0 ..< rows; at most window / 2 + 1).
    public var rows: Int = 5
    /// Power applied to each magnitude before normalising.
    public var power: Float = 0.25
    /// Frames between the starts of an item's patches (4 ≈ 1.9 s).
    public var itemHop: Int = 4

    public init() {}

    /// Values per patch: `rows x 12`.
    public var dims: Int { rows * 12 }

    /// The settings in one line (what a saved table of patches was made with).
    public var signature: String { "window=\(window) rows=\(rows) power=\(power) hop=\(itemHop)" }

    /// The patch starts of a `frames`-frame sequence read every `hop` frames: 0, hop, ... up to the last full
    /// patch; a sequence shorter than `window` gives the one patch at 0 (zero-padded).
    public func starts(frames: Int, hop: Int) -> [Int] {
        guard frames > window else { return frames > 0 ? [0] : [] }
        return Array(stride(from: 0, through: frames - window, by: max(1, hop)))
    }

    /// The patches of `chroma` (`frames x 12`, row-major), starting every `hop` frames (`starts`): a
    /// `patches x dims` matrix, each row the compressed, unit-length 2-D Fourier magnitude of one patch (zero
    /// for an all-zero patch).
    public func patches(_ chroma: UnsafeBufferPointer<Float>, frames: Int, hop: Int) -> Matrix {
        let starts = starts(frames: frames, hop: hop)
        var out = Matrix(rows: starts.count, cols: dims)
        guard !starts.isEmpty else { return out }
        // The DFT over pitch classes of every frame once (shared by overlapping patches); 0 past the end.
        let padded = max(frames, window)
        var re = [Float](repeating: 0, count: padded * 12), im = [Float](repeating: 0, count: padded * 12)
        let (cosC, sinC) = Self.twiddles(12)
        for t in 0..<frames {
            for k in 0..<12 {
                var r: Float = 0, i: Float = 0
                for c in 0..<12 {
                    let x = chroma[t * 12 + c], w = (k * c) % 12
                    r += x * cosC[w]
                    i -= x * sinC[w]
                }
                re[t * 12 + k] = r
                im[t * 12 + k] = i
            }
        }
        // Then over the patch's frames, for the kept temporal frequencies only.
        let (cosT, sinT) = Self.twiddles(window)
        out.storage.withUnsafeMutableBufferPointer { o in
            for (p, start) in starts.enumerated() {
                let row = o.baseAddress! + p * dims
                for f in 0..<rows {
                    for k in 0..<12 {
                        var r: Float = 0, i: Float = 0
                        for tau in 0..<window {
                            let w = (f * tau) % window, a = re[(start + tau) * 12 + k], b = im[(start + tau) * 12 + k]
                            // (a + ib)(cos - i sin)
                            r += a * cosT[w] + b * sinT[w]
                            i += b * cosT[w] - a * sinT[w]
                        }
                        row[f * 12 + k] = pow((r * r + i * i).squareRoot(), power)
                    }
                }
                Self.normalize(row, count: dims)
            }
        }
        return out
    }

    /// One vector for a query (`frames x 12` chroma): the element-wise median of its patches taken at every
    /// frame, scaled to unit length (`dims` values). Pooling lets an excerpt of any length be compared with
    /// each of an item's patches by one dot product (Bertin-Mahieux & Ellis pool a song's patches the same way).
    public func pooled(_ chroma: UnsafeBufferPointer<Float>, frames: Int) -> [Float] {
        let all = patches(chroma, frames: frames, hop: 1)
        guard all.rows > 0 else { return [Float](repeating: 0, count: dims) }
        var out = [Float](repeating: 0, count: dims)
        var column = [Float](repeating: 0, count: all.rows)
        for d in 0..<dims {
            for p in 0..<all.rows { column[p] = all.storage[p * dims + d] }
            column.sort()
            let n = column.count
            out[d] = n % 2 == 1 ? column[n / 2] : (column[n / 2 - 1] + column[n / 2]) / 2
        }
        out.withUnsafeMutableBufferPointer { Self.normalize($0.baseAddress!, count: dims) }
        return out
    }

    /// cos and sin of 2πk/n for k in 0 ..< n.
    static func twiddles(_ n: Int) -> ([Float], [Float]) {
        let angles = (0..<n).map { 2 * Double.pi * Double($0) / Double(n) }
        return (angles.map { Float(cos($0)) }, angles.map { Float(sin($0)) })
    }

    /// Scales `count` values to unit length (an all-zero vector stays zero).
    static func normalize(_ v: UnsafeMutablePointer<Float>, count: Int) {
        var sum: Float = 0
        for d in 0..<count { sum += v[d] * v[d] }
        guard sum > 0 else { return }
        let scale = 1 / sum.squareRoot()
        for d in 0..<count { v[d] *= scale }
    }
}
