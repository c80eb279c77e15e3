import Foundation
import RefrainMath

/// Which transpositions relate two chroma sequences, from their chroma profiles (Serrà, Gómez, Herrera &
/// Serra 2008, "Transposing chroma representations to a common key"): the optimal transposition index
/// (OTI) is the cyclic shift of one profile that best matches the other. Here each of the twelve shifts
/// gets a score, so a caller can try the best one or two instead of all twelve.
///
/// Convention: shift `k` means the query moved up by `k` semitones (`cyclicallyShifted(query, by: k)`)
/// plays in the item's key.
public enum TranspositionEstimate {
    /// The mean of the rows `rows` of a `frames x 12` chroma sequence, L2-normalised (zero when silent).
    public static func profile(_ chroma: Matrix, rows: Range<Int>? = nil) -> [Float] {
        let range = rows ?? 0..<chroma.rows
        var p = [Float](repeating: 0, count: chroma.cols)
        for r in range { for c in 0..<chroma.cols { p[c] += chroma[r, c] } }
        return normalized(p)
    }

    static func normalized(_ p: [Float]) -> [Float] {
        let norm = p.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm > 0 ? p.map { $0 / norm } : p
    }

    /// For each shift `k` in `0..<12`: the best cosine similarity between the query's profile moved up
    /// by `k` and the profile of any window of `window` item frames (every `hop` frames; the whole item
    /// when it is shorter). Windows the query's length find the key of the passage it matches even when
    /// the piece modulates (a local OTI); `window >= item.rows` gives Serrà's global OTI.
    public static func shiftScores(query: [Float], item: Matrix, window: Int, hop: Int) -> [Float] {
        let d = item.cols
        guard d == query.count, d > 0, item.rows > 0 else { return [Float](repeating: 0, count: max(d, 1)) }
        let w = max(1, min(window, item.rows)), step = max(1, hop)
        // Prefix sums of the item's frames; for the whole item (one window) only the last, which is the same sum.
        let whole = w == item.rows
        var prefix = [Float](repeating: 0, count: (whole ? 2 : item.rows + 1) * d)
        item.storage.withUnsafeBufferPointer { x in
            prefix.withUnsafeMutableBufferPointer { p in
                for r in 0..<item.rows {
                    let to = whole ? d : (r + 1) * d, from = whole ? d : r * d
                    for c in 0..<d { p[to + c] = p[from + c] + x[r * d + c] }
                }
            }
        }
        var scores = [Float](repeating: -1, count: d)
        var starts = whole ? [0] : Array(stride(from: 0, through: item.rows - w, by: step))
        if starts.last != item.rows - w { starts.append(item.rows - w) }
        var window = [Float](repeating: 0, count: d)
        for start in starts {
            let last = whole ? d : (start + w) * d, first = whole ? 0 : start * d
            var norm: Float = 0
            for c in 0..<d {
                window[c] = prefix[last + c] - prefix[first + c]
                norm += window[c] * window[c]
            }
            guard norm > 0 else { continue }
            let scale = 1 / norm.squareRoot()
            for k in 0..<d {
                var dot: Float = 0
                // Query moved up by k: its pitch class c lands on (c + k) mod d.
                for c in 0..<d { dot += query[c] * window[(c + k) % d] }
                scores[k] = max(scores[k], dot * scale)
            }
        }
        return scores
    }

    /// The shifts to try, best first: the best one, then the next ones while their score is within
    /// `margin` of the best, at most `count`.
    public static func choose(_ scores: [Float], count: Int, margin: Float) -> [Int] {
        let order = scores.indices.sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }
        guard let best = order.first else { return [0] }
        return Array(order.prefix(max(1, count)).filter { scores[best] - scores[$0] <= margin || $0 == best })
    }

    /// The signed bin shift (`k` or `k - 12`) that moves the query's mean log-CQT (`frames x bins`, 12 bins
    /// per octave) closest to the item's: which octave direction a transposition class `k` means for a
    /// representation that, unlike chroma, is not cyclic.
    public static func direction(of k: Int, query: Matrix, item: Matrix) -> Int {
        let k = ((k % 12) + 12) % 12
        guard k != 0, query.cols == item.cols, query.rows > 0, item.rows > 0 else { return k }
        let q = profile(query), i = profile(item)
        func similarity(_ s: Int) -> Float {
            var dot: Float = 0
            for c in 0..<q.count where c + s >= 0 && c + s < i.count { dot += q[c] * i[c + s] }
            return dot
        }
        return similarity(k) >= similarity(k - 12) ? k : k - 12
    }
}

/// A `frames x bins` sequence with every frame moved up by `bins` (down when negative); bins pushed past
/// either end are lost and vacated ones are zero, then rows are L2-normalised again. For a CQT with 12
/// bins per octave, a transposition by `bins` semitones.
public func binShifted(_ values: Matrix, by bins: Int) -> Matrix {
    guard bins != 0 else { return values }
    let d = values.cols
    var out = Matrix(rows: values.rows, cols: d)
    for r in 0..<values.rows {
        var norm: Float = 0
        for c in 0..<d where c + bins >= 0 && c + bins < d {
            let v = values[r, c]
            out[r, c + bins] = v
            norm += v * v
        }
        if norm > 0 {
            let scale = 1 / norm.squareRoot()
            for c in 0..<d { out[r, c] *= scale }
        }
    }
    return out
}
