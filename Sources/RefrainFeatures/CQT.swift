import Dispatch
import Foundation
import RefrainAudio

/// A constant-Q transform (magnitude) for one configuration, with `librosa.cqt` (0.11) semantics: octave by
/// octave, FFT kernels applied to frames of a signal that is halved in rate (soxr, high quality) between
/// octaves (Schörkhuber & Klapuri 2010, "Constant-Q transform toolbox for music processing"; Brown &
/// Puckette 1992 for the kernel method).
///
/// Build it once per configuration: the kernels are computed in `init` and shared, read-only, by every call.
/// `magnitude(_:)` is thread-safe (each call owns its FFT plans and buffers) and spreads its work over the
/// machine's cores.
public final class CQT: Sendable {
    public let configuration: CQTConfiguration
    /// Times the input is halved in rate before the first (highest) octave (librosa's early downsampling).
    let earlyDownsampling: Int
    let octaves: [CQTOctaveKernel]

    /// - Throws: `RefrainError.invalidArgument` when the settings are out of range or the highest filter would
    ///   reach beyond the Nyquist frequency.
    public init(_ configuration: CQTConfiguration = .raffelEllis2015) throws {
        let c = configuration
        guard c.sampleRate.isFinite, c.sampleRate > 0, c.hopLength > 0, c.fmin.isFinite, c.fmin > 0,
              c.binCount >= 2, c.binsPerOctave >= 1, c.filterScale > 0, c.kernelNorm > 0,
              c.sparsity >= 0, c.sparsity < 1, c.tuning.isFinite else {
            throw RefrainError.invalidArgument("CQT settings out of range: \(c)")
        }
        self.configuration = c
        let freqs = c.frequencies
        let alpha = relativeBandwidths(freqs)
        let cutoff = zip(freqs, alpha).map { $0.0 * (1 + 0.5 * hannBandwidth * $0.1 / c.filterScale) }.max()!
        let nyquist = c.sampleRate / 2
        guard cutoff <= nyquist else {
            throw RefrainError.invalidArgument(String(format: "CQT filters reach %.0f Hz, beyond the Nyquist frequency %.0f Hz; use fewer bins or a lower fmin", cutoff, nyquist))
        }
        let octaveCount = (c.binCount + c.binsPerOctave - 1) / c.binsPerOctave
        let filtersPerOctave = min(c.binsPerOctave, c.binCount)
        var twos = 0, h = c.hopLength
        while h % 2 == 0 { twos += 1; h /= 2 }
        let count1 = max(0, Int(log2(nyquist / cutoff).rounded(.up)) - 1 - 1)
        let early = min(count1, max(0, twos - octaveCount + 1))
        earlyDownsampling = early
        let earlyRate = c.sampleRate / Double(1 << early)
        let earlyLengths = zip(freqs, alpha).map { c.filterScale / $0.1 * earlyRate / $0.0 }
        var octaves = [CQTOctaveKernel]()
        var rate = earlyRate, hop = c.hopLength >> early, level = 0
        for i in 0..<octaveCount {
            let high = c.binCount - filtersPerOctave * i
            let low = max(0, c.binCount - filtersPerOctave * (i + 1))
            let (rows, fftSize) = buildKernels(frequencies: Array(freqs[low..<high]), alpha: Array(alpha[low..<high]),
                                               sampleRate: rate, filterScale: c.filterScale, norm: c.kernelNorm,
                                               sparsity: c.sparsity)
            var bandStart = [Int](), chunks = [Int](), offset = [Int](), forReal = [Float](), forImag = [Float]()
            var gain = [Float]()
            let compensation = (earlyRate / rate).squareRoot()
            for (k, row) in rows.enumerated() {
                let lo = Int(row.map(\.0).min() ?? 0), hi = Int(row.map(\.0).max() ?? 0)
                let count = (hi - lo + 1 + 3) / 4  // 4 complex bins = 8 floats per chunk
                var re = [Float](repeating: 0, count: 8 * count), im = re
                for (j, r, i) in row {
                    let at = 2 * (Int(j) - lo)
                    re[at] = r; re[at + 1] = -i
                    im[at] = i; im[at + 1] = r
                }
                bandStart.append(lo); chunks.append(count); offset.append(forReal.count)
                forReal += re; forImag += im
                gain.append(Float(c.scale ? compensation / earlyLengths[low + k].squareRoot() : compensation))
            }
            octaves.append(CQTOctaveKernel(bins: low..<high, fftSize: fftSize, hop: hop, level: level,
                                           bandStart: bandStart, chunks: chunks, offset: offset, forReal: forReal,
                                           forImag: forImag, gain: gain))
            if hop % 2 == 0 { hop /= 2; rate /= 2; level += 1 }
        }
        self.octaves = octaves
    }

    /// Number of frames for `sampleCount` input samples (librosa: `1 + n // hop` at every octave, the minimum).
    public func frameCount(sampleCount: Int) -> Int {
        var length = sampleCount
        if earlyDownsampling > 0 { length = (length + (1 << earlyDownsampling) - 1) >> earlyDownsampling }
        var lengths = [length]
        for _ in 0..<(octaves.last?.level ?? 0) { length = (length + 1) / 2; lengths.append(length) }
        return octaves.map { 1 + lengths[$0.level] / $0.hop }.min() ?? 0
    }

