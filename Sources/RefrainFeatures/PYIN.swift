import Foundation
import RefrainMath

/// Settings of probabilistic YIN, with `librosa.pyin` (0.11) meanings and defaults (which follow the pYIN
/// Vamp plug-in of Mauch & Dixon rather than their paper where the two differ).
public struct PYINParameters: Equatable, Sendable {
    /// Framing and the pitch range (see `YINParameters`; voice defaults C2 ... C6 at 22050 Hz, 2048/512).
    public var yin: YINParameters
    /// Number of thresholds spread evenly over (0, 1] (librosa: 100).
    public var thresholdCount: Int
    /// Shape of the beta prior over the thresholds (librosa: (2, 18), mean 0.1); both at least 1.
    public var betaParameters: (a: Double, b: Double)
    /// Boltzmann parameter of the prior that favours shorter periods among troughs below a threshold (librosa: 2).
    public var boltzmannParameter: Double
    /// Pitch resolution of the hidden states, semitones (librosa: 0.1, ten bins per semitone).
    public var resolution: Double
    /// Fastest pitch change the smoothing allows, octaves per second (librosa: 35.92).
    public var maxTransitionRate: Double
    /// Probability of switching between voiced and unvoiced from one frame to the next (librosa: 0.01).
    public var switchProbability: Double
    /// Probability mass given to the global minimum at thresholds with no trough below them (librosa: 0.01).
    public var noTroughProbability: Double
    /// Spectral subtraction of the recording's stationary noise before the difference function (`NoiseFloor`; not
    /// in librosa): nil, librosa's pYIN, by default.
    public var noiseFloor: NoiseFloor? = nil

    public init(yin: YINParameters = YINParameters(), thresholdCount: Int = 100, betaParameters: (a: Double, b: Double) = (2, 18),
                boltzmannParameter: Double = 2, resolution: Double = 0.1, maxTransitionRate: Double = 35.92,
                switchProbability: Double = 0.01, noTroughProbability: Double = 0.01) {
        self.yin = yin
        self.thresholdCount = thresholdCount
        self.betaParameters = betaParameters
        self.boltzmannParameter = boltzmannParameter
        self.resolution = resolution
        self.maxTransitionRate = maxTransitionRate
        self.switchProbability = switchProbability
        self.noTroughProbability = noTroughProbability
    }

    public static func == (l: PYINParameters, r: PYINParameters) -> Bool {
        l.yin == r.yin && l.thresholdCount == r.thresholdCount && l.betaParameters == r.betaParameters
            && l.boltzmannParameter == r.boltzmannParameter && l.resolution == r.resolution
            && l.maxTransitionRate == r.maxTransitionRate && l.switchProbability == r.switchProbability
            && l.noTroughProbability == r.noTroughProbability && l.noiseFloor == r.noiseFloor
    }

    /// Pitch bins per semitone (`ceil(1 / resolution)`).
    public var binsPerSemitone: Int { Int((1 / resolution).rounded(.up)) }
    /// Number of pitch states (`floor(12 * binsPerSemitone * log2(fmax / fmin)) + 1`).
    public var pitchBinCount: Int { Int((12 * Double(binsPerSemitone) * log2(yin.fmax / yin.fmin)).rounded(.down)) + 1 }
    /// Width of the transition band in bins: `round(maxTransitionRate * 12 * hop / sampleRate)` semitones per frame.
    public var transitionWidth: Int {
        let semitones = (maxTransitionRate * 12 * Double(yin.hopLength) / yin.sampleRate).rounded(.toNearestOrEven)
        return Int(semitones) * binsPerSemitone + 1
    }
    /// Frequency of pitch bin `b`, Hz.
    public func frequency(ofBin b: Int) -> Double { yin.fmin * pow(2, Double(b) / (12 * Double(binsPerSemitone))) }

