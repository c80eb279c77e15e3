import Foundation
import RefrainAudio
import RefrainMath

/// Settings of the predominant-melody estimate (`predominantMelody`), after Salamon & Gómez (2012),
/// "Melody extraction from polyphonic music signals using pitch contour characteristics" (IEEE TASLP 20(6)).
///
/// Differences from the paper, all for speed or because the CQT is Refrain's log-frequency front end:
/// - The spectrum is a constant-Q transform (36 bins per octave from A1, 55 Hz, seven octaves) instead of an
///   STFT with instantaneous-frequency correction; each spectral peak's frequency is refined by a parabola
///   through the log magnitudes of its bin and its neighbours. The salience itself is on a 10-cent grid, as
///   in the paper.
/// - The equal-loudness filter is replaced by the A-weighting of each spectral peak (`aWeighting`).
/// - The hop is 256 samples at 22050 Hz (11.6 ms; the paper uses 2.9 ms), so the pitch continuity limit per
///   frame and the gap limit are counted in these frames.
public struct PredominantMelodyParameters: Hashable, Sendable {
    /// Analysis sample rate, Hz.
    public var sampleRate: Double = 22050
    /// Samples between frames at `sampleRate` (a power of two; 256: 11.6 ms).
    public var hopLength: Int = 256
    /// Lowest f0 candidate, Hz (the paper: 55 Hz). It is also the CQT's lowest bin.
    public var fmin: Double = 55
    /// Octaves of f0 candidates above `fmin` (5: 55 to 1760 Hz, the paper's range).
    public var octaves: Int = 5
    /// Harmonics summed (the paper: 20; 6 here, chosen on the tuning half of `refrain-bench melody`: 10 gave
    /// overall accuracy 0.524 and 0.540 on the two training soundfonts, 6 gave 0.535 and 0.553).
    public var harmonics: Int = 6
    /// Harmonic weighting: harmonic `h` is weighted `alpha^(h - 1)` (the paper: 0.8).
    public var alpha: Float = 0.8
    /// Spectral peaks more than this many dB below the frame's strongest peak are ignored (the paper: 40 dB).
    public var magnitudeRangeDB: Float = 40
    /// A salience peak under this fraction of its frame's highest peak is not a contour seed (the paper's τ+, 0.9).
    public var framePeakRatio: Float = 0.9
    /// Peaks under mean - `peakDeviation` x standard deviation of all peaks' salience are not seeds (the paper's τσ, 0.9).
    public var peakDeviation: Float = 0.9
    /// Largest pitch step between consecutive frames of a contour, cents (the paper: 80 cents at 2.9 ms).
    public var continuityCents: Float = 80
    /// Longest run of frames tracked through non-seed peaks only, seconds (the paper: 100 ms).
    public var maximumGap: Double = 0.1
    /// Voicing: contours with mean salience under mean - `voicingDeviation` x standard deviation (over
    /// contours) are dropped unless they have vibrato (the paper's ν is 0.2; 2 here, chosen on the tuning half
    /// of `refrain-bench melody`, where 0.2 missed a fifth of the melody's frames: voicing recall 0.80 and 0.72 on the two training soundfonts,
    /// against 0.96 and 0.95 with 2).
    public var voicingDeviation: Float = 2
    /// Shortest contour kept, seconds.
    public var minimumContour: Double = 0.05
    /// Window of the moving average that gives the melody's pitch trend, seconds (the paper: 5 s).
    public var trendWindow: Double = 5
    /// Rounds of octave-duplicate and pitch-outlier removal (the paper: 3).
    public var rounds: Int = 3
    /// Of two octave duplicates, drop the one with less salience where they overlap (true), or the one farther
    /// from the pitch trend (false, the paper's rule; an accompaniment below the melody pulls the trend down, so
    /// that the melody's sub-octave ghost is kept instead of the melody).
    /// The paper's rule won on the tuning half on average (overall accuracy 0.448 and 0.435 on the two training
    /// soundfonts, against 0.454 and 0.412 by salience; ν = 0.2, 10 harmonics).
    public var octaveBySalience = false
    /// Final choice per frame: 0 takes the contour with the highest total salience (the paper); a ratio r in
    /// (0, 1] takes the highest-pitched contour among those whose mean salience is at least r times the
    /// frame's best (a melody is usually the top voice). 0.3, chosen on the tuning half of `refrain-bench melody`:
    /// overall accuracy 0.541 and 0.570 on the two training soundfonts, against 0.535 and 0.553 with 0 (0.6 gave
    /// the same as 0.3).
    public var topVoiceRatio: Float = 0.3

