import Foundation
import RefrainMath

/// How a signal is extended at both ends before centred framing.
public enum STFTPadMode: String, Sendable, CaseIterable {
    /// Zeros (librosa 0.11's default, `pad_mode='constant'`).
    case constant
    /// Mirror without repeating the edge sample (`pad_mode='reflect'`, librosa before 0.10).
    case reflect
}

/// What each STFT bin holds.
public enum SpectrogramScale: Sendable {
    /// `|X|`.
    case magnitude
    /// `|X|²`.
    case power
}

/// Short-time Fourier transform settings, with librosa's defaults (`librosa.stft`).
public struct STFTParameters: Equatable, Sendable {
    /// FFT size in samples (default 2048).
    public var fftSize: Int
    /// Samples between frame starts (default 512).
    public var hopLength: Int
    /// Hann window length in samples, at most `fftSize` (default `fftSize`); shorter windows are
    /// zero-padded to `fftSize`, centred.
    public var windowLength: Int
    /// Pad `fftSize / 2` samples at both ends so that frame `t` is centred at sample `t * hopLength`
    /// (default true).
    public var center: Bool
    /// How the centring pad is filled (default `.constant`, librosa 0.11).
    public var padMode: STFTPadMode

    public init(fftSize: Int = 2048, hopLength: Int = 512, windowLength: Int? = nil, center: Bool = true,
                padMode: STFTPadMode = .constant) {
        self.fftSize = fftSize
        self.hopLength = hopLength
        self.windowLength = windowLength ?? fftSize
        self.center = center
        self.padMode = padMode
    }

    /// Frequency bins per frame, `fftSize / 2 + 1`.
    public var binCount: Int { fftSize / 2 + 1 }

    /// Frames produced for `sampleCount` samples (librosa's framing: `1 + (padded - fftSize) / hop`).
    public func frameCount(sampleCount: Int) -> Int {
        let padded = center ? sampleCount + 2 * (fftSize / 2) : sampleCount
        return padded < fftSize ? 0 : 1 + (padded - fftSize) / hopLength
    }

    func validate() throws {
        guard fftSize >= 2 && fftSize <= 1 << 20 else {
            throw RefrainError.invalidArgument("STFT size must be in 2...\(1 << 20), got \(fftSize)")
        }
        guard hopLength >= 1 else { throw RefrainError.invalidArgument("hop length must be positive, got \(hopLength)") }
        guard windowLength >= 1 && windowLength <= fftSize else {
            throw RefrainError.invalidArgument("window length \(windowLength) must be in 1...\(fftSize)")
        }
    }
}

/// The magnitude or power spectrogram of `signal` with librosa's `stft` semantics (periodic Hann
/// window, centred frames), `frames x (fftSize / 2 + 1)` bins, frame `t` at `t * hopLength / sampleRate`
/// seconds. Frames are transformed with one FFTW plan per worker, split over `threads` workers.
///
/// A signal shorter than one frame (after padding) gives zero frames, not an error.
///
/// - Parameters:
///   - signal: mono samples.
///   - sampleRate: Hz, used for frame times only.
///   - threads: workers (default 2; 1 for sequential).
public func stft(_ signal: [Float], sampleRate: Double, parameters: STFTParameters = STFTParameters(),
                 scale: SpectrogramScale = .magnitude, threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
    try parameters.validate()
    guard allFinite(signal) else {
        throw RefrainError.invalidArgument("signal contains NaN or infinite samples")
    }
    let frames = parameters.frameCount(sampleCount: signal.count)
    var out = Matrix(rows: frames, cols: parameters.binCount)
    out.storage.withUnsafeMutableBufferPointer { dst in
        forEachSpectrum(signal, parameters: parameters, scale: scale, threads: threads, output: dst.baseAddress)
    }
    return FeatureSequence(values: out, hopLength: parameters.hopLength, sampleRate: sampleRate)
}

