import Foundation
import RefrainMath

/// The score of an audio match: its DTW cost per query frame, plus `relativeWeight` times that cost
/// divided by the mean cost of the whole submatrix the match spans (every query frame against every item
/// frame of the span), in the spirit of Raffel & Ellis 2016's normalised DTW score. An item whose chroma
/// barely moves (a drone, a long chord) matches any query cheaply, but no more cheaply along the path
/// than off it: the relative term says how much better than a random pairing of the same frames the
/// path is, which tells such items from the true match.
///
/// With unit-length frames and cosine costs `1 - q·d`, the submatrix mean is `1 - (Σq)·(Σd) / (n m)`,
/// so it costs 12 products per match with prefix sums of the item's frames.
struct AudioMatchScore {
    /// The default weight, chosen on the tune half of the realistic benchmark (see the issue-18 note).
    static let defaultRelativeWeight = 1.0

    let relativeWeight: Double
    /// Prefix sums of the item's frames: `(frames + 1) x dims`, row-major.
    let prefix: [Float]
    let dims: Int
    /// The largest mean cosine cost a submatrix can have: 1 between non-negative unit vectors (CENS), 2
    /// when the item has negative values (CRP; the query comes from the same encoder).
    let largestMeanCost: Double

    init(relativeWeight: Double, item: Matrix) {
        self.relativeWeight = relativeWeight
        dims = item.cols
        largestMeanCost = item.storage.contains { $0 < 0 } ? 2 : 1
        guard relativeWeight > 0 else { prefix = []; return }
        var p = [Float](repeating: 0, count: (item.rows + 1) * item.cols)
        item.storage.withUnsafeBufferPointer { x in
            for r in 0..<item.rows { for c in 0..<item.cols { p[(r + 1) * item.cols + c] = p[r * item.cols + c] + x[r * item.cols + c] } }
        }
        prefix = p
    }

    /// Sum of the rows of `m`.
    static func columnSums(_ m: Matrix) -> [Float] {
        var s = [Float](repeating: 0, count: m.cols)
        let d = m.cols
        m.storage.withUnsafeBufferPointer { x in
            s.withUnsafeMutableBufferPointer { sums in
                for r in 0..<m.rows { for c in 0..<d { sums[c] += x[r * d + c] } }
            }
        }
        return s
    }

    func score(costPerStep: Double, query sums: [Float], queryFrames: Int, span: ClosedRange<Int>) -> Double {
        guard relativeWeight > 0, !prefix.isEmpty else { return costPerStep }
        var dot: Double = 0
        for c in 0..<dims {
            dot += Double(sums[c]) * Double(prefix[(span.upperBound + 1) * dims + c] - prefix[span.lowerBound * dims + c])
        }
        let mean = 1 - dot / Double(max(queryFrames, 1) * span.count)
        return costPerStep + relativeWeight * costPerStep / max(mean, 1e-3)
    }

    /// The largest cost per step whose score can still be at most `threshold`: the submatrix mean is at
    /// most `largestMeanCost`, so the relative term is at least the cost divided by it.
    func costLimit(_ threshold: Double) -> Double { threshold / (1 + relativeWeight / largestMeanCost) }
}
