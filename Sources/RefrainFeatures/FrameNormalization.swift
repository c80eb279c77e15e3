import Foundation
import RefrainMath

/// The norm used to scale each frame of a feature sequence.
public enum FrameNorm: Hashable, Sendable {
    /// Sum of absolute values.
    case l1
    /// Euclidean length.
    case l2
    /// Largest absolute value (librosa `norm=np.inf`).
    case max
}

/// Scales every row (frame) of `values` (`frames x dims`) to unit `norm`, with `librosa.util.normalize`
/// semantics along the feature axis: a frame whose norm is below `threshold` is left as it is (librosa's
/// `fill=None`). The default threshold is the smallest normal Float (librosa's `tiny` for float32).
/// Norms are accumulated in Double, as librosa does.
public func normalizeFrames(_ values: Matrix, norm: FrameNorm, threshold: Float = .leastNormalMagnitude) -> Matrix {
    var out = values
    let cols = values.cols
    guard cols > 0 else { return out }
    out.storage.withUnsafeMutableBufferPointer { p in
        for r in 0..<values.rows {
            let row = UnsafeMutableBufferPointer(rebasing: p[(r * cols)..<((r + 1) * cols)])
            var length = 0.0
            switch norm {
            case .l1: for v in row { length += Double(abs(v)) }
            case .l2: for v in row { length += Double(v) * Double(v) }; length = length.squareRoot()
            case .max: for v in row { length = Swift.max(length, Double(abs(v))) }
            }
            guard length >= Double(threshold) else { continue }
            for i in row.indices { row[i] = Float(Double(row[i]) / length) }
        }
    }
    return out
}

extension FeatureSequence {
    /// This sequence with every frame scaled to unit `norm` (see `normalizeFrames`).
    public func normalized(_ norm: FrameNorm, threshold: Float = .leastNormalMagnitude) -> FeatureSequence {
        FeatureSequence(values: normalizeFrames(values, norm: norm, threshold: threshold), times: times)
    }

    /// This sequence with every dimension standardized: `(x - mean[d]) / std[d]`. A `std` at or below
    /// `minimumStd` divides by 1 instead, so that constant dimensions stay finite.
    /// - Precondition: `mean` and `std` have `dimension` entries.
    public func zScored(mean: [Float], std: [Float], minimumStd: Float = 1e-8) -> FeatureSequence {
        precondition(mean.count == dimension && std.count == dimension, "mean/std need \(dimension) entries")
        var out = values
        let cols = dimension
        let scale = std.map { $0 > minimumStd ? 1 / $0 : 1 }
        out.storage.withUnsafeMutableBufferPointer { p in
            for i in p.indices {
                let d = i % cols
                p[i] = (p[i] - mean[d]) * scale[d]
            }
        }
        return FeatureSequence(values: out, times: times)
    }
}
