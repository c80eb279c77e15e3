import Foundation
import RefrainMath

/// How values across frequency are combined into one per frame.
public enum FrequencyAggregate: String, Sendable, CaseIterable {
    /// Arithmetic mean (librosa's default in `onset_strength`).
    case mean
    /// Median, the mean of the two middle values for an even count (`np.median`); used by
    /// `librosa.beat.beat_track` and by Raffel & Ellis's alignment pipeline.
    case median
}

/// An onset strength envelope: one value per frame, frame `t` at `t * hopLength / sampleRate` seconds.
public struct OnsetEnvelope: Equatable, Sendable {
    /// Non-negative strengths (after `detrend` they may be negative), one per frame.
    public var strength: [Float]
    /// Samples between frames.
    public var hopLength: Int
    /// Hz.
    public var sampleRate: Double

    public init(strength: [Float], hopLength: Int, sampleRate: Double) {
        self.strength = strength
        self.hopLength = hopLength
        self.sampleRate = sampleRate
    }

    /// Frames per second, `sampleRate / hopLength`.
    public var frameRate: Double { sampleRate / Double(hopLength) }
    /// Seconds of every frame.
    public var times: [Double] { (0..<strength.count).map { Double($0 * hopLength) / sampleRate } }
    /// The envelope as a `frames x 1` feature sequence.
    public var featureSequence: FeatureSequence {
        FeatureSequence(values: Matrix(rows: strength.count, cols: 1, storage: strength), hopLength: hopLength,
                        sampleRate: sampleRate)
    }
}

/// Spectral-flux onset strength settings with `librosa.onset.onset_strength` defaults.
public struct OnsetParameters: Equatable, Sendable {
    /// Frames between the compared spectra (default 1).
    public var lag: Int
    /// Width in bins of the maximum filter applied along frequency to the reference spectrum
    /// (default 1: none; >1 is the SuperFlux vibrato suppression of Böck & Widmer 2013).
    public var maxSize: Int
    /// Remove the DC component with the filter `(1 - z⁻¹) / (1 - 0.99 z⁻¹)` (default false).
    public var detrend: Bool
    /// Shift the envelope by `fftSize / (2 * hopLength)` frames to undo the STFT's centring and keep
    /// the input's length (default true).
    public var center: Bool
    /// How the positive differences are combined across bins (default `.mean`).
    public var aggregate: FrequencyAggregate

    public init(lag: Int = 1, maxSize: Int = 1, detrend: Bool = false, center: Bool = true,
                aggregate: FrequencyAggregate = .mean) {
        self.lag = lag
        self.maxSize = maxSize
        self.detrend = detrend
        self.center = center
        self.aggregate = aggregate
    }
}

