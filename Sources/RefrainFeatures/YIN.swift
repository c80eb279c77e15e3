import Foundation
import RefrainMath

/// Settings of the YIN difference function shared by `yin` and `pyin`, with `librosa.yin` / `librosa.pyin`
/// (0.11) meanings: frames of `frameLength` samples every `hopLength` samples, centred (the signal padded
/// with `frameLength / 2` zeros on both sides), periods searched from `floor(sampleRate / fmax)` to
/// `min(ceil(sampleRate / fmin), frameLength - 1)` samples.
///
/// The defaults suit the singing and humming voice at 22050 Hz: 2048-sample frames (93 ms, librosa's
/// default), hop 512 (23 ms), and a pitch range from C2 (65.4 Hz, below a bass's low notes) to C6
/// (1046.5 Hz, a soprano's high C); librosa itself has no default range and asks the caller for one.
public struct YINParameters: Equatable, Sendable {
    /// Lowest fundamental searched, Hz.
    public var fmin: Double
    /// Highest fundamental searched, Hz.
    public var fmax: Double
    /// Sample rate of the signal, Hz.
    public var sampleRate: Double
    /// Frame length, samples.
    public var frameLength: Int
    /// Hop between frames, samples (librosa: `frameLength / 4`).
    public var hopLength: Int
    /// Pad the signal with `frameLength / 2` zeros on both sides so that frame `t` is centred on sample `t * hop`.
    public var center: Bool

    public init(fmin: Double = YINParameters.voiceFmin, fmax: Double = YINParameters.voiceFmax,
                sampleRate: Double = 22050, frameLength: Int = 2048, hopLength: Int? = nil, center: Bool = true) {
        self.fmin = fmin
        self.fmax = fmax
        self.sampleRate = sampleRate
        self.frameLength = frameLength
        self.hopLength = hopLength ?? frameLength / 4
        self.center = center
    }

    /// C2, 65.41 Hz: the default lowest fundamental for voice.
    public static let voiceFmin = 440 * pow(2, (36.0 - 69) / 12)
    /// C6, 1046.5 Hz: the default highest fundamental for voice.
    public static let voiceFmax = 440 * pow(2, (84.0 - 69) / 12)

    /// Shortest period searched, samples (`floor(sampleRate / fmax)`).
    public var minPeriod: Int { Int((sampleRate / fmax).rounded(.down)) }
    /// Longest period searched, samples (`min(ceil(sampleRate / fmin), frameLength - 1)`).
    public var maxPeriod: Int { min(Int((sampleRate / fmin).rounded(.up)), frameLength - 1) }

    /// Number of frames for `sampleCount` samples.
    public func frameCount(sampleCount: Int) -> Int {
        let padded = center ? sampleCount + 2 * (frameLength / 2) : sampleCount
        return padded < frameLength ? 0 : 1 + (padded - frameLength) / hopLength
    }

    /// Throws a one-sentence error for settings librosa refuses (its `__check_yin_params`) or that cannot frame the signal.
    func validate(sampleCount: Int) throws {
        guard sampleCount > 0 else { throw RefrainError.invalidArgument("the signal is empty") }
        guard sampleRate > 0, sampleRate.isFinite else { throw RefrainError.invalidArgument("sample rate must be positive, got \(sampleRate)") }
        guard fmin > 0, fmin.isFinite else { throw RefrainError.invalidArgument("fmin must be positive, got \(fmin) Hz") }
        guard fmin < fmax, fmax.isFinite else { throw RefrainError.invalidArgument("fmin (\(fmin) Hz) must be below fmax (\(fmax) Hz)") }
        guard fmax <= sampleRate / 2 else {
            throw RefrainError.invalidArgument("fmax \(fmax) Hz is above the Nyquist frequency \(sampleRate / 2) Hz")
        }
        guard frameLength >= 4, hopLength >= 1 else {
            throw RefrainError.invalidArgument("frame length must be at least 4 and hop at least 1 sample")
        }
        guard sampleRate / fmin < Double(frameLength - 1) else {
            throw RefrainError.invalidArgument("fmin \(fmin) Hz is too low for \(frameLength)-sample frames at \(sampleRate) Hz (at least \(sampleRate / Double(frameLength - 1)) Hz)")
        }
        guard minPeriod >= 1, maxPeriod - minPeriod >= 2 else {
            throw RefrainError.invalidArgument("fmin \(fmin) Hz and fmax \(fmax) Hz leave fewer than three periods to search")
        }
        guard frameCount(sampleCount: sampleCount) > 0 else {
            throw RefrainError.invalidArgument("a signal of \(sampleCount) samples is shorter than one \(frameLength)-sample frame")
        }
    }
}

