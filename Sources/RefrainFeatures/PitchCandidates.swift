import Foundation

/// pYIN's per-frame pitch candidates before its Viterbi smoothing (Mauch & Dixon 2014, "pYIN: a fundamental
/// frequency estimator using probabilistic threshold distributions", section 2.1): every trough of a frame's
/// cumulative mean normalized difference that some threshold of the beta prior admits, with the probability mass
/// the prior and the Boltzmann trough prior give it. These are what the note tracker of Tony (Mauch et al. 2015)
/// observes instead of the one decoded f0, so that a note whose frames pYIN's own Viterbi calls unvoiced (a high
/// hum in noise, with little probability in each frame) can still be heard.
///
/// Flat storage: frame `t`'s candidates are `pitch[offsets[t] ..< offsets[t + 1]]` and the same range of
/// `probability`. Candidates above `fmax` (pYIN's out-of-range bin) are left out, so each frame's probabilities sum
/// to its voiced probability (before clipping to 1).
public struct PitchCandidates: Equatable, Sendable {
    /// `frameCount + 1` offsets into `pitch` and `probability`, ascending, starting at 0.
    public var offsets: [Int32]
    /// Candidate pitch, fractional MIDI (69 = A4 = 440 Hz), on pYIN's pitch grid (0.1 semitone by default).
    public var pitch: [Float]
    /// Candidate probability in [0, 1].
    public var probability: [Float]

    public init(offsets: [Int32], pitch: [Float], probability: [Float]) {
        self.offsets = offsets
        self.pitch = pitch
        self.probability = probability
    }

    /// Frames described (`offsets.count - 1`, 0 when empty).
    public var frameCount: Int { max(0, offsets.count - 1) }

    /// Index range of frame `t`'s candidates.
    @inline(__always)
    public func range(ofFrame t: Int) -> Range<Int> { Int(offsets[t])..<Int(offsets[t + 1]) }

    /// The candidates of pYIN's observation model, in pitch-bin order within each frame.
    init(_ observations: PYINObservations, parameters: PYINParameters) {
        let n = parameters.pitchBinCount
        let midi = (0..<n).map { Float(69 + 12 * log2(parameters.frequency(ofBin: $0) / 440)) }
        var offsets = [Int32](repeating: 0, count: observations.frameCount + 1)
        var pitch: [Float] = [], probability: [Float] = []
        pitch.reserveCapacity(observations.frameCount * 4)
        probability.reserveCapacity(observations.frameCount * 4)
        for t in 0..<observations.frameCount {
            let base = t * observations.capacity
            for k in 0..<Int(observations.counts[t]) {
                let bin = Int(observations.bins[base + k])
                guard bin < n, observations.probabilities[base + k] > 0 else { continue }
                pitch.append(midi[bin])
                probability.append(observations.probabilities[base + k])
            }
            offsets[t + 1] = Int32(pitch.count)
        }
        self.init(offsets: offsets, pitch: pitch, probability: probability)
    }
}