/// Onset strength from a spectrogram already on a log scale (e.g. mel power in dB or a log-CQT),
/// `frames x bins`, with `librosa.onset.onset_strength(S=...)` semantics:
/// `strength[t] = aggregate_f max(0, S[t, f] - ref[t - lag, f])`, where `ref` is `S` max-filtered over
/// `maxSize` bins, then shifted right by `lag` (+ `fftSize / (2 * hopLength)` when centred) frames with
/// zeros and cut to the input's frame count.
///
/// - Parameters:
///   - spectrogram: `frames x bins`, log-scaled; its times set the frame rate only through `hopLength`.
///   - hopLength, sampleRate: framing of `spectrogram` (samples, Hz).
///   - fftSize: the FFT size behind `spectrogram`, used only for the centring shift (librosa uses its
///     default 2048 even when `S` is given, so a CQT at hop 512 is shifted by 2 + lag frames).
///   - threads: workers over frames (default 2).
public func onsetStrength(spectrogram: Matrix, hopLength: Int, sampleRate: Double, fftSize: Int = 2048,
                          parameters: OnsetParameters = OnsetParameters(), threads: Int = ComputeBudget.machine.threads) throws -> OnsetEnvelope {
    guard parameters.lag >= 1 else { throw RefrainError.invalidArgument("lag must be a positive integer, got \(parameters.lag)") }
    guard parameters.maxSize >= 1 else {
        throw RefrainError.invalidArgument("maxSize must be a positive integer, got \(parameters.maxSize)")
    }
    guard hopLength >= 1 else { throw RefrainError.invalidArgument("hop length must be positive, got \(hopLength)") }
    let frames = spectrogram.rows, bins = spectrogram.cols
    let lag = parameters.lag
    var shift = lag
    if parameters.center { shift += fftSize / (2 * hopLength) }
    var out = [Float](repeating: 0, count: frames)
    guard bins > 0, frames > lag else {
        return OnsetEnvelope(strength: out, hopLength: hopLength, sampleRate: sampleRate)
    }
    let reference = parameters.maxSize > 1 ? maximumFilterRows(spectrogram, size: parameters.maxSize) : spectrogram
    let diffCount = frames - lag
    var flux = [Float](repeating: 0, count: diffCount)
    let workers = max(1, min(threads, diffCount / 256))
    spectrogram.storage.withUnsafeBufferPointer { s in
        reference.storage.withUnsafeBufferPointer { r in
            flux.withUnsafeMutableBufferPointer { fl in
                let shared = UncheckedSendable((s.baseAddress!, r.baseAddress!, fl.baseAddress!))
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    let (s, r, fl) = shared.value
                    let lo = diffCount * worker / workers, hi = diffCount * (worker + 1) / workers
                    let d = UnsafeMutableBufferPointer<Float>.allocate(capacity: bins)
                    defer { d.deallocate() }
                    for t in lo..<hi {
                        let cur = s + (t + lag) * bins, prev = r + t * bins
                        switch parameters.aggregate {
                        case .mean:
                            var acc: Float = 0
                            for f in 0..<bins { acc += max(0, cur[f] - prev[f]) }
                            fl[t] = acc / Float(bins)
                        case .median:
                            // Usually many bins do not rise: only the rises are kept and searched.
                            var rises = 0
                            for f in 0..<bins {
                                let v = cur[f] - prev[f]
                                d[rises] = v
                                rises += v > 0 ? 1 : 0
                            }
                            fl[t] = medianOfRises(d, rises: rises, count: bins)
                        }
                    }
                }
            }
        }
    }
    for t in 0..<diffCount where t + shift < frames { out[t + shift] = flux[t] }
    if !parameters.center {
        // Not cut: librosa keeps all frames - lag values after a lag-only shift, i.e. the same length.
        out = [Float](repeating: 0, count: lag) + flux
    }
    if parameters.detrend {
        var prevX: Float = 0, prevY: Float = 0
        for t in 0..<out.count {
            let y = out[t] - prevX + 0.99 * prevY
            prevX = out[t]
            prevY = y
            out[t] = y
        }
    }
    return OnsetEnvelope(strength: out, hopLength: hopLength, sampleRate: sampleRate)
}

/// Onset strength from a log-scaled feature sequence (e.g. a log-CQT, `frames x bins`) whose frames
/// are `hopLength` samples apart; when `hopLength` is nil it is read from the first two frame times.
/// See `onsetStrength(spectrogram:hopLength:sampleRate:fftSize:parameters:threads:)`.
public func onsetStrength(_ spectrogram: FeatureSequence, sampleRate: Double, hopLength: Int? = nil,
                          fftSize: Int = 2048, parameters: OnsetParameters = OnsetParameters(),
                          threads: Int = ComputeBudget.machine.threads) throws -> OnsetEnvelope {
    let hop: Int
    if let hopLength {
        hop = hopLength
    } else {
        guard spectrogram.frameCount >= 2 else {
            throw RefrainError.invalidArgument("hop length cannot be read from fewer than 2 frames; pass it")
        }
        hop = Int(((spectrogram.times[1] - spectrogram.times[0]) * sampleRate).rounded())
    }
    return try onsetStrength(spectrogram: spectrogram.values, hopLength: hop, sampleRate: sampleRate, fftSize: fftSize,
                             parameters: parameters, threads: threads)
}

/// Onset strength of `signal` from its mel power spectrogram in dB (`power_to_db` with `ref=1`,
/// `amin=1e-10`, `top_db=80`), librosa's default `onset_strength(y=...)`.
///
/// - Parameters:
///   - signal: mono samples.
///   - sampleRate: Hz.
///   - mel: mel spectrogram settings (default: 2048-point FFT, hop 512, 128 Slaney mels up to
///     `sampleRate / 2`).
public func onsetStrength(_ signal: [Float], sampleRate: Double, mel: MelParameters = MelParameters(),
                          parameters: OnsetParameters = OnsetParameters(),
                          filterbank: SparseMelFilterbank? = nil, threads: Int = ComputeBudget.machine.threads) throws -> OnsetEnvelope {
    let power = try melSpectrogram(signal, sampleRate: sampleRate, parameters: mel, filterbank: filterbank,
                                   threads: threads)
    let db = powerToDB(power.values, threads: threads)
    return try onsetStrength(spectrogram: db, hopLength: mel.stft.hopLength, sampleRate: sampleRate,
                             fftSize: mel.stft.fftSize, parameters: parameters, threads: threads)
}