    public init() {}

    /// Cents per salience bin.
    public static let centsPerBin: Float = 10
    /// Salience bins (10 cents each from `fmin`).
    public var salienceBins: Int { octaves * 120 }
    /// The CQT the salience is computed on: 36 bins per octave from `fmin`, `octaves + 2` octaves.
    public var cqt: CQTConfiguration {
        CQTConfiguration(sampleRate: sampleRate, hopLength: hopLength, fmin: fmin, binCount: (octaves + 2) * 36,
                         binsPerOctave: 36)
    }

    /// - Throws: `RefrainError.invalidArgument` naming the first setting out of range.
    public func validate() throws {
        guard sampleRate >= 8000, sampleRate <= 96000, hopLength >= 32, hopLength.nonzeroBitCount == 1 else {
            throw RefrainError.invalidArgument("predominant melody: the sample rate must be 8000 to 96000 Hz and the hop a power of two of at least 32")
        }
        guard fmin >= 20, (1...7).contains(octaves), (1...40).contains(harmonics), alpha > 0, alpha <= 1 else {
            throw RefrainError.invalidArgument("predominant melody: fmin must be at least 20 Hz, octaves 1 to 7, harmonics 1 to 40 and alpha in (0, 1]")
        }
        guard magnitudeRangeDB > 0, (0...1).contains(framePeakRatio), peakDeviation.isFinite, continuityCents > 0,
              maximumGap >= 0, voicingDeviation.isFinite, minimumContour >= 0, trendWindow > 0, rounds >= 0,
              (0...1).contains(topVoiceRatio) else {
            throw RefrainError.invalidArgument("predominant melody: thresholds out of range")
        }
    }
}

/// The salience of f0 candidates in one CQT frame by harmonic summation (Salamon & Gómez 2012, eq. 2-4):
/// every spectral peak `i` (a local maximum within `magnitudeRangeDB` of the frame's strongest, its position
/// refined by a parabola through the log magnitudes) at `c_i` cents adds `alpha^(h-1) * A(f_i) |X_i|` (`A`:
/// `aWeighting`) to candidate
/// `c_i - 1200 log2(h)` for each harmonic `h`, spread over ±100 cents with a `cos²` window.
///
/// - Parameters:
///   - frame: one CQT magnitude frame, `parameters.cqt.binCount` values (36 per octave from `fmin`).
///   - salience: output, `parameters.salienceBins` values: candidate `b` is `fmin * 2^(10 b / 1200)` Hz.
public func harmonicSalience(frame: UnsafeBufferPointer<Float>, parameters: PredominantMelodyParameters,
                             into salience: UnsafeMutableBufferPointer<Float>) {
    let bins = salience.count
    salience.update(repeating: 0)
    var strongest: Float = 0
    for b in 1..<(frame.count - 1) where frame[b] > frame[b - 1] && frame[b] >= frame[b + 1] { strongest = max(strongest, frame[b]) }
    guard strongest > 0 else { return }
    let floor = strongest * pow(10, -parameters.magnitudeRangeDB / 20)
    let centsPerCQTBin: Float = 1200 / 36
    let spread: Float = 100  // cents each side
    for b in 1..<(frame.count - 1) {
        let m = frame[b]
        guard m >= floor, m > frame[b - 1], m >= frame[b + 1] else { continue }
        let l = log(max(frame[b - 1], 1e-12)), c = log(m), r = log(max(frame[b + 1], 1e-12))
        let denominator = l - 2 * c + r
        let offset = denominator < 0 ? max(-0.5, min(0.5, 0.5 * (l - r) / denominator)) : 0
        let cents = (Float(b) + offset) * centsPerCQTBin
        var weight: Float = m * aWeighting(Double(parameters.fmin) * pow(2, Double(cents) / 1200))
        for h in 1...parameters.harmonics {
            let candidate = cents - 1200 * log2(Float(h))
            if candidate < -spread { break }
            let lo = max(0, Int(((candidate - spread) / PredominantMelodyParameters.centsPerBin).rounded(.up)))
            let hi = min(bins - 1, Int(((candidate + spread) / PredominantMelodyParameters.centsPerBin).rounded(.down)))
            if lo <= hi {
                for k in lo...hi {
                    let d = (Float(k) * PredominantMelodyParameters.centsPerBin - candidate) / spread
                    let w = cos(0.5 * Float.pi * d)
                    salience[k] += weight * w * w
                }
            }
            weight *= parameters.alpha
        }
    }
}

