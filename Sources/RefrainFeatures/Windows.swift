import Foundation
import RefrainMath

/// A periodic Hann window of `length` samples (`scipy.signal.get_window('hann', length, fftbins=True)`,
/// librosa's default): `w[n] = 0.5 - 0.5 cos(2π n / length)`.
public func hannWindow(_ length: Int) -> [Float] {
    guard length > 1 else { return [Float](repeating: 1, count: max(0, length)) }
    return (0..<length).map { n in Float(0.5 - 0.5 * cos(2 * Double.pi * Double(n) / Double(length))) }
}

/// `window` zero-padded on both sides to `size` samples, centred as librosa's `util.pad_center` does
/// (the extra sample, if any, goes on the right).
func centred(_ window: [Float], in size: Int) -> [Float] {
    precondition(window.count <= size)
    let left = (size - window.count) / 2
    var out = [Float](repeating: 0, count: size)
    for (i, w) in window.enumerated() { out[left + i] = w }
    return out
}
