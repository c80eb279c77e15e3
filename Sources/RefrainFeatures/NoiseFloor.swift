import Foundation
import RefrainMath

/// Spectral subtraction of a recording's stationary noise inside YIN's difference function, for pitch tracking of a
/// voice in background noise (Boll 1979, "Suppression of acoustic noise in speech using spectral subtraction", IEEE
/// Trans. ASSP 27(2); with Berouti, Schwartz & Makhoul's 1979 over-subtraction factor and spectral floor).
///
/// The noise's power spectrum N is estimated per bin as a low quantile over time (after the minimum-statistics idea
/// of Martin 2001, "Noise power spectral density estimation based on optimal smoothing and minimum statistics", IEEE
/// Trans. SAP 9(5)): a voice moves between pitches, so each bin is free of it in many frames, while stationary noise
/// stays. Each bin's `quantile` over up to `frames` evenly spaced frames that lie wholly inside the signal, read the way
/// YIN reads a frame (its zero-padded FFT), is divided by `-ln(1 - quantile)`, the quantile of a unit-mean exponential
/// (a noise bin's power is exponentially distributed), to give the bin's mean noise power.
///
/// A doubtful frame (pYIN's voiced probability below `rescueBelow`) is read again: its power spectrum P becomes
/// `max(P - overSubtraction * N, spectralFloor * P)` before the autocorrelation is taken from it, and the difference
/// function's energy term is scaled by the frame's remaining share of power, so that
/// `d(k) = 2 (r'(0) - r'(k)) - (r'(0) / r(0)) sum_{m<k} x(m)^2` stays a difference of one signal. Noise that is loud
/// below a high voice (a room's low rumble under a woman's hum) then no longer fills the difference function at the
/// voice's period, and the voice's trough deepens. The frame keeps the reading (candidates and voiced probability)
/// that is more surely voiced, so frames pYIN already hears well stay as they were. Off in `PYINParameters` by
/// default (pYIN then agrees with librosa).
///
/// With `belowSNR` set, the subtraction is gated per recording: it applies only when the recording's estimated
/// signal-to-noise ratio (`signalToNoise`) is below it, and a recording above it is read exactly as without a noise
/// floor. The ratio compares the louder half of the recording's blocks with its quietest ones (the noise alone before
/// the voice starts, in breaths and rests), in the manner of minimum statistics.
public struct NoiseFloor: Equatable, Sendable {
    /// Quantile of each bin's power over time taken for the noise, in (0, 1).
    public var quantile: Double
    /// Over-subtraction factor: multiples of the noise spectrum taken from each frame's (at least 0).
    public var overSubtraction: Double
    /// Spectral floor: the least share of its power a bin keeps (0 ... 1).
    public var spectralFloor: Double
    /// Most frames read for the estimate, evenly spaced over the signal (at least 1).
    public var frames: Int
    /// Frames whose voiced probability without the subtraction is below this are read again with it (above 1: every
    /// frame; every frame then keeps its more surely voiced reading).
    public var rescueBelow: Double
    /// The gate, dB: the subtraction applies only to a recording whose estimated signal-to-noise ratio
    /// (`signalToNoise`) is below this; nil, to every recording.
    public var belowSNR: Double?
    /// Share of the recording's blocks, the quietest, whose mean power the gate takes for the noise's, in (0, 0.5).
    public var quietShare: Double

    public init(quantile: Double = 0.2, overSubtraction: Double = 2, spectralFloor: Double = 0.05, frames: Int = 200, rescueBelow: Double = 0.5,
                belowSNR: Double? = nil, quietShare: Double = 0.01) {
        self.quantile = quantile
        self.overSubtraction = overSubtraction
        self.spectralFloor = spectralFloor
        self.frames = frames
        self.rescueBelow = rescueBelow
        self.belowSNR = belowSNR
        self.quietShare = quietShare
    }

    func validate() throws {
        guard quantile > 0, quantile < 1 else {
            throw RefrainError.invalidArgument("the noise floor's quantile must be in (0, 1), got \(quantile)")
        }
        guard overSubtraction >= 0, overSubtraction.isFinite, spectralFloor >= 0, spectralFloor <= 1, frames >= 1 else {
            throw RefrainError.invalidArgument("the noise floor's over-subtraction must be at least 0, its spectral floor in [0, 1] and its frames at least 1")
        }
        guard quietShare > 0, quietShare < 0.5, !(belowSNR?.isNaN ?? false) else {
            throw RefrainError.invalidArgument("the noise floor's gate needs a quiet share in (0, 0.5) and a number of dB, got \(quietShare) and \(belowSNR.map { "\($0)" } ?? "none")")
        }
    }