/// The cumulative mean normalized difference function (de Cheveigné & Kawahara 2002, "YIN, a fundamental
/// frequency estimator for speech and music", eq. 8) of one frame at a time, as `librosa` 0.11 computes it:
/// `d(k) = 2 (r(0) - r(k)) - sum_{m<k} x(m)^2` from the frame's autocorrelation `r`, then
/// `d'(k) = d(k) / (mean of d(1 ... k))` for periods `minPeriod ... maxPeriod`.
///
/// The autocorrelation comes from one real FFT of the zero-padded frame and one of its power spectrum (the
/// power spectrum is real and even, so its forward transform is the inverse one, times the size); the
/// transform is just long enough (`frameLength + maxPeriod`, rounded up to a product of 2, 3 and 5) that
/// lags up to `maxPeriod` do not wrap. One instance per thread; no allocation per frame.
final class YINDifference {
    let frameLength: Int
    let minPeriod: Int
    let maxPeriod: Int
    let fftSize: Int
    private let fft: RealFFT
    /// Power spectrum, `fftSize / 2 + 1` values.
    private var power: [Float]
    /// Autocorrelation at lags `0 ... maxPeriod`.
    private var acf: [Float]
    /// `d(k)` for `k` in `0 ... maxPeriod` (Double: the running sums).
    private var difference: [Double]
    /// The normalized difference for periods `minPeriod ... maxPeriod` (index 0 is `minPeriod`).
    var cmndf: [Float]

    init(frameLength: Int, minPeriod: Int, maxPeriod: Int) {
        self.frameLength = frameLength
        self.minPeriod = minPeriod
        self.maxPeriod = maxPeriod
        fftSize = YINDifference.smooth(atLeast: frameLength + maxPeriod + 1)
        fft = RealFFT(size: fftSize)
        power = [Float](repeating: 0, count: fftSize / 2 + 1)
        acf = [Float](repeating: 0, count: maxPeriod + 1)
        difference = [Double](repeating: 0, count: maxPeriod + 1)
        cmndf = [Float](repeating: 0, count: maxPeriod - minPeriod + 1)
    }

    /// The smallest even number `>= n` whose only prime factors are 2, 3 and 5.
    static func smooth(atLeast n: Int) -> Int {
        var m = max(n, 2)
        while true {
            if m % 2 == 0 {
                var r = m
                for p in [2, 3, 5] { while r % p == 0 { r /= p } }
                if r == 1 { return m }
            }
            m += 1
        }
    }

    /// The zero-padded frame's power spectrum (`fftSize / 2 + 1` bins) into `power`.
    private func powerSpectrum(_ frame: UnsafePointer<Float>, into p: UnsafeMutablePointer<Float>) {
        let n = fftSize, half = n / 2, length = frameLength
        fft.forward(fill: { input in
            input.update(from: frame, count: length)
            (input + length).initialize(repeating: 0, count: n - length)
        }, read: { spectrum in
            for k in 0...half {
                let re = spectrum[2 * k], im = spectrum[2 * k + 1]
                p[k] = re * re + im * im
            }
        })
    }

    /// Adds the power spectrum of the `frameLength` samples at `frame` (`fftSize / 2 + 1` bins) into `sum`.
    func addPowerSpectrum(_ frame: UnsafePointer<Float>, to sum: inout [Double]) {
        power.withUnsafeMutableBufferPointer { p in
            powerSpectrum(frame, into: p.baseAddress!)
            for k in p.indices { sum[k] += Double(p[k]) }
        }
    }

    /// Fills `cmndf` for the `frameLength` samples at `frame`. With `noise` (`fftSize / 2 + 1` bins, see
    /// `NoiseFloor`), each bin's power `P` becomes `max(P - noise, spectralFloor * P)` first and the energy term is
    /// scaled by the power that remains.
    func compute(_ frame: UnsafePointer<Float>, noise: UnsafePointer<Float>? = nil, spectralFloor: Float = 0) {
        let n = fftSize, half = n / 2, maxLag = maxPeriod
        var energyScale = 1.0
        power.withUnsafeMutableBufferPointer { p in
            powerSpectrum(frame, into: p.baseAddress!)
            if let noise {
                // Bins 0 and n/2 count once in the autocorrelation at lag 0, the others twice.
                var before: Float = 0, after: Float = 0
                for k in 0...half {
                    let weight: Float = k == 0 || k == half ? 1 : 2
                    let kept = max(p[k] - noise[k], spectralFloor * p[k])
                    before += weight * p[k]
                    after += weight * kept
                    p[k] = kept
                }
                if before > 0 { energyScale = Double(after / before) }
            }
            let scale = 1 / Float(n)
            acf.withUnsafeMutableBufferPointer { r in
                fft.forward(fill: { input in
                    input.update(from: p.baseAddress!, count: half + 1)
                    for k in 1..<half { input[n - k] = p[k] }
                }, read: { spectrum in
                    for k in 0...maxLag { r[k] = spectrum[2 * k] * scale }
                })
            }
        }
        acf.withUnsafeBufferPointer { r in
            difference.withUnsafeMutableBufferPointer { d in
                // librosa: d(k) = 2 (r0 - r(k)) - cumsum(x^2)[k - 1], computed in float32 there.
                let r0 = r[0]
                var energy = 0.0
                d[0] = 0
                for k in 1...maxLag {
                    let x = Double(frame[k - 1])
                    energy += x * x
                    d[k] = Double(2 * (r0 - r[k])) - energy * energyScale
                }
                cmndf.withUnsafeMutableBufferPointer { out in
                    var running = 0.0
                    for k in 1...maxLag {
                        running += d[k]
                        if k >= minPeriod {
                            let mean = running / Double(k)
                            out[k - minPeriod] = Float(d[k] / (mean + Double(Float.leastNormalMagnitude)))
                        }
                    }
                }
            }
        }
    }