    /// The CQT magnitude of `signal`, `frames x binCount`, frame `t` centred at `t * hopLength / sampleRate`
    /// seconds; the signal must be at `configuration.sampleRate`.
    public func magnitude(_ signal: AudioSignal) throws -> FeatureSequence {
        guard signal.sampleRate == configuration.sampleRate else {
            throw RefrainError.invalidArgument("CQT expects \(configuration.sampleRate) Hz, the signal is at \(signal.sampleRate) Hz")
        }
        return try magnitude(signal.samples)
    }

    /// The CQT magnitude of `samples` (mono, at `configuration.sampleRate`), `frames x binCount`.
    /// - Throws: `RefrainError.invalidArgument` for empty, too short or non-finite input.
    public func magnitude(_ samples: [Float]) throws -> FeatureSequence {
        let factor = 1 << earlyDownsampling
        guard samples.count >= max(factor, 1) else {
            throw RefrainError.invalidArgument("a signal of \(samples.count) samples is too short for this CQT")
        }
        guard allFinite(samples) else { throw RefrainError.invalidArgument("the signal has non-finite samples") }
        // The signal at every level: early downsampling, then one halving per level (librosa scales by sqrt(2)).
        var levels = [[Float]]()
        var y = samples
        if earlyDownsampling > 0 {
            y = try resample(y, from: Double(factor), to: 1)
            let s = Float(Double(factor).squareRoot())
            for i in y.indices { y[i] *= s }
        }
        levels.append(y)
        for _ in 0..<(octaves.last?.level ?? 0) {
            y = try resample(y, from: 2, to: 1)
            let s = Float(2.0.squareRoot())
            for i in y.indices { y[i] *= s }
            levels.append(y)
        }
        // Centred frames: fftSize/2 zeros before, fftSize zeros after (covers the last frame's reach).
        let pad = octaves.map(\.fftSize).max()!
        let signals = levels.map { level in
            [Float](unsafeUninitializedCapacity: pad / 2 + level.count + pad) { buffer, count in
                let base = buffer.baseAddress!
                base.initialize(repeating: 0, count: pad / 2)
                level.withUnsafeBufferPointer { (base + pad / 2).initialize(from: $0.baseAddress!, count: $0.count) }
                (base + pad / 2 + level.count).initialize(repeating: 0, count: pad)
                count = buffer.count
            }
        }
        let frames = octaves.map { 1 + levels[$0.level].count / $0.hop }.min()!
        let bins = configuration.binCount
        var values = Matrix(rows: frames, cols: bins)
        // Work items: every octave split into frame blocks, so both halves of a 2-core machine stay busy.
        let blocks = frames >= 64 ? 2 : 1
        let items = octaves.count * blocks
        values.storage.withUnsafeMutableBufferPointer { out in
            let output = UncheckedSendable(out.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: items) { item in
                let octave = octaves[item / blocks], block = item % blocks
                let range = (frames * block / blocks)..<(frames * (block + 1) / blocks)
                Self.respond(octave, padded: signals[octave.level], offset: (pad - octave.fftSize) / 2, frames: range, bins: bins, into: output.value)
            }
        }
        return FeatureSequence(values: values, hopLength: configuration.hopLength, sampleRate: configuration.sampleRate)
    }

    /// Fills columns `octave.bins` of rows `frames` of `out` (`frames x bins`, row-major). `padded` is the
    /// octave's signal with `offset + fftSize / 2` zeros before it and at least `fftSize` zeros after it (librosa's
    /// centred frames with `pad_mode="constant"`): frame `t` starts at `padded[offset + t * hop]`.
    private static func respond(_ octave: CQTOctaveKernel, padded: [Float], offset offset0: Int, frames: Range<Int>, bins: Int,
                                into out: UnsafeMutablePointer<Float>) {
        let n = octave.fftSize, half = n / 2
        let fft = RealFFT(size: n)
        // Room beyond the last bin for bands padded to whole chunks; it stays zero.
        var spectrum = [Float](repeating: 0, count: 2 * (half + 1) + 16)
        let filters = octave.bins.count
        padded.withUnsafeBufferPointer { y in
        spectrum.withUnsafeMutableBufferPointer { spectrum in
        octave.bandStart.withUnsafeBufferPointer { bandStart in
        octave.chunks.withUnsafeBufferPointer { chunks in
        octave.offset.withUnsafeBufferPointer { offset in
        octave.gain.withUnsafeBufferPointer { gain in
        octave.forReal.withUnsafeBufferPointer { kr in
        octave.forImag.withUnsafeBufferPointer { ki in
            let d = UnsafeRawPointer(spectrum.baseAddress!)
            let krp = UnsafeRawPointer(kr.baseAddress!), kip = UnsafeRawPointer(ki.baseAddress!)
            for t in frames {
                fft.forward(y.baseAddress! + offset0 + t * octave.hop, into: spectrum.baseAddress!)
                let row = out + t * bins + octave.bins.lowerBound
                for k in 0..<filters {
                    var accRe = SIMD8<Float>(), accIm = SIMD8<Float>()
                    let dBase = 8 * bandStart[k], kBase = 4 * offset[k]
                    for c in 0..<chunks[k] {
                        let spec = d.loadUnaligned(fromByteOffset: dBase + 32 * c, as: SIMD8<Float>.self)
                        accRe += krp.loadUnaligned(fromByteOffset: kBase + 32 * c, as: SIMD8<Float>.self) * spec
                        accIm += kip.loadUnaligned(fromByteOffset: kBase + 32 * c, as: SIMD8<Float>.self) * spec
                    }
                    let re = accRe.sum(), im = accIm.sum()
                    row[k] = (re * re + im * im).squareRoot() * gain[k]
                }
            }
        }
        }
        }
        }
        }
        }
        }
        }
    }
}