    /// The estimated signal-to-noise ratio of `samples`, in dB: the mean power of the louder half of its blocks of
    /// `blockLength` samples (pYIN's hop) over the mean power of its quietest `quietShare` of blocks (at least one).
    /// Infinite when those are digital silence; nil when the signal holds fewer than two blocks.
    public func signalToNoise(_ samples: UnsafeBufferPointer<Float>, blockLength: Int) -> Double? {
        let count = blockLength > 0 ? samples.count / blockLength : 0
        guard count >= 2 else { return nil }
        var powers = [Double](repeating: 0, count: count)
        for b in 0..<count {
            var sum = 0.0
            for i in (b * blockLength)..<((b + 1) * blockLength) { sum += Double(samples[i]) * Double(samples[i]) }
            powers[b] = sum
        }
        powers.sort()
        let quiet = max(1, Int(quietShare * Double(count)))
        let noise: Double = powers[..<quiet].reduce(0, +) / Double(quiet)
        let signal: Double = powers[(count / 2)...].reduce(0, +) / Double(count - count / 2)
        return noise > 0 ? 10 * log10(signal / noise) : .infinity
    }

    /// `signalToNoise` of `samples` with blocks of pYIN's hop (`yin.hopLength`).
    public func signalToNoise(_ samples: [Float], yin: YINParameters) -> Double? {
        samples.withUnsafeBufferPointer { signalToNoise($0, blockLength: yin.hopLength) }
    }

    /// Whether the gate lets the subtraction apply to the `sampleCount` samples that `framed` holds.
    func opens(_ framed: FramedSignal, sampleCount: Int) -> Bool {
        guard let belowSNR else { return true }
        let pad = (framed.padded.count - sampleCount) / 2
        let snr = framed.padded.withUnsafeBufferPointer {
            signalToNoise(UnsafeBufferPointer(rebasing: $0[pad..<(pad + sampleCount)]), blockLength: framed.hop)
        }
        return (snr ?? .infinity) < belowSNR
    }

    /// The noise power spectrum of `framed` as `kernel` reads frames (`kernel.fftSize / 2 + 1` bins, already
    /// multiplied by `overSubtraction`), or nil when no frame lies wholly inside the signal of `sampleCount` samples
    /// or the estimate is zero everywhere, or the gate (`belowSNR`) leaves the recording alone.
    func estimate(_ framed: FramedSignal, sampleCount: Int, kernel: YINDifference) -> [Float]? {
        guard opens(framed, sampleCount: sampleCount) else { return nil }
        let pad = (framed.padded.count - sampleCount) / 2, length = kernel.frameLength
        let first = (pad + framed.hop - 1) / framed.hop
        let last = sampleCount + pad - length >= 0 ? (sampleCount + pad - length) / framed.hop : -1
        guard last >= first else { return nil }
        let count = min(frames, last - first + 1)
        let picked = (0..<count).map { first + (count == 1 ? 0 : $0 * (last - first) / (count - 1)) }
        let bins = kernel.fftSize / 2 + 1
        // Power spectra by bin: `spectra[b * count + j]` is bin b of the j-th picked frame.
        var spectra = [Float](repeating: 0, count: bins * count)
        var one = [Double](repeating: 0, count: bins)
        framed.padded.withUnsafeBufferPointer { signal in
            for (j, frame) in picked.enumerated() {
                for b in 0..<bins { one[b] = 0 }
                kernel.addPowerSpectrum(signal.baseAddress! + frame * framed.hop, to: &one)
                for b in 0..<bins { spectra[b * count + j] = Float(one[b]) }
            }
        }
        let k = min(count - 1, Int(quantile * Double(count)))
        let scale = Float(overSubtraction / -log(1 - quantile))
        var noise = [Float](repeating: 0, count: bins)
        spectra.withUnsafeMutableBufferPointer { all in
            for b in 0..<bins { noise[b] = scale * select(UnsafeMutableBufferPointer(rebasing: all[(b * count)..<((b + 1) * count)]), k) }
        }
        return noise.contains { $0 > 0 } ? noise : nil
    }
}