    func validate(sampleCount: Int) throws {
        try yin.validate(sampleCount: sampleCount)
        try noiseFloor?.validate()
        guard thresholdCount >= 1 && thresholdCount <= 10_000 else {
            throw RefrainError.invalidArgument("pYIN needs 1 to 10000 thresholds, got \(thresholdCount)")
        }
        guard betaParameters.a >= 1, betaParameters.b >= 1, betaParameters.a.isFinite, betaParameters.b.isFinite else {
            throw RefrainError.invalidArgument("pYIN beta parameters must both be at least 1, got (\(betaParameters.a), \(betaParameters.b))")
        }
        guard boltzmannParameter > 0, boltzmannParameter.isFinite else {
            throw RefrainError.invalidArgument("pYIN Boltzmann parameter must be positive, got \(boltzmannParameter)")
        }
        guard resolution > 0, resolution <= 1 else {
            throw RefrainError.invalidArgument("pYIN resolution must be in (0, 1] semitones, got \(resolution)")
        }
        guard maxTransitionRate > 0, maxTransitionRate.isFinite else {
            throw RefrainError.invalidArgument("pYIN max transition rate must be positive, got \(maxTransitionRate)")
        }
        guard (0...1).contains(switchProbability), (0...1).contains(noTroughProbability) else {
            throw RefrainError.invalidArgument("pYIN switch and no-trough probabilities must be in [0, 1]")
        }
        guard pitchBinCount > transitionWidth, pitchBinCount < 60_000 else {
            throw RefrainError.invalidArgument("pYIN pitch range of \(pitchBinCount) bins must be wider than its transition band of \(transitionWidth) bins")
        }
    }
}

/// The output of `pyin`: per frame, the decoded fundamental and the probability that the frame is voiced.
public struct PitchTrack: Equatable, Sendable {
    /// Frame centres, seconds (`t * hop / sampleRate`).
    public var times: [Double]
    /// Fundamental frequency, Hz; NaN in unvoiced frames.
    public var f0: [Float]
    /// The Viterbi path's voicing decision per frame.
    public var voiced: [Bool]
    /// Probability that the frame is voiced (the summed candidate probabilities, clipped to [0, 1]).
    public var voicedProbability: [Float]
    /// pYIN's pitch candidates per frame before the Viterbi smoothing (nil for tracks made otherwise).
    public var candidates: PitchCandidates?

    public init(times: [Double], f0: [Float], voiced: [Bool], voicedProbability: [Float], candidates: PitchCandidates? = nil) {
        self.times = times
        self.f0 = f0
        self.voiced = voiced
        self.voicedProbability = voicedProbability
        self.candidates = candidates
    }

    public var frameCount: Int { times.count }

    /// Frames per second (0 with fewer than two frames).
    public var frameRate: Double { times.count > 1 ? Double(times.count - 1) / (times[times.count - 1] - times[0]) : 0 }

    /// The f0 as fractional MIDI pitch (69 = A4 = 440 Hz), NaN where unvoiced.
    public var midiPitch: [Float] { f0.map { $0.isNaN || $0 <= 0 ? .nan : 69 + 12 * log2($0 / 440) } }

    /// Seconds of voiced frames (`voiced count / frameRate`).
    public var voicedSeconds: Double {
        guard times.count > 1 else { return 0 }
        return Double(voiced.lazy.filter { $0 }.count) * (times[1] - times[0])
    }
}

