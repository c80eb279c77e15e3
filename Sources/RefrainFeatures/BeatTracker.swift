import Foundation
import RefrainMath

/// Beats found by `trackBeats`: the tempo used and the beat positions in frames and seconds.
public struct BeatTrack: Equatable, Sendable {
    /// Tempo in BPM that guided the tracker (0 when the envelope was all zeros).
    public var bpm: Double
    /// Onset-envelope frame of every beat, increasing.
    public var frames: [Int]
    /// Seconds of every beat, `frame * hopLength / sampleRate`.
    public var times: [Double]

    public init(bpm: Double, frames: [Int], times: [Double]) {
        self.bpm = bpm
        self.frames = frames
        self.times = times
    }
}

/// Beat tracker settings with `librosa.beat.beat_track` defaults.
public struct BeatTrackerParameters: Equatable, Sendable {
    /// Fixed tempo in BPM; nil estimates it with `estimateTempo` (default nil).
    public var bpm: Double?
    /// Tempo estimation settings used when `bpm` is nil.
    public var tempo: TempoParameters
    /// How strongly inter-beat intervals are held to the tempo (default 100).
    public var tightness: Double
    /// Drop weak leading and trailing beats (default true).
    public var trim: Bool

    public init(bpm: Double? = nil, tempo: TempoParameters = TempoParameters(), tightness: Double = 100,
                trim: Bool = true) {
        self.bpm = bpm
        self.tempo = tempo
        self.tightness = tightness
        self.trim = trim
    }
}

/// Dynamic-programming beat tracking (Ellis 2007, "Beat tracking by dynamic programming", JNMR 36(1))
/// with `librosa.beat.beat_track` semantics:
/// 1. the envelope is divided by its standard deviation (ddof 1) and smoothed with a Gaussian of
///    `±period` frames (σ = period / 32) into a local score;
/// 2. `cumulative[i] = local[i] + max over i-2p ≤ j ≤ i-round(p/2) of cumulative[j] - tightness ·
///    log²((i-j)/p)`, where leading frames below 1 % of the best local score start no chain;
/// 3. the chain is read back from the last local maximum of `cumulative` that reaches half the median
///    of its local maxima;
/// 4. with `trim`, beats in the leading and trailing runs of frames whose local score is at most half
///    the RMS of the (Hann-5-smoothed) local score at the beats are dropped.
///
/// An all-zero or single-frame envelope gives no beats and bpm 0.
public func trackBeats(_ onset: OnsetEnvelope, parameters: BeatTrackerParameters = BeatTrackerParameters(),
                       threads: Int = ComputeBudget.machine.threads) throws -> BeatTrack {
    guard parameters.tightness > 0 else { throw RefrainError.invalidArgument("tightness must be positive") }
    let env = onset.strength
    guard env.allSatisfy({ $0.isFinite }) else {
        throw RefrainError.invalidArgument("onset envelope contains NaN or infinite values")
    }
    guard env.contains(where: { $0 != 0 }) else { return BeatTrack(bpm: 0, frames: [], times: []) }
    if let bpm = parameters.bpm, !(bpm > 0 && bpm.isFinite) {
        throw RefrainError.invalidArgument("bpm must be positive, got \(bpm)")
    }
    let bpm = try parameters.bpm ?? estimateTempo(onset, parameters: parameters.tempo, threads: threads)
    guard bpm > 0 else { return BeatTrack(bpm: 0, frames: [], times: []) }  // a single frame has no tempo
    let period = (onset.frameRate * 60 / bpm).rounded(.toNearestOrEven)
    guard period >= 1 else {
        throw RefrainError.invalidArgument("tempo \(bpm) BPM is faster than one beat per frame")
    }
    let local = beatLocalScore(env, period: Int(period))
    let (backlink, cumulative) = beatDynamicProgram(local, period: Int(period), tightness: parameters.tightness)
    var isBeat = [Bool](repeating: false, count: env.count)
    var n = lastBeat(cumulative)
    while n >= 0 { isBeat[n] = true; n = backlink[n] }
    trimBeats(local, &isBeat, trim: parameters.trim)
    let frames = isBeat.indices.filter { isBeat[$0] }
    return BeatTrack(bpm: bpm, frames: frames,
                     times: frames.map { Double($0 * onset.hopLength) / onset.sampleRate })
}

/// Beats of `signal` as `librosa.beat.beat_track(y=...)` finds them: the mel onset strength with the
/// median over bins (`OnsetParameters(aggregate: .median)`, `mel` settings, default hop 512), then
/// `trackBeats(_:parameters:)`. Beat frames index that envelope's frames.
public func trackBeats(_ signal: [Float], sampleRate: Double, mel: MelParameters = MelParameters(),
                       parameters: BeatTrackerParameters = BeatTrackerParameters(), threads: Int = ComputeBudget.machine.threads) throws
    -> BeatTrack {
    let envelope = try onsetStrength(signal, sampleRate: sampleRate, mel: mel,
                                     parameters: OnsetParameters(aggregate: .median), threads: threads)
    return try trackBeats(envelope, parameters: parameters, threads: threads)
}

