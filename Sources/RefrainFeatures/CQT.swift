import Dispatch
import Foundation
import RefrainAudio
import RefrainMath

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
            // librosa multiplies the signal by sqrt(2) at every halving (and by sqrt(factor) when downsampling
            // early); the signal is linear in the kernels' response, so that factor is applied here instead.
            let compensation = (earlyRate / rate).squareRoot() * pow(2, Double(early + level) / 2)
            let gain = (low..<high).map { Float(c.scale ? compensation / earlyLengths[$0].squareRoot() : compensation) }
            octaves.append(CQTOctaveKernel(bins: low..<high, fftSize: fftSize, hop: hop, level: level, rows: rows, gain: gain))
            if hop % 2 == 0 { hop /= 2; rate /= 2; level += 1 }
        }
        self.octaves = octaves
    }

    /// `k` when this transform's frames are every `k`-th frame of `finer`'s (its frame `t` is `finer`'s frame
    /// `k t`, value for value, and it has `frameCount(sampleCount:)` of them), else nil: both have the same
    /// settings but the hop, this hop is `k` times `finer`'s, both halve the signal alike before their first
    /// octave, and every octave of both is read at the same level and rate (so each frame covers the same
    /// samples with the same kernels). E.g. Raffel & Ellis's 48-bin CQT at hop 1024 within the one at hop 512.
    public func frameStride(within finer: CQT) -> Int? {
        var settings = finer.configuration
        settings.hopLength = configuration.hopLength
        guard settings == configuration, configuration.hopLength % finer.configuration.hopLength == 0,
              earlyDownsampling == finer.earlyDownsampling, octaves.count == finer.octaves.count else { return nil }
        let k = configuration.hopLength / finer.configuration.hopLength
        for (a, b) in zip(octaves, finer.octaves) where a.level != b.level || a.hop != k * b.hop { return nil }
        return k
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
    /// seconds; the signal must be at `configuration.sampleRate`. Runs on up to `threads` threads.
    public func magnitude(_ signal: AudioSignal, threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
        guard signal.sampleRate == configuration.sampleRate else {
            throw RefrainError.invalidArgument("CQT expects \(configuration.sampleRate) Hz, the signal is at \(signal.sampleRate) Hz")
        }
        return try magnitude(signal.samples, threads: threads)
    }

    /// The CQT magnitude of `samples` (mono, at `configuration.sampleRate`), `frames x binCount`.
    /// Runs on up to `threads` threads.
    /// - Throws: `RefrainError.invalidArgument` for empty, too short or non-finite input.
    public func magnitude(_ samples: [Float], threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
        let factor = 1 << earlyDownsampling
        guard samples.count >= max(factor, 1) else {
            throw RefrainError.invalidArgument("a signal of \(samples.count) samples is too short for this CQT")
        }
        guard allFinite(samples) else { throw RefrainError.invalidArgument("the signal has non-finite samples") }
        let frames = frameCount(sampleCount: samples.count)
        let bins = configuration.binCount
        var values = Matrix(rows: frames, cols: bins)
        // The signal at every level is the one before halved in rate; librosa also scales each halving by
        // sqrt(2), which is folded into the octave's gain here. One thread makes the levels one after another
        // while the other threads analyse the octaves already made, in blocks of frames; it joins them when the
        // levels are done. Early downsampling comes first, on every thread, as nothing can be analysed before it.
        let blockFrames = 512
        let first = earlyDownsampling > 0 ? try resample(samples, from: Double(factor), to: 1, threads: threads) : samples
        try values.storage.withUnsafeMutableBufferPointer { out in
            let output = UncheckedSendable(out.baseAddress!)
            try ProducedWork.run(threads: threads) { work in
                var level = first
                for index in 0...(octaves.last?.level ?? 0) {
                    if index > 0 { level = try resample(level, from: 2, to: 1, threads: 1) }
                    let signal = level
                    for octave in octaves where octave.level == index {
                        for start in stride(from: 0, to: frames, by: blockFrames) {
                            let range = start..<min(frames, start + blockFrames)
                            work.add {
                                signal.withUnsafeBufferPointer { y in
                                    CQTResponder(octave).respond(signal: y, frames: range, bins: bins, into: output.value)
                                }
                            }
                        }
                    }
                }
            }
        }
        return FeatureSequence(values: values, hopLength: configuration.hopLength, sampleRate: configuration.sampleRate)
    }
}