    /// librosa's parabolic shift at index `i` of `cmndf`: the offset of the vertex of the parabola through
    /// `i - 1, i, i + 1`, or 0 where it would fall outside `[i - 1, i + 1]` and at both ends.
    @inline(__always)
    func parabolicShift(_ i: Int) -> Float {
        guard i > 0 && i < cmndf.count - 1 else { return 0 }
        let a = cmndf[i + 1] + cmndf[i - 1] - 2 * cmndf[i]
        let b = (cmndf[i + 1] - cmndf[i - 1]) / 2
        return abs(b) >= abs(a) ? 0 : -b / a
    }

    /// librosa's troughs: local minima (`x[i] < x[i-1]` and `x[i] <= x[i+1]`, the last value compared with
    /// its predecessor only), index 0 when it is below index 1.
    @inline(__always)
    func isTrough(_ i: Int) -> Bool {
        let x = cmndf
        if i == 0 { return x.count > 1 && x[0] < x[1] }
        if i == x.count - 1 { return x[i] < x[i - 1] }
        return x[i] < x[i - 1] && x[i] <= x[i + 1]
    }
}

/// The signal padded and framed as librosa frames it (constant zero padding of `frameLength / 2` when centred).
struct FramedSignal {
    let padded: [Float]
    let frameCount: Int
    let hop: Int

    init(_ samples: [Float], parameters: YINParameters) {
        let pad = parameters.center ? parameters.frameLength / 2 : 0
        var padded = [Float](repeating: 0, count: samples.count + 2 * pad)
        padded.withUnsafeMutableBufferPointer { p in
            samples.withUnsafeBufferPointer { s in
                if let base = s.baseAddress { (p.baseAddress! + pad).update(from: base, count: s.count) }
            }
        }
        self.padded = padded
        frameCount = parameters.frameCount(sampleCount: samples.count)
        hop = parameters.hopLength
    }
}

/// Checks that every sample is finite (a NaN or infinity would poison every frame it falls in).
func requireFinite(_ samples: [Float]) throws {
    guard allFinite(samples) else { throw RefrainError.invalidArgument("the signal holds NaN or infinite samples") }
}

/// A fundamental frequency per frame from plain YIN.
public struct YINTrack: Equatable, Sendable {
    /// Frame centres, seconds (`t * hop / sampleRate`).
    public var times: [Double]
    /// Fundamental frequency per frame, Hz (YIN always answers: there is no voicing decision).
    public var f0: [Float]
}

/// Plain YIN (de Cheveigné & Kawahara 2002) with `librosa.yin` semantics: per frame, the first trough of the
/// cumulative mean normalized difference below `troughThreshold` (librosa's default 0.1), else its global
/// minimum, refined by parabolic interpolation; `f0 = sampleRate / period`.
public func yin(_ samples: [Float], parameters: YINParameters = YINParameters(), troughThreshold: Float = 0.1) throws -> YINTrack {
    try parameters.validate(sampleCount: samples.count)
    try requireFinite(samples)
    let framed = FramedSignal(samples, parameters: parameters)
    var f0 = [Float](repeating: 0, count: framed.frameCount)
    let minP = parameters.minPeriod, maxP = parameters.maxPeriod, sr = Float(parameters.sampleRate)
    let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(1, framed.frameCount / 8))
    let chunk = (framed.frameCount + workers - 1) / workers
    f0.withUnsafeMutableBufferPointer { out in
        let output = UncheckedSendable(out)
        try? concurrentForEach(workers) { w in
            let kernel = YINDifference(frameLength: parameters.frameLength, minPeriod: minP, maxPeriod: maxP)
            framed.padded.withUnsafeBufferPointer { signal in
                for t in (w * chunk)..<min(framed.frameCount, (w + 1) * chunk) {
                    kernel.compute(signal.baseAddress! + t * framed.hop)
                    let x = kernel.cmndf
                    var chosen = -1
                    for i in x.indices where x[i] < troughThreshold && kernel.isTrough(i) { chosen = i; break }
                    if chosen < 0 {
                        chosen = 0
                        for i in x.indices where x[i] < x[chosen] { chosen = i }
                    }
                    output.value[t] = sr / (Float(minP + chosen) + kernel.parabolicShift(chosen))
                }
            }
        }
    }
    let times = (0..<framed.frameCount).map { Double($0 * framed.hop) / parameters.sampleRate }
    return YINTrack(times: times, f0: f0)
}