/// `powerToDB(power)` with `ref = 1`, `amin = 1e-10`, `topDB = 80`, the logarithms taken over
/// `threads` row blocks in parallel and the `topDB` floor applied against the global maximum after.
func powerToDB(_ power: Matrix, threads: Int) -> Matrix {
    let topDB: Float = 80
    let rows = power.rows, cols = power.cols
    let workers = max(1, min(threads, rows / 256))
    guard workers > 1 else { return powerToDB(power, topDB: topDB) }
    var out = Matrix(rows: rows, cols: cols)
    var peaks = [Float](repeating: -.infinity, count: workers)
    out.storage.withUnsafeMutableBufferPointer { o in
        peaks.withUnsafeMutableBufferPointer { pk in
            let shared = UncheckedSendable((o.baseAddress!, pk.baseAddress!))
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let (o, pk) = shared.value
                let lo = rows * worker / workers, hi = rows * (worker + 1) / workers
                let block = powerToDB(power.rows(lo..<hi), topDB: nil)
                block.storage.withUnsafeBufferPointer { b in
                    (o + lo * cols).update(from: b.baseAddress!, count: b.count)
                    pk[worker] = b.max() ?? -.infinity
                }
            }
        }
        let floor = (peaks.max() ?? 0) - topDB
        for i in o.indices where o[i] < floor { o[i] = floor }
    }
    return out
}

/// Each row's values replaced by their maximum over a centred window of `size` columns, edges
/// extended by repetition (`scipy.ndimage.maximum_filter1d` with its default `mode='reflect'`,
/// which for a maximum equals edge repetition).
func maximumFilterRows(_ m: Matrix, size: Int) -> Matrix {
    var out = m
    let cols = m.cols
    let left = size / 2, right = size - 1 - left
    m.storage.withUnsafeBufferPointer { s in
        out.storage.withUnsafeMutableBufferPointer { o in
            for r in 0..<m.rows {
                let row = s.baseAddress! + r * cols
                for c in 0..<cols {
                    var best = -Float.infinity
                    for j in max(0, c - left)...min(cols - 1, c + right) { best = max(best, row[j]) }
                    o[r * cols + c] = best
                }
            }
        }
    }
    return out
}

/// The median of `values` (mean of the two middle values for an even count); reorders `values`.
func median(_ values: UnsafeMutableBufferPointer<Float>) -> Float {
    let n = values.count
    guard n > 0 else { return .nan }
    let upper = select(values, n / 2)
    if n % 2 == 1 { return upper }
    // After selection, everything below index n/2 is <= upper: the lower middle is their maximum.
    var lower = -Float.infinity
    for i in 0..<(n / 2) { lower = max(lower, values[i]) }
    return 0.5 * (lower + upper)
}

/// The median of `count` values of which all but `rises` are 0 and the rest, all positive, are the first `rises`
/// of `values` (reordered): as `median` on all of them, without the zeros.
func medianOfRises(_ values: UnsafeMutableBufferPointer<Float>, rises: Int, count n: Int) -> Float {
    guard n > 0 else { return .nan }
    let zeros = n - rises
    let positives = UnsafeMutableBufferPointer(rebasing: values[0..<rises])
    // The k-th smallest of all values: 0 among the zeros, else the (k - zeros)-th rise.
    let upperIndex = n / 2
    guard upperIndex >= zeros else { return 0 }
    let upper = select(positives, upperIndex - zeros)
    if n % 2 == 1 { return upper }
    let lowerIndex = upperIndex - 1
    guard lowerIndex >= zeros else { return 0.5 * upper }
    // After selection, the rises before the upper middle are <= it: the lower middle is their maximum.
    var lower = -Float.infinity
    for i in 0..<(lowerIndex - zeros + 1) { lower = max(lower, positives[i]) }
    return 0.5 * (lower + upper)
}

/// Hoare-style quickselect: the `k`-th smallest value (0-based); partitions `values` around it.
func select(_ values: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
    var lo = 0, hi = values.count - 1
    while lo < hi {
        let pivot = values[(lo + hi) / 2]
        var i = lo, j = hi
        while i <= j {
            while values[i] < pivot { i += 1 }
            while values[j] > pivot { j -= 1 }
            if i <= j { values.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { return values[k] }
    }
    return values[k]
}