/// Runs the STFT frame by frame and hands each frame's magnitude or power spectrum
/// (`fftSize / 2 + 1` values, valid only during the call) to `body(frame, spectrum)`. Frames are split
/// into contiguous chunks, one per worker, each worker with its own FFT plan and buffers; `body` is
/// called concurrently for different frames and must only write to per-frame locations. With `output`
/// (`frames * bins` floats), spectra are written there in place instead, row `t` for frame `t`.
func forEachSpectrum(_ signal: [Float], parameters: STFTParameters, scale: SpectrogramScale, threads: Int,
                     output: UnsafeMutablePointer<Float>? = nil,
                     _ body: (Int, UnsafePointer<Float>) -> Void = { _, _ in }) {
    let n = parameters.fftSize, hop = parameters.hopLength, bins = parameters.binCount
    let frames = parameters.frameCount(sampleCount: signal.count)
    guard frames > 0 else { return }
    // Zero padding is not materialized: frames inside the signal are read in place, the few reaching past
    // either end are assembled with their zeros. Reflection is copied out once.
    let reflect = parameters.center && parameters.padMode == .reflect
    let source = reflect ? paddedSignal(signal, parameters: parameters) : signal
    let lead = parameters.center && !reflect ? n / 2 : 0  // samples of zeros before `source`
    let window = centred(hannWindow(parameters.windowLength), in: n)
    let workers = max(1, min(threads, frames / 16))
    let chunk = (frames + workers - 1) / workers
    withoutActuallyEscaping(body) { body in
        source.withUnsafeBufferPointer { xp in
            window.withUnsafeBufferPointer { wp in
                let shared = UncheckedSendable((xp, wp.baseAddress!, output, body))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let (x, w, output, body) = shared.value
                    let lo = worker * chunk, hi = min(frames, lo + chunk)
                    guard lo < hi else { return }
                    let fft = RealFFT(size: n)
                    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: bins)
                    let edge = UnsafeMutablePointer<Float>.allocate(capacity: n)
                    defer { scratch.deallocate(); edge.deallocate() }
                    for t in lo..<hi {
                        let row = output.map { $0 + t * bins } ?? scratch
                        let start = t * hop - lead
                        var frame = UnsafePointer(edge)
                        if start >= 0 && start + n <= x.count {
                            frame = x.baseAddress! + start
                        } else {
                            let from = max(0, start), to = min(x.count, start + n)
                            edge.update(repeating: 0, count: n)
                            if from < to { (edge + (from - start)).update(from: x.baseAddress! + from, count: to - from) }
                        }
                        fft.forward(fill: { multiply(frame, w, into: $0, count: n) },
                                    read: { squaredMagnitudes($0, into: row, count: bins, root: scale == .magnitude) })
                        if output == nil { body(t, row) }
                    }
                }
            }
        }
    }
}

/// `out[i] = a[i] * b[i]` for `count` values, eight lanes at a time.
@inline(__always)
private func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                      count: Int) {
    var i = 0
    while i + 8 <= count {
        let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
        let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
        UnsafeMutableRawPointer(out + i).storeBytes(of: va * vb, as: SIMD8<Float>.self)
        i += 8
    }
    while i < count { out[i] = a[i] * b[i]; i += 1 }
}

/// `out[k] = re² + im²` (or its square root) of `count` interleaved complex values.
@inline(__always)
private func squaredMagnitudes(_ spectrum: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>, count: Int,
                               root: Bool) {
    var k = 0
    while k + 8 <= count {
        let v = UnsafeRawPointer(spectrum + 2 * k).loadUnaligned(as: SIMD16<Float>.self)
        let sq = v * v
        var p = sq.evenHalf + sq.oddHalf
        if root { p = p.squareRoot() }
        UnsafeMutableRawPointer(out + k).storeBytes(of: p, as: SIMD8<Float>.self)
        k += 8
    }
    while k < count {
        let re = spectrum[2 * k], im = spectrum[2 * k + 1]
        out[k] = root ? (re * re + im * im).squareRoot() : re * re + im * im
        k += 1
    }
}

/// The signal with the centring pad applied (or unchanged when `center` is false).
func paddedSignal(_ signal: [Float], parameters: STFTParameters) -> [Float] {
    guard parameters.center else { return signal }
    let pad = parameters.fftSize / 2
    var out = [Float](repeating: 0, count: signal.count + 2 * pad)
    out.withUnsafeMutableBufferPointer { o in
        signal.withUnsafeBufferPointer { s in
            if let src = s.baseAddress { (o.baseAddress! + pad).update(from: src, count: s.count) }
            if parameters.padMode == .reflect && s.count == 1 {
                for k in 0..<o.count where k != pad { o[k] = s[0] }
            } else if parameters.padMode == .reflect && s.count > 1 {
                // x[-k] = x[k] and x[N-1+k] = x[N-1-k]; numpy repeats the reflection when pad >= N.
                for k in 1...pad {
                    o[pad - k] = s[reflectIndex(-k, count: s.count)]
                    o[pad + s.count - 1 + k] = s[reflectIndex(s.count - 1 + k, count: s.count)]
                }
            }
        }
    }
    return out
}

/// Index into `0..<count` of position `i` under repeated mirror reflection about the end samples.
private func reflectIndex(_ i: Int, count: Int) -> Int {
    let period = 2 * (count - 1)
    var m = i % period
    if m < 0 { m += period }
    return m < count ? m : period - m
}
