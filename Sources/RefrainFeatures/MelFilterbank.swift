import Foundation
import RefrainMath

/// How each mel filter is scaled.
public enum MelNorm: Sendable {
    /// Area normalization: filter `m` is multiplied by `2 / (f[m+2] - f[m])` (librosa's default `'slaney'`).
    case slaney
    /// Unit peak (triangles of height 1, librosa's `norm=None`).
    case none
}

/// Hz to mel. Slaney's scale (linear below 1 kHz at 3/200 mel per Hz, logarithmic above, as in the
/// Auditory Toolbox) unless `htk`, which uses `2595 log10(1 + f / 700)` (O'Shaughnessy 1987).
public func hzToMel(_ hz: Double, htk: Bool = false) -> Double {
    if htk { return 2595 * log10(1 + hz / 700) }
    let fSp = 200.0 / 3
    let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27
    return hz >= minLogHz ? minLogMel + log(hz / minLogHz) / logStep : hz / fSp
}

/// Mel to Hz, the inverse of `hzToMel`.
public func melToHz(_ mel: Double, htk: Bool = false) -> Double {
    if htk { return 700 * (pow(10, mel / 2595) - 1) }
    let fSp = 200.0 / 3
    let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27
    return mel >= minLogMel ? minLogHz * exp(logStep * (mel - minLogMel)) : fSp * mel
}

/// `count` frequencies in Hz equally spaced on the mel scale from `fmin` to `fmax` inclusive
/// (`librosa.mel_frequencies`).
public func melFrequencies(count: Int, fmin: Double = 0, fmax: Double = 11025, htk: Bool = false) -> [Double] {
    let lo = hzToMel(fmin, htk: htk), hi = hzToMel(fmax, htk: htk)
    guard count > 1 else { return count == 1 ? [melToHz(lo, htk: htk)] : [] }
    return (0..<count).map { melToHz(lo + (hi - lo) * Double($0) / Double(count - 1), htk: htk) }
}

/// A triangular mel filterbank with `librosa.filters.mel` semantics, `melCount x (fftSize / 2 + 1)`:
/// row `m` weights the FFT bins of filter `m`, whose corners are mel frequencies `m`, `m+1`, `m+2` of
/// `melCount + 2` points from `fmin` to `fmax`.
///
/// - Parameters:
///   - sampleRate: Hz.
///   - fftSize: samples.
///   - melCount: filters (default 128).
///   - fmin, fmax: Hz (defaults 0 and `sampleRate / 2`).
///   - htk: HTK mel formula instead of Slaney's (default false).
///   - norm: `.slaney` area normalization (default) or `.none`.
public func melFilterbank(sampleRate: Double, fftSize: Int, melCount: Int = 128, fmin: Double = 0,
                          fmax: Double? = nil, htk: Bool = false, norm: MelNorm = .slaney) throws -> Matrix {
    let top = fmax ?? sampleRate / 2
    guard sampleRate > 0, fftSize >= 2, fftSize <= 1 << 20, melCount >= 1, melCount <= 4096 else {
        throw RefrainError.invalidArgument(
            "mel filterbank needs sampleRate > 0, fftSize in 2...\(1 << 20), melCount in 1...4096")
    }
    guard fmin >= 0, top > fmin else {
        throw RefrainError.invalidArgument("mel filterbank needs 0 <= fmin < fmax, got \(fmin) and \(top)")
    }
    let bins = fftSize / 2 + 1
    let fftFreqs = (0..<bins).map { Double($0) * sampleRate / Double(fftSize) }
    let corners = melFrequencies(count: melCount + 2, fmin: fmin, fmax: top, htk: htk)
    var weights = Matrix(rows: melCount, cols: bins)
    for m in 0..<melCount {
        let lowWidth = corners[m + 1] - corners[m], highWidth = corners[m + 2] - corners[m + 1]
        let scale = norm == .slaney ? 2 / (corners[m + 2] - corners[m]) : 1
        for k in 0..<bins {
            let rising = (fftFreqs[k] - corners[m]) / lowWidth
            let falling = (corners[m + 2] - fftFreqs[k]) / highWidth
            let w = max(0, min(rising, falling))
            if w > 0 { weights[m, k] = Float(w * scale) }
        }
    }
    return weights
}

/// A mel filterbank stored by the non-zero span of each filter, for fast projection of spectra
/// (each FFT bin feeds at most two filters, so a frame costs about `2 * bins` multiply-adds).
public struct SparseMelFilterbank: Sendable {
    /// `melCount x bins`, dense (for inspection and tests).
    public let dense: Matrix
    private let starts: [Int]
    private let offsets: [Int]  // melCount + 1 offsets into `weights`
    private let weights: [Float]

    public init(_ dense: Matrix) {
        self.dense = dense
        var starts: [Int] = [], offsets: [Int] = [0], weights: [Float] = []
        for m in 0..<dense.rows {
            let row = dense.row(m)
            if let first = row.firstIndex(where: { $0 != 0 }), let last = row.lastIndex(where: { $0 != 0 }) {
                starts.append(first)
                weights.append(contentsOf: row[first...last])
            } else {
                starts.append(0)
            }
            offsets.append(weights.count)
        }
        self.starts = starts
        self.offsets = offsets
        self.weights = weights
    }

    public var melCount: Int { dense.rows }
    public var binCount: Int { dense.cols }

    /// Projects one spectrum (`binCount` values) onto the filters, writing `melCount` values.
    @inlinable
    public func project(_ spectrum: UnsafePointer<Float>, into mel: UnsafeMutablePointer<Float>) {
        projectImpl(spectrum, mel)
    }

    @usableFromInline
    func projectImpl(_ spectrum: UnsafePointer<Float>, _ mel: UnsafeMutablePointer<Float>) {
        weights.withUnsafeBufferPointer { w in
            for m in 0..<starts.count {
                let lo = offsets[m], hi = offsets[m + 1]
                let row = spectrum + starts[m] - lo
                var j = lo
                var lanes = SIMD8<Float>()
                while j + 8 <= hi {
                    let a = UnsafeRawPointer(w.baseAddress! + j).loadUnaligned(as: SIMD8<Float>.self)
                    let b = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self)
                    lanes.addProduct(a, b)
                    j += 8
                }
                var acc = lanes.sum()
                while j < hi { acc += w[j] * row[j]; j += 1 }
                mel[m] = acc
            }
        }
    }

    /// `spectrogram` (`frames x bins`) projected onto the filters: `frames x melCount`.
    public func apply(_ spectrogram: Matrix) -> Matrix {
        precondition(spectrogram.cols == binCount, "spectrogram has \(spectrogram.cols) bins, filterbank \(binCount)")
        var out = Matrix(rows: spectrogram.rows, cols: melCount)
        spectrogram.storage.withUnsafeBufferPointer { s in
            out.storage.withUnsafeMutableBufferPointer { o in
                for t in 0..<spectrogram.rows {
                    projectImpl(s.baseAddress! + t * binCount, o.baseAddress! + t * melCount)
                }
            }
        }
        return out
    }
}
