import Foundation
import RefrainFeatures

/// An octave check of a hummed query's pYIN track against its audio, for voices whose fundamental is missing (a
/// telephone band, 300-3400 Hz, leaves little of a man's 90-160 Hz fundamental, and pYIN's preference for the
/// shortest period then often reports twice the f0 for whole notes).
///
/// The test is Sun's subharmonic-to-harmonic ratio (Sun 2002, "Pitch determination and voice quality analysis using
/// subharmonic-to-harmonic ratio", ICASSP), on a few partials: a frame reported at f whose true period is twice as
/// long carries the true fundamental's odd harmonics at the odd multiples of f/2 (0.5 f, 1.5 f, 2.5 f, ...), which a
/// voice at f lacks. The frame's amplitude at `partials` of those frequencies is summed and divided by its summed
/// amplitude at f, 2f, ...; above `ratio` the frame is called an octave too high. A running majority over
/// `smoothing` frames of each voiced run makes the call, so that one note is not split, and the frames called high
/// have their f0 halved (never below `minimumHz`). Voicing and the candidates are kept.
public struct SubharmonicCheck: Equatable, Sendable {
    /// Subharmonic-to-harmonic amplitude ratio above which a frame's f0 is halved.
    public var ratio: Double
    /// Harmonics compared with as many odd multiples of f/2, at most 4 (those below 0.45 x the sample rate).
    public var partials = 4
    /// Frames in the running majority (odd).
    public var smoothing = 5
    /// Lowest f0 a frame may be halved to, Hz (pYIN's voice range starts at C2, 65.4 Hz).
    public var minimumHz = YINParameters.voiceFmin
    /// Band gate: when set, the check runs only on recordings that keep less than this share of their energy below
    /// `gateHz` (a telephone band's, which has lost a man's fundamental), and leaves others as pYIN tracked them.
    public var gateShare: Double? = nil
    /// Upper edge of the band the gate measures, Hz.
    public var gateHz = 250.0

    public init(ratio: Double) { self.ratio = ratio }

    /// The product's: nil (no check). On the tuning half of the development set (`refrain-bench humming --half tuning
    /// --octave-stats`, seed 21, round 10) the plain track's frames an octave up have ratios 0.19 - 0.38 (5th - 95th
    /// percentile; telephone-band men, 621 frames) and its right frames 0.003 - 0.14 (95th percentile 0.04 clean, 0.14
    /// in room noise). A ratio of 0.17 raised telephone-band men's raw pitch accuracy from 0.836 to 0.909 (seed 21) and
    /// 0.852 to 0.902 (seed 22), but with the note stage's octave tolerance (`NoteAlignment.octaveCost` 1) the fused
    /// MRR / P@1 / R@10 went from 0.916 / 0.901 / 0.947 to 0.910 / 0.895 / 0.947 (seed 21) and from 0.895 / 0.882 /
    /// 0.928 to 0.898 / 0.875 / 0.941 (seed 22): telephone-band men gained on seed 22 (MRR 0.821 -> 0.869), but frames
    /// halved in room noise and clean men's notes cost as much; it also doubled the f0 time. A ratio of 0.3 (without
    /// the octave tolerance) caught few octave frames and split notes: 0.906 -> 0.899 (seed 21). Gated by the band
    /// (`gateShare`, round 11, simulated per query from runs with the check off and on at 0.17): the best gate, 0.02,
    /// gave a mean fused MRR over seeds 21 and 22 of 0.9065 against 0.9054 without the check, one query's reciprocal
    /// rank; telephone-band men keep a median 0.013 (seed 21) to 0.155 (seed 22) of their energy below 250 Hz, as much as
    /// clean women (0.014 - 0.033), so the gate does not single the band out.
    /// A majority over 21 frames (0.49 s; round 13, `--subharmonic-ratio 0.17 --subharmonic-smoothing 21`, tuning half,
    /// on top of the gated noise floor), since telephone-band men's octave-up frames come in runs of up to 17-61 frames
    /// (seed 22, `--dump`): raw pitch accuracy of telephone men 0.836 -> 0.911 (seed 21) and 0.852 -> 0.903 (seed 22),
    /// clean hums' notes unchanged but for 2 of 109, room-noise women's accuracy down (0.933 -> 0.902, 0.899 -> 0.878),
    /// and fused MRR / P@1 / R@10
    /// 0.916 / 0.901 / 0.947 -> 0.910 / 0.895 / 0.947 (seed 21: two telephone men lost rank) and 0.903 / 0.888 / 0.941 ->
    /// 0.900 / 0.875 / 0.947 (seed 22: two telephone men found, chorale-004 and folksong-022, three room-noise women
    /// lost); the check also took the f0 from 13 to 81-117 ms a query (under load 5-8, not a same-run comparison).
    public static let standard: SubharmonicCheck? = nil

    /// The pYIN track of a hum (`samples` mono at `parameters.yin.sampleRate`), its faint runs unvoiced by `faint`
    /// (`FaintRuns`) and then checked by `check` when given.
    public static func hummedTrack(_ samples: [Float], parameters: PYINParameters, check: SubharmonicCheck? = standard,
                                   faint: FaintRuns? = FaintRuns.standard) throws -> PitchTrack {
        let decoded = try pyin(samples, parameters: parameters)
        let track = faint.map { $0.apply(decoded) } ?? decoded
        guard let check, check.opens(for: samples, sampleRate: parameters.yin.sampleRate) else { return track }
        return check.apply(track, samples: samples, sampleRate: parameters.yin.sampleRate, frameLength: parameters.yin.frameLength)
    }

