import Foundation
import RefrainFeatures

/// Unvoices the runs of a hummed query's pYIN track that pYIN never believed: a run of consecutive voiced frames
/// whose largest voiced probability is below `peakBelow` becomes unvoiced (f0 NaN, voiced false; the voiced
/// probabilities and candidates are kept).
///
/// pYIN's Viterbi (Mauch & Dixon 2014) voices a frame when the voiced path is likelier over the whole track, not when
/// the frame itself looks periodic, so it can carry a run through noise that holds a low periodicity at about 0.01
/// voiced probability. Room noise with a low rumble and mains hum (the development set's room condition) does this
/// before the voice starts: a man's room-noise hum then begins with a note at the rumble's 36-45 MIDI (65-110 Hz) that
/// the octave fold moves into the tune's range, one wrong interval at its start. Sung notes reach high voiced
/// probabilities within a few frames, even a woman's high notes in room noise mostly do.
public struct FaintRuns: Equatable, Sendable {
    /// A voiced run whose every frame has a voiced probability below this is unvoiced (0 ... 1).
    public var peakBelow: Float
    /// Only the runs before the first run that reaches `peakBelow` are unvoiced (the lead-in, where the development
    /// set's room noise is heard alone before the voice); later faint runs, which may be weak sung notes, are kept.
    public var leadInOnly: Bool

    public init(peakBelow: Float, leadInOnly: Bool = false) { (self.peakBelow, self.leadInOnly) = (peakBelow, leadInOnly) }

    /// The product's: nil (tracks are left as pYIN decodes them). In the tuning half's room-noise-only runs of round 11
    /// (seeds 21 and 22), every voiced run of noise alone (59 runs) peaked below 0.02, and so did 20 of the 1,401 runs
    /// that touch sung frames. Measured on the tuning half of the development set (`refrain-bench humming --half tuning
    /// --faint-runs 0.02`, issue 21 round 12, on top of the gated noise floor), 0.02 removed the rumble note at the
    /// start of 12 of 13 hums (heard notes starting before 0.12 s: 6 -> 1 with seed 21, 7 -> 0 with seed 22). Fused MRR
    /// / P@1 / R@10 0.916 / 0.901 / 0.947 -> 0.921 / 0.908 / 0.947 (seed 21: a man's room-noise hum from 5th to 1st) and
    /// 0.903 / 0.888 / 0.941 -> 0.902 / 0.888 / 0.941 (seed 22: a clean man's hum lost two weak low notes, 3rd -> 7th);
    /// mean MRR 0.9095 -> 0.9115, one query each way, under the 0.01 the project adopts changes for, so it stays off.
    /// Lead-in only (round 13, `--faint-runs 0.02,lead-in`): the rumble note goes from 12 of the 13 hums as before and
    /// no clean hum loses a note (13 queries' readings change: 12 in room noise, one telephone); seed 21 gains the same
    /// man's room-noise hum (5th -> 1st) and seed 22 changes no rank: mean 0.9095 / 0.8947 / 0.9441 -> 0.9122 / 0.8980 /
    /// 0.9441, less than one query over both seeds, so it stays off too.
    public static let standard: FaintRuns? = nil

    /// `track` with its faint voiced runs unvoiced.
    public func apply(_ track: PitchTrack) -> PitchTrack {
        var out = track
        var t = 0
        while t < track.frameCount {
            guard track.voiced[t] else { t += 1; continue }
            let start = t
            var peak: Float = 0
            while t < track.frameCount, track.voiced[t] {
                peak = max(peak, track.voicedProbability[t])
                t += 1
            }
            guard peak < peakBelow else {
                if leadInOnly { break }
                continue
            }
            for k in start..<t {
                out.voiced[k] = false
                out.f0[k] = .nan
            }
        }
        return out
    }
}