/// Probabilistic YIN (Mauch & Dixon 2014, "pYIN: a fundamental frequency estimator using probabilistic
/// threshold distributions") with `librosa.pyin` semantics: YIN's troughs under a beta-distributed threshold
/// give per-frame pitch candidates with probabilities; a hidden Markov model over `pitchBinCount` pitch bins
/// (0.1 semitone) times {voiced, unvoiced}, with triangular local transitions and a small voicing switch
/// probability, is decoded by Viterbi. The track also keeps the candidates themselves (`PitchTrack.candidates`).
///
/// The difference functions are computed on every core; the Viterbi pass exploits the banded transition
/// matrix (only `transitionWidth` neighbours per state) with SIMD, and reproduces librosa's `log(p + tiny)`
/// floors, so that zero-probability transitions and observations cost 708 nats as there.
public func pyin(_ samples: [Float], parameters: PYINParameters = PYINParameters()) throws -> PitchTrack {
    try parameters.validate(sampleCount: samples.count)
    try requireFinite(samples)
    let framed = FramedSignal(samples, parameters: parameters.yin)
    let observations = PYINObservations(framed: framed, sampleCount: samples.count, parameters: parameters)
    let states = PYINViterbi(parameters: parameters).decode(observations)
    let n = parameters.pitchBinCount
    var f0 = [Float](repeating: .nan, count: framed.frameCount)
    var voiced = [Bool](repeating: false, count: framed.frameCount)
    for t in 0..<framed.frameCount where states[t] < n {
        voiced[t] = true
        f0[t] = Float(parameters.frequency(ofBin: states[t]))
    }
    let times = (0..<framed.frameCount).map { Double($0 * framed.hop) / parameters.yin.sampleRate }
    return PitchTrack(times: times, f0: f0, voiced: voiced, voicedProbability: observations.voicedProbability,
                      candidates: PitchCandidates(observations, parameters: parameters))
}

/// The pYIN observation model of every frame: a few (pitch bin, probability) candidates and the voiced probability.
struct PYINObservations {
    let frameCount: Int
    /// Candidates of frame `t` are `bins[t * capacity ..< t * capacity + counts[t]]`.
    let capacity: Int
    var counts: [Int32]
    var bins: [Int32]
    var probabilities: [Float]
    var voicedProbability: [Float]

