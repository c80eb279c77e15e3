import Foundation
import RefrainMath

/// Window bandwidth of the Hann window in FFT bins (librosa `window_bandwidth("hann")`).
let hannBandwidth = 1.50018310546875

/// The frequency-domain kernels of one octave of a CQT, sparse by rows (Schörkhuber & Klapuri 2010,
/// "Constant-Q transform toolbox for music processing"; librosa's `__vqt_filter_fft`).
struct CQTOctaveKernel: Sendable {
    /// Output bins `bins` (lowest first) are this octave's filters.
    let bins: Range<Int>
    /// FFT length (a power of two), in samples at this octave's rate.
    let fftSize: Int
    /// Hop in samples at this octave's rate.
    let hop: Int
    /// How many times the (early-downsampled) signal was halved before this octave.
    let level: Int
    /// The FFT bins any filter of this octave reads.
    let band: Range<Int>
    /// Filter `k`'s kept FFT bins are entries `rowStart[k] ..< rowStart[k + 1]` (compressed sparse rows):
    /// bin `band.lowerBound + column[e]` with weight `real[e] + i imaginary[e]`.
    let rowStart: [Int]
    let column: [Int32]
    let real: [Float]
    let imaginary: [Float]
    /// Per filter: the downsampling compensation, librosa's sqrt(2) per halving of the signal, and `1 / sqrt(length)`
    /// when scaling.
    let gain: [Float]

    /// `rows[k]` lists filter `k`'s kept bins as `(bin, re, im)` (from `buildKernels`).
    init(bins: Range<Int>, fftSize: Int, hop: Int, level: Int, rows: [[(Int32, Float, Float)]], gain: [Float]) {
        self.bins = bins
        self.fftSize = fftSize
        self.hop = hop
        self.level = level
        self.gain = gain
        let kept = rows.flatMap { $0 }
        let low = Int(kept.map(\.0).min() ?? 0), high = Int(kept.map(\.0).max() ?? 0)
        band = low..<(high + 1)
        var starts = [0]
        for row in rows { starts.append(starts.last! + row.count) }
        rowStart = starts
        column = kept.map { $0.0 - Int32(low) }
        real = kept.map(\.1)
        imaginary = kept.map(\.2)
    }
}

/// librosa's `filters._relative_bandwidth`: the bandwidth of each filter relative to its frequency, from the
/// local spacing of `frequencies` (at least 2, increasing).
func relativeBandwidths(_ frequencies: [Double]) -> [Double] {
    let n = frequencies.count
    let logf = frequencies.map { log2($0) }
    var bpo = [Double](repeating: 0, count: n)
    bpo[0] = 1 / (logf[1] - logf[0])
    bpo[n - 1] = 1 / (logf[n - 1] - logf[n - 2])
    if n > 2 { for i in 1..<(n - 1) { bpo[i] = 2 / (logf[i + 1] - logf[i - 1]) } }
    return bpo.map { (pow(2, 2 / $0) - 1) / (pow(2, 2 / $0) + 1) }
}

/// Builds the FFT kernels of filters at `frequencies` (Hz) for signals at `sampleRate` Hz: Hann-windowed complex
/// exponentials of `filterScale / alpha * sampleRate / f` samples, normalized with `norm`, centred in a power-of-two
/// frame, transformed, scaled by `length / fftSize`, sparsified (librosa `wavelet`, `__vqt_filter_fft`,
/// `util.sparsify_rows`). Returns rows of `(bin, re, im)` and the FFT size.
func buildKernels(frequencies: [Double], alpha: [Double], sampleRate: Double, filterScale: Double, norm: Double,
                  sparsity: Double) -> (rows: [[(Int32, Float, Float)]], fftSize: Int) {
    let lengths = zip(frequencies, alpha).map { filterScale / $0.1 * sampleRate / $0.0 }
    let maxLength = lengths.max() ?? 1
    let fftSize = 1 << Int(log2(maxLength).rounded(.up))
    let fft = ComplexFFT(size: fftSize)
    var rows = [[(Int32, Float, Float)]]()
    var buffer = [Float](repeating: 0, count: 2 * fftSize)
    for (length, frequency) in zip(lengths, frequencies) {
        let start = (-length / 2).rounded(.down), stop = (length / 2).rounded(.down)
        let n = Int(stop - start)
        var window = (0..<n).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(n)) }
        let normValue: Double
        if norm == .infinity { normValue = window.max() ?? 1 } else { normValue = pow(window.reduce(0) { $0 + pow($1, norm) }, 1 / norm) }
        let factor = (normValue > 0 ? 1 / normValue : 1) * length / Double(fftSize)
        for i in window.indices { window[i] *= factor }
        for i in buffer.indices { buffer[i] = 0 }
        let offset = (fftSize - n) / 2
        for m in 0..<n {
            let phase = (start + Double(m)) * 2 * Double.pi * frequency / sampleRate
            buffer[2 * (offset + m)] = Float(window[m] * cos(phase))
            buffer[2 * (offset + m) + 1] = Float(window[m] * sin(phase))
        }
        buffer.withUnsafeMutableBufferPointer { fft.transform($0) }
        let half = fftSize / 2 + 1
        var magnitudes = [Double](repeating: 0, count: half)
        for j in 0..<half {
            magnitudes[j] = Double(hypot(buffer[2 * j], buffer[2 * j + 1]))
        }
        // Keep the largest entries holding at least 1 - sparsity of the row's L1 mass.
        let total = magnitudes.reduce(0, +)
        let sorted = magnitudes.sorted()
        var threshold = sorted.last ?? 0
        var cumulative = 0.0
        for value in sorted {
            cumulative += value / total
            if !(cumulative < sparsity) { threshold = value; break }
        }
        var row = [(Int32, Float, Float)]()
        for j in 0..<half where magnitudes[j] >= threshold {
            row.append((Int32(j), buffer[2 * j], buffer[2 * j + 1]))
        }
        rows.append(row)
    }
    return (rows, fftSize)
}
