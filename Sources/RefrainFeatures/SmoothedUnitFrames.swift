import Foundation
import RefrainMath

/// The temporal statistics step of CENS and smoothed CRP (Müller, Kurth & Clausen 2005; Müller & Ewert 2011,
/// Chroma Toolbox): `values` (`frames x dims`, at `times`, seconds) smoothed in time per dimension with a
/// symmetric Hann window of `smoothingLength + 2` points normalized to sum 1 (librosa's `chroma_cens`; zeros
/// beyond the ends; 0 turns smoothing off), each frame scaled to unit L2 length, then every `downsampling`-th
/// frame kept. Output `ceil(frames / downsampling) x dims` with the kept frames' times.
public func smoothedUnitFrames(_ values: Matrix, times: [Double], smoothingLength: Int, downsampling: Int) -> FeatureSequence {
    precondition(smoothingLength >= 0 && downsampling >= 1, "smoothing length >= 0 and downsampling >= 1")
    var smoothed = values
    if smoothingLength > 0 {
        // Symmetric Hann of smoothingLength + 2 points (scipy get_window(fftbins=False)), normalized to sum 1.
        let m = smoothingLength + 2
        var window = (0..<m).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(m - 1)) }
        let total = window.reduce(0, +)
        window = window.map { $0 / total }
        let frames = values.rows, dims = values.cols
        let centre = m / 2
        for t in 0..<frames {
            for d in 0..<dims {
                var acc = 0.0
                for k in 0..<m {
                    let s = t + centre - k
                    if s >= 0 && s < frames { acc += window[k] * Double(values[s, d]) }
                }
                smoothed[t, d] = Float(acc)
            }
        }
    }
    var result = FeatureSequence(values: normalizeFrames(smoothed, norm: .l2), times: times)
    if downsampling > 1 {
        let kept = Array(stride(from: 0, to: result.frameCount, by: downsampling))
        let values = Matrix(rows: kept.count, cols: result.dimension) { r, c in result.values[kept[r], c] }
        result = FeatureSequence(values: values, times: kept.map { result.times[$0] })
    }
    return result
}
