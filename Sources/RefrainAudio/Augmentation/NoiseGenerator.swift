import Foundation
import RefrainMath

/// Kinds of background noise added to simulate recording conditions.
public enum NoiseKind: String, Codable, CaseIterable, Sendable {
    /// Flat power spectral density.
    case white
    /// Power falling 3 dB per octave (1/f), like much natural and room noise.
    case pink
    /// Power falling 6 dB per octave (1/f², Brownian), like rumble and wind.
    case brown
    /// Several simulated talkers at once: each a buzz at a wandering pitch plus breath noise, shaped by
    /// three formant peaks and switched on and off in syllables and phrases (a cafeteria-like babble).
    case babble
}

/// Seeded noise of a chosen colour, and mixing at a signal-to-noise ratio.
public enum NoiseGenerator {
    /// `count` samples of `kind` noise at `sampleRate` Hz with unit RMS; the same seed gives the same samples.
    ///
    /// Pink and brown noise are white Gaussian noise through an FIR whose magnitude is `(f / 20 Hz)^-1/2`
    /// or `(f / 20 Hz)^-1` above 20 Hz (flat below), designed by frequency sampling on 8192 points with a
    /// Hann window and applied by FFT convolution.
    public static func noise(_ kind: NoiseKind, count: Int, sampleRate: Double, seed: UInt64) throws -> [Float] {
        guard count > 0 else { return [] }
        guard sampleRate >= 1000, sampleRate.isFinite else { throw RefrainError.invalidArgument("sample rate \(sampleRate) Hz is too low for noise") }
        var random = SplitMix64(seed: seed)
        var out: [Float]
        switch kind {
        case .white:
            out = (0..<count).map { _ in Float(random.gaussian()) }
        case .pink, .brown:
            let white = (0..<count).map { _ in Float(random.gaussian()) }
            let kernel = spectralSlopeKernel(exponent: kind == .pink ? 0.5 : 1, sampleRate: sampleRate)
            let full = try FFTConvolver(kernel: kernel).convolve(white)
            // Skip the kernel's delay (half its length) so the result is aligned and stationary from sample 0.
            let delay = kernel.count / 2
            out = Array(full[delay..<(delay + count)])
        case .babble:
            out = [Float](repeating: 0, count: count)
            for _ in 0..<6 {
                let talker = try Self.talker(count: count, sampleRate: sampleRate, random: &random)
                for i in 0..<count { out[i] += talker[i] }
            }
        }
        let rms = (out.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(count)).squareRoot()
        if rms > 0 { for i in out.indices { out[i] = Float(Double(out[i]) / rms) } }
        return out
    }

    /// A linear-phase FIR (8192 taps at 44.1 kHz and above, fewer at lower rates) with magnitude
    /// `min(1, (f / 20)^-exponent)`.
    static func spectralSlopeKernel(exponent: Double, sampleRate: Double) -> [Float] {
        let n = sampleRate >= 32000 ? 8192 : 4096
        var data = [Float](repeating: 0, count: 2 * n)
        for k in 0..<n {
            let f = Double(min(k, n - k)) * sampleRate / Double(n)
            data[2 * k] = Float(pow(20 / max(f, 20), exponent))
        }
        data.withUnsafeMutableBufferPointer { ComplexFFT(size: n, inverse: true).transform($0) }
        // Zero-phase response -> centre it (a circular shift by n/2) and taper it.
        return (0..<n).map { i in
            let tap = data[2 * ((i + n / 2) % n)] / Float(n)
            return tap * Float(0.5 - 0.5 * cos(2 * Double.pi * Double(i) / Double(n)))
        }
    }

    /// One babbling talker (unnormalised): a sawtooth buzz whose pitch wanders between 90 and 260 Hz, plus
    /// some noise, through three peaking filters at formant frequencies, gated by syllables (0.08-0.3 s,
    /// Hann-shaped, short gaps) grouped into phrases with pauses.
    static func talker(count: Int, sampleRate: Double, random: inout SplitMix64) throws -> [Float] {
        var source = [Float](repeating: 0, count: count)
        var phase = 0.0, pitch = random.uniform(100...220)
        for i in 0..<count {
            if i % 256 == 0 { pitch = min(260, max(90, pitch * exp(0.02 * random.gaussian()))) }
            phase += pitch / sampleRate
            if phase >= 1 { phase -= 1 }
            source[i] = Float(0.7 * (2 * phase - 1) + 0.3 * random.gaussian())
        }
        let nyquist = sampleRate / 2 * 0.95
        for (low, high) in [(300.0, 800.0), (900.0, 2300.0), (2400.0, 3200.0)] where high < nyquist {
            try Biquad.peaking(hz: random.uniform(low...high), gainDB: 12, q: 4, sampleRate: sampleRate).apply(to: &source)
        }
        var gate = [Float](repeating: 0, count: count)
        var at = Int(random.uniform(0...0.5) * sampleRate)
        while at < count {
            for _ in 0..<Int(random.uniform(3...12)) {  // one phrase
                let length = Int(random.uniform(0.08...0.3) * sampleRate)
                for j in 0..<length where at + j < count {
                    gate[at + j] = Float(0.5 - 0.5 * cos(2 * Double.pi * Double(j) / Double(length)))
                }
                at += length + Int(random.uniform(0.02...0.12) * sampleRate)
            }
            at += Int(random.uniform(0.2...1.0) * sampleRate)
        }
        for i in 0..<count { source[i] *= gate[i] }
        return source
    }

    /// `signal + g * noise` with `g` chosen so that the signal's power over the noise's scaled power is
    /// `snrDB` (powers are means of squares over the whole signal; `noise` is cycled when shorter).
    public static func mix(_ signal: [Float], noise: [Float], snrDB: Double) throws -> [Float] {
        guard !noise.isEmpty else { throw RefrainError.invalidArgument("no noise to mix") }
        guard snrDB.isFinite else { throw RefrainError.invalidArgument("SNR must be finite, got \(snrDB) dB") }
        var ps = 0.0, pn = 0.0
        for i in signal.indices {
            let s = Double(signal[i]), n = Double(noise[i % noise.count])
            ps += s * s
            pn += n * n
        }
        guard pn > 0 else { throw RefrainError.invalidArgument("noise has no power") }
        let gain = (ps / (pn * pow(10, snrDB / 10))).squareRoot()
        return signal.indices.map { signal[$0] + Float(gain * Double(noise[$0 % noise.count])) }
    }
}