    init(framed: FramedSignal, sampleCount: Int, parameters: PYINParameters) {
        let y = parameters.yin
        let minP = y.minPeriod, maxP = y.maxPeriod
        let noise = parameters.noiseFloor.flatMap {
            $0.estimate(framed, sampleCount: sampleCount, kernel: YINDifference(frameLength: y.frameLength, minPeriod: minP, maxPeriod: maxP))
        }
        let spectralFloor = Float(parameters.noiseFloor?.spectralFloor ?? 0)
        let rescueBelow = Float(parameters.noiseFloor?.rescueBelow ?? 0)
        frameCount = framed.frameCount
        capacity = (maxP - minP + 1) / 2 + 2
        counts = [Int32](repeating: 0, count: frameCount)
        bins = [Int32](repeating: 0, count: frameCount * capacity)
        probabilities = [Float](repeating: 0, count: frameCount * capacity)
        voicedProbability = [Float](repeating: 0, count: frameCount)
        let prior = ThresholdPrior(parameters)
        let frames = frameCount, capacity = capacity
        let workers = min(ProcessInfo.processInfo.activeProcessorCount, max(1, frames / 8))
        let chunk = (frames + workers - 1) / workers
        counts.withUnsafeMutableBufferPointer { c in
            bins.withUnsafeMutableBufferPointer { b in
                probabilities.withUnsafeMutableBufferPointer { p in
                    voicedProbability.withUnsafeMutableBufferPointer { v in
                        let out = UncheckedSendable((c, b, p, v))
                        try? concurrentForEach(workers) { w in
                            let (c, b, p, v) = out.value
                            let kernel = YINDifference(frameLength: y.frameLength, minPeriod: minP, maxPeriod: maxP)
                            var scratch = CandidateScratch(capacity: capacity)
                            var spareBins = [Int32](repeating: 0, count: capacity), spareProbabilities = [Float](repeating: 0, count: capacity)
                            framed.padded.withUnsafeBufferPointer { signal in
                                for t in (w * chunk)..<min(frames, (w + 1) * chunk) {
                                    let frame = signal.baseAddress! + t * framed.hop
                                    kernel.compute(frame)
                                    var (count, voiced) = prior.candidates(kernel, scratch: &scratch,
                                                                           bins: b.baseAddress! + t * capacity,
                                                                           probabilities: p.baseAddress! + t * capacity)
                                    // A doubtful frame is read again with the noise subtracted (`NoiseFloor.rescueBelow`).
                                    if let noise, voiced < rescueBelow {
                                        noise.withUnsafeBufferPointer { kernel.compute(frame, noise: $0.baseAddress!, spectralFloor: spectralFloor) }
                                        let again = prior.candidates(kernel, scratch: &scratch, bins: &spareBins, probabilities: &spareProbabilities)
                                        if again.1 > voiced {
                                            (count, voiced) = again
                                            (b.baseAddress! + t * capacity).update(from: spareBins, count: count)
                                            (p.baseAddress! + t * capacity).update(from: spareProbabilities, count: count)
                                        }
                                    }
                                    c[t] = Int32(count)
                                    v[t] = voiced
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Per-thread scratch arrays for the trough analysis of one frame.
struct CandidateScratch {
    var troughs: [Int]
    var heights: [Float]
    var firstThreshold: [Int]
    var probs: [Double]
    var groups: [Int]

    init(capacity: Int) {
        troughs = [Int](repeating: 0, count: capacity)
        heights = [Float](repeating: 0, count: capacity)
        firstThreshold = [Int](repeating: 0, count: capacity)
        probs = [Double](repeating: 0, count: capacity)
        groups = [Int](repeating: 0, count: capacity)
    }
}

/// The threshold prior of pYIN: thresholds `j / thresholdCount`, their beta probabilities, and the
/// Boltzmann prior over troughs; turns one frame's difference function into pitch-bin candidates.
struct ThresholdPrior: Sendable {
    let thresholds: [Double]
    /// `cdf[j]`: the beta CDF at threshold `j` (so threshold `j`'s mass is `cdf[j] - cdf[j - 1]`).
    let cdf: [Double]
    let lambda: Double
    /// `e^(-λk)` and `(1 - e^-λ) / (1 - e^(-λn))` for `k, n` up to the most troughs a frame can have.
    let decay: [Double]
    let normalizer: [Double]
    let noTroughProbability: Double
    let sampleRate: Double
    let minPeriod: Int
    let fmin: Double
    let binsPerSemitone: Int
    let pitchBins: Int

    init(_ p: PYINParameters) {
        let count = p.thresholdCount
        thresholds = (0...count).map { $0 == count ? 1 : Double($0) * (1 / Double(count)) }
        cdf = betaCDF(at: thresholds, a: p.betaParameters.a, b: p.betaParameters.b)
        lambda = p.boltzmannParameter
        let most = (p.yin.maxPeriod - p.yin.minPeriod + 1) / 2 + 3
        let l = p.boltzmannParameter
        decay = (0...most).map { exp(-l * Double($0)) }
        normalizer = (0...most).map { $0 == 0 ? 0 : (1 - exp(-l)) / (1 - exp(-l * Double($0))) }
        noTroughProbability = p.noTroughProbability
        sampleRate = p.yin.sampleRate
        minPeriod = p.yin.minPeriod
        fmin = p.yin.fmin
        binsPerSemitone = p.binsPerSemitone
        pitchBins = p.pitchBinCount
    }

    /// Boltzmann pmf (scipy's `boltzmann.pmf(k, lambda, n)`): `(1 - e^-λ) e^(-λk) / (1 - e^(-λn))`.
    @inline(__always)
    func boltzmann(_ k: Int, _ n: Int) -> Double {
        normalizer[n] * decay[k]
    }

    /// Writes the frame's candidates (pitch bin, probability), at most one per bin, and returns their count
    /// and the voiced probability (their sum, clipped to 1).
    func candidates(_ kernel: YINDifference, scratch s: inout CandidateScratch,
                    bins: UnsafeMutablePointer<Int32>, probabilities: UnsafeMutablePointer<Float>) -> (Int, Float) {
        let x = kernel.cmndf
        let m = thresholds.count - 1
        var troughCount = 0
        var globalMin = -1
        for i in x.indices where kernel.isTrough(i) {
            s.troughs[troughCount] = i
            s.heights[troughCount] = x[i]
            if globalMin < 0 || x[i] < s.heights[globalMin] { globalMin = troughCount }
            // The first threshold index j in 1 ... m with height < threshold[j] (m + 1: none).
            let h = Double(x[i])
            var j = h.isFinite ? max(1, min(m, Int(h * Double(m)))) : m + 1
            if j <= m {
                while j > 1 && h < thresholds[j - 1] { j -= 1 }
                while j <= m && !(h < thresholds[j]) { j += 1 }
            }
            s.firstThreshold[troughCount] = j
            s.probs[troughCount] = 0
            troughCount += 1
        }
        guard troughCount > 0 else { return (0, 0) }
        // Thresholds at which the set of troughs below them changes: the distinct first thresholds, ascending.
        var groupCount = 0
        for t in 0..<troughCount where s.firstThreshold[t] <= m {
            s.groups[groupCount] = s.firstThreshold[t]; groupCount += 1
        }
        s.groups[0..<groupCount].sort()
        var g = 0
        while g < groupCount {
            let start = s.groups[g]
            var next = g + 1
            while next < groupCount && s.groups[next] == start { next += 1 }
            let end = next < groupCount ? s.groups[next] : m + 1  // thresholds start ..< end share one set
            let mass = cdf[end - 1] - cdf[start - 1]
            var members = 0
            for t in 0..<troughCount where s.firstThreshold[t] <= start { members += 1 }
            var position = 0
            for t in 0..<troughCount where s.firstThreshold[t] <= start {
                s.probs[t] += boltzmann(position, members) * mass
                position += 1
            }
            g = next
        }
        // Thresholds below the global minimum's height give their mass to it, scaled by the no-trough probability.
        let below = min(s.firstThreshold[globalMin], m + 1) - 1
        s.probs[globalMin] += noTroughProbability * cdf[below]
        // Candidates in period order; periods grow, so bins fall and equal bins are neighbours (the last one
        // written wins, as in librosa's fancy-index assignment).
        var count = 0
        var sum: Float = 0
        let binScale = 12 * Double(binsPerSemitone)
        for t in 0..<troughCount where s.probs[t] != 0 {
            let i = s.troughs[t]
            let period = Double(Float(minPeriod + i) + kernel.parabolicShift(i))
            let f0 = sampleRate / period
            var bin = (binScale * log2(f0 / fmin)).rounded(.toNearestOrEven)
            bin = min(max(bin, 0), Double(pitchBins))
            let b = Int32(bin)
            if count > 0 && bins[count - 1] == b {
                if b < pitchBins { sum -= probabilities[count - 1] }
                probabilities[count - 1] = Float(s.probs[t])
            } else {
                bins[count] = b
                probabilities[count] = Float(s.probs[t])
                count += 1
            }
            if b < pitchBins { sum += probabilities[count - 1] }
        }
        return (count, min(max(sum, 0), 1))
    }
}

/// The regularized incomplete beta function `I_x(a, b)` (the beta distribution's CDF) at ascending points
/// in [0, 1], for `a, b >= 1` (a bounded density): composite Simpson integration of the density between
/// consecutive points, 64 panels each.
func betaCDF(at points: [Double], a: Double, b: Double) -> [Double] {
    let logNorm = lgamma(a + b) - lgamma(a) - lgamma(b)
    func density(_ x: Double) -> Double {
        if x <= 0 { return a == 1 ? exp(logNorm) : 0 }
        if x >= 1 { return b == 1 ? exp(logNorm) : 0 }
        return exp(logNorm + (a - 1) * log(x) + (b - 1) * log(1 - x))
    }
    var out = [Double](repeating: 0, count: points.count)
    var total = 0.0
    var previous = 0.0
    for (k, x) in points.enumerated() {
        let panels = 64
        let h = (x - previous) / Double(panels)
        if h > 0 {
            var s = density(previous) + density(x)
            for i in 1..<panels { s += Double(i % 2 == 1 ? 4 : 2) * density(previous + Double(i) * h) }
            total += s * h / 3
        }
        out[k] = min(total, 1)
        previous = x
    }
    return out
}

/// The beta CDF as pYIN's threshold prior computes it (exposed for tests).
public func betaCDFForTesting(_ points: [Double], a: Double, b: Double) -> [Double] { betaCDF(at: points, a: a, b: b) }