    /// `track` (of `samples`, mono at `sampleRate` Hz; frame `t` centred at `track.times[t]`) with the f0 of the
    /// frames called an octave too high halved; each frame is read through a Hann window of `frameLength` samples.
    public func apply(_ track: PitchTrack, samples: [Float], sampleRate: Double, frameLength: Int) -> PitchTrack {
        let window = Self.hann(frameLength)
        let calls = track.f0.indices.map { t in
            track.voiced[t] && track.f0[t].isFinite && Double(track.f0[t]) / 2 >= minimumHz
                && subharmonicRatio(samples, centre: Int((track.times[t] * sampleRate).rounded()), f0: Double(track.f0[t]),
                                    sampleRate: sampleRate, window: window) > ratio
        }
        var out = track
        let half = max(0, smoothing / 2)
        var t = 0
        while t < track.frameCount {
            guard track.voiced[t] else { t += 1; continue }
            let start = t
            while t < track.frameCount && track.voiced[t] { t += 1 }
            for k in start..<t {
                let window = max(start, k - half)..<min(t, k + half + 1)
                let high = window.lazy.filter { calls[$0] }.count
                if 2 * high > window.count && Double(track.f0[k]) / 2 >= minimumHz { out.f0[k] = track.f0[k] / 2 }
            }
        }
        return out
    }

    /// Whether the check runs on `samples` (mono at `sampleRate` Hz): always without `gateShare`, otherwise when
    /// their `lowBandShare` is under it.
    public func opens(for samples: [Float], sampleRate: Double) -> Bool {
        guard let gateShare else { return true }
        return lowBandShare(samples, sampleRate: sampleRate) < gateShare
    }

    /// The share of the energy of `samples` (mono at `sampleRate` Hz) below `gateHz`: that of their fourth-order
    /// Butterworth low-pass (two bilinear second-order sections) over theirs; 0 for silence.
    public func lowBandShare(_ samples: [Float], sampleRate: Double) -> Double {
        let w = tan(Double.pi * gateHz / sampleRate), q = 1 / 2.0.squareRoot()
        let norm = 1 / (1 + w / q + w * w)
        let b0 = w * w * norm, b1 = 2 * b0, a1 = 2 * (w * w - 1) * norm, a2 = (1 - w / q + w * w) * norm
        var x1 = SIMD2<Double>(repeating: 0), x2 = x1, y1 = x1, y2 = x1  // per section
        var low = 0.0, total = 0.0
        for sample in samples {
            var v = Double(sample)
            total += v * v
            for s in 0..<2 {
                let y = b0 * v + b1 * x1[s] + b0 * x2[s] - a1 * y1[s] - a2 * y2[s]
                x2[s] = x1[s]; x1[s] = v
                y2[s] = y1[s]; y1[s] = y
                v = y
            }
            low += v * v
        }
        return total > 0 ? low / total : 0
    }

    /// A periodic Hann window of `length` samples.
    public static func hann(_ length: Int) -> [Float] {
        (0..<length).map { 0.5 - 0.5 * Float(cos(2 * Double.pi * Double($0) / Double(length))) }
    }

    /// The frame's summed amplitude at the odd multiples of `f0 / 2` over its summed amplitude at the multiples of
    /// `f0` (up to four of each, Goertzel on `window`, e.g. `hann(frameLength)`, centred on sample `centre`; zeros
    /// outside the signal); 0 for a silent frame. `f0` and `sampleRate` in Hz.
    public func subharmonicRatio(_ samples: [Float], centre: Int, f0: Double, sampleRate: Double, window: [Float]) -> Double {
        let frameLength = window.count
        var coefficients = SIMD8<Float>(repeating: 0), used = SIMD8<Float>(repeating: 0)
        for k in 0..<min(4, partials) {
            let harmonic = f0 * Double(k + 1), sub = f0 * (Double(k) + 0.5)
            if harmonic < 0.45 * sampleRate { coefficients[k] = Float(2 * cos(2 * Double.pi * harmonic / sampleRate)); used[k] = 1 }
            if harmonic < 0.45 * sampleRate { coefficients[4 + k] = Float(2 * cos(2 * Double.pi * sub / sampleRate)); used[4 + k] = 1 }
        }
        var s1 = SIMD8<Float>(repeating: 0), s2 = SIMD8<Float>(repeating: 0)
        let first = centre - frameLength / 2
        for n in max(0, -first)..<max(max(0, -first), min(frameLength, samples.count - first)) {
            let x = samples[first + n] * window[n]
            let s0 = SIMD8<Float>(repeating: x) + coefficients * s1 - s2
            s2 = s1
            s1 = s0
        }
        var power = s1 * s1 + s2 * s2 - coefficients * s1 * s2
        power.replace(with: 0, where: power .< 0)
        let amplitude = SIMD8<Float>(power.indices.map { power[$0].squareRoot() }) * used
        var harmonics: Float = 0, subharmonics: Float = 0
        for k in 0..<4 { harmonics += amplitude[k]; subharmonics += amplitude[4 + k] }
        return harmonics > 0 ? Double(subharmonics / harmonics) : 0
    }
}