/// The A-weighting (IEC 61672) of frequency `hz` as an amplitude factor (1 at 1 kHz): Refrain's stand-in for
/// the paper's equal-loudness filter, which likewise lowers the bass under the melody.
public func aWeighting(_ hz: Double) -> Float {
    let f2 = hz * hz
    let r = 12194.0 * 12194.0 * f2 * f2
        / ((f2 + 20.6 * 20.6) * ((f2 + 107.7 * 107.7) * (f2 + 737.9 * 737.9)).squareRoot() * (f2 + 12194.0 * 12194.0))
    return Float(r * pow(10, 2.0 / 20))
}

/// Salience peaks of every frame (local maxima of `harmonicSalience`, pitch refined by a parabola), stored
/// frame after frame: frame `t`'s peaks are `start[t] ..< start[t + 1]`.
public struct SaliencePeaks: Sendable {
    /// Index of each frame's first peak; `frames + 1` entries.
    public var start: [Int]
    /// Peak pitch, cents above `fmin`.
    public var cents: [Float]
    /// Peak salience.
    public var salience: [Float]
    /// Frame centres, seconds.
    public var times: [Double]

    public var frameCount: Int { start.count - 1 }

    /// The peaks of the salience of `cqt` (`frames x parameters.cqt.binCount` magnitudes).
    public init(cqt: FeatureSequence, parameters: PredominantMelodyParameters) {
        let bins = parameters.salienceBins
        var start = [0], cents: [Float] = [], values: [Float] = []
        var buffer = [Float](repeating: 0, count: bins)
        cqt.values.storage.withUnsafeBufferPointer { all in
            buffer.withUnsafeMutableBufferPointer { s in
                for t in 0..<cqt.frameCount {
                    let frame = UnsafeBufferPointer(rebasing: all[(t * cqt.dimension)..<((t + 1) * cqt.dimension)])
                    harmonicSalience(frame: frame, parameters: parameters, into: s)
                    for k in 1..<(bins - 1) where s[k] > 0 && s[k] > s[k - 1] && s[k] >= s[k + 1] {
                        let denominator = s[k - 1] - 2 * s[k] + s[k + 1]
                        let offset = denominator < 0 ? max(-0.5, min(0.5, 0.5 * (s[k - 1] - s[k + 1]) / denominator)) : 0
                        cents.append((Float(k) + offset) * PredominantMelodyParameters.centsPerBin)
                        values.append(s[k])
                    }
                    start.append(cents.count)
                }
            }
        }
        self.start = start
        self.cents = cents
        self.salience = values
        self.times = cqt.times
    }
}