/// The envelope over its sample standard deviation, convolved ("same" mode) with
/// `exp(-½ (32 k / period)²)`, `k = -period...period`. Like librosa, the first envelope frame never
/// enters the sum.
func beatLocalScore(_ env: [Float], period: Int) -> [Double] {
    let count = env.count
    let mean = env.reduce(0.0) { $0 + Double($1) } / Double(count)
    let variance = count > 1 ? env.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(count - 1) : .nan
    let norm = variance.squareRoot() + Double(Float.leastNormalMagnitude)
    let normalized = env.map { Double($0) / norm }
    let width = 2 * period + 1, half = width / 2
    let window = (0..<width).map { k -> Double in
        let x = Double(k - period) * 32 / Double(period)
        return exp(-0.5 * x * x)
    }
    var local = [Double](repeating: 0, count: count)
    for i in 0..<count {
        var acc = 0.0
        let kLo = max(0, i + half - count + 1), kHi = min(i + half, width)
        if kLo < kHi { for k in kLo..<kHi { acc += window[k] * normalized[i + half - k] } }
        local[i] = acc
    }
    return local
}

/// The cumulative score and back-links of Ellis's dynamic program (predecessors searched from the
/// nearest, `round(period / 2)` frames back, to the farthest, `2 * period`; ties keep the nearest).
func beatDynamicProgram(_ local: [Double], period: Int, tightness: Double) -> (backlink: [Int], cumulative: [Double]) {
    let count = local.count
    var backlink = [Int](repeating: -1, count: count)
    var cumulative = [Double](repeating: 0, count: count)
    let threshold = 0.01 * (local.max() ?? 0)
    let nearest = Int((Double(period) / 2).rounded(.toNearestOrEven)), farthest = 2 * period
    // penalty[d] for a predecessor d frames back.
    let logPeriod = log(Double(period))
    let penalty = (0...farthest).map { d -> Double in
        d == 0 ? 0 : { let x = log(Double(d)) - logPeriod; return tightness * x * x }()
    }
    var firstBeat = true
    for i in 0..<count {
        var best = -Double.infinity, location = -1
        if nearest <= farthest {
            for d in nearest...farthest {
                let j = i - d
                if j < 0 { break }
                let score = cumulative[j] - penalty[d]
                if score > best { best = score; location = j }
            }
        }
        cumulative[i] = location >= 0 ? local[i] + best : local[i]
        if firstBeat && local[i] < threshold {
            backlink[i] = -1
        } else {
            backlink[i] = location
            firstBeat = false
        }
    }
    return (backlink, cumulative)
}

/// The last frame that is a local maximum of `cumulative` (greater than its left neighbour and not
/// less than its right; the first frame never is, the last is when it exceeds its left neighbour) and
/// reaches half the median of all local-maximum values. Falls back to the last frame.
func lastBeat(_ cumulative: [Double]) -> Int {
    let count = cumulative.count
    guard count > 1 else { return count - 1 }
    var isMax = [Bool](repeating: false, count: count)
    for i in 1..<(count - 1) { isMax[i] = cumulative[i] > cumulative[i - 1] && cumulative[i] >= cumulative[i + 1] }
    isMax[count - 1] = cumulative[count - 1] > cumulative[count - 2]
    let peaks = cumulative.indices.filter { isMax[$0] }.map { cumulative[$0] }.sorted()
    guard !peaks.isEmpty else { return count - 1 }
    let m = peaks.count
    let median = m % 2 == 1 ? peaks[m / 2] : 0.5 * (peaks[m / 2 - 1] + peaks[m / 2])
    let threshold = 0.5 * median
    var n = count - 1
    while n >= 0 {
        if isMax[n] && cumulative[n] >= threshold { return n }
        n -= 1
    }
    return count - 1
}

/// librosa's `__trim_beats`: the threshold is half the RMS of the local score at the beats convolved
/// with `hanning(5)` (full convolution from index 2, `beats + 2` values); with `trim` false it is 0.
/// Beats in the leading and trailing runs of frames whose local score is at or below the threshold are
/// dropped.
func trimBeats(_ local: [Double], _ isBeat: inout [Bool], trim: Bool) {
    let count = local.count
    var threshold = 0.0
    if trim {
        let atBeats = local.indices.filter { isBeat[$0] }.map { local[$0] }
        let w: [Double] = [0, 0.5, 1, 0.5, 0]  // np.hanning(5)
        let full = atBeats.count + w.count - 1
        let lo = 2, hi = min(full, count + 2)
        var sumSquares = 0.0
        if lo < hi {
            for i in lo..<hi {
                var acc = 0.0
                for (k, wk) in w.enumerated() where i - k >= 0 && i - k < atBeats.count { acc += wk * atBeats[i - k] }
                sumSquares += acc * acc
            }
            threshold = 0.5 * (sumSquares / Double(hi - lo)).squareRoot()
        }
    }
    var n = 0
    while n < count && local[n] <= threshold { isBeat[n] = false; n += 1 }
    n = count - 1
    while n >= 0 && local[n] <= threshold { isBeat[n] = false; n -= 1 }
}
