import Foundation
import RefrainFeatures

/// Notes from a pYIN track by a note-level hidden Markov model, in the manner of the note tracker of pYIN and Tony
/// (Mauch, Cannam, Bittner, Fazekas, Salamon, Dai, Bello & Dixon 2015, "Computer-aided melody note transcription
/// using the Tony software: accuracy and efficiency"), decoded by Viterbi.
///
/// The hidden states are a pitch grid of `binsPerSemitone` bins a semitone over the query's sung range (plus a
/// semitone each side), with three states per bin: *attack* (a note's first frames, which may still glide),
/// *stable* (the held note) and *silent* (after the note, remembering its pitch). An attack stays with probability
/// `attackStay` and otherwise becomes its bin's stable state; a stable state stays (`stableStay`), ends into its
/// silent state (`endProbability`), or moves straight to another bin's attack (`changeProbability`, legato: a hum
/// rarely stops between notes; never to its own or a neighbouring bin, which is the same note drifting); a silent
/// state stays (`silenceStay`) or starts a note. A new note's interval from the last is drawn from a Gaussian of
/// `intervalSpread` semitones. Observations are pYIN's frames: a voiced frame at pitch x has log-likelihood
/// `log N(x; bin pitch, spread)` under a note state (`stableSpread` or `attackSpread` semitones) and
/// `voicedSilenceLogLikelihood` under silence; an unvoiced frame has `unvoicedNoteLogLikelihood` under a note
/// state (a short dropout inside a note, e.g. a consonant) and 0 under silence. Each run of one bin's
/// attack-then-stable states is a note; its pitch is the voiced-probability-weighted median of its inner voiced
/// frames (`QueryMelody.notePitch`), so the grid only decides where notes begin and end.
///
/// The values were chosen on the tuning half of the development set (scripts/prototype/humming_notehmm.py): as the
/// first reading before `QueryMelody.readings`, the fused MRR rose from 0.878 to 0.897 there; in `refrain-bench
/// humming` (tuning half) the note stage rose from 0.872 to 0.884 and the fused search from 0.885 to 0.892.
public struct NoteHMM: Equatable, Sendable {
    public var binsPerSemitone: Int = 3
    /// Standard deviation of a held note's frames around its pitch, semitones.
    public var stableSpread: Double = 0.25
    /// Standard deviation of an attack's frames around its pitch, semitones.
    public var attackSpread: Double = 1.5
    public var attackStay: Double = 0.5
    public var stableStay: Double = 0.97
    public var endProbability: Double = 0.015
    public var changeProbability: Double = 0.015
    public var silenceStay: Double = 0.9
    /// Standard deviation of the interval between consecutive notes, semitones.
    public var intervalSpread: Double = 6
    /// Log-likelihood of a voiced frame under a silent state (nats; note states score `log N`).
    public var voicedSilenceLogLikelihood: Double = -2
    /// Log-likelihood of an unvoiced frame under a note state (nats; silent states score 0).
    public var unvoicedNoteLogLikelihood: Double = -1.5
    /// Notes with fewer voiced seconds are dropped.
    public var minimumSeconds: Double = 0.07

    /// What the model observes in each frame.
    public enum Observation: String, Equatable, Sendable {
        /// pYIN's decoded f0 and voicing decision: one pitch per voiced frame.
        case decoded
        /// Every pYIN candidate with its probability (`PitchTrack.candidates`), as Tony's note tracker observes them
        /// (Mauch et al. 2015); tracks without candidates fall back to `decoded`.
        case candidates
        /// `decoded` in the frames pYIN's Viterbi calls voiced, `candidates` in the others (where a weak note may
        /// still be heard); tracks without candidates fall back to `decoded`.
        case unvoicedCandidates = "unvoiced-candidates"
    }
    /// `decoded` by default: on the tuning half of the development set (`refrain-bench humming --note-observation`,
    /// issue 21 round 6) the fused MRR was 0.892 with `decoded`, 0.862 with `candidates` (0.842 with w = 0) and
    /// 0.895 with `unvoicedCandidates`, a gain of one query, under the 0.01 the project adopts changes for. pYIN's
    /// own Viterbi already voices most weak high notes, whose candidates carry 0.01 to 0.05 probability a frame,
    /// often less than a noise trough's, so the per-frame candidate model loses them where pYIN's smoothing keeps them.
    public var observation: Observation = .decoded
    /// `candidates` observation: a frame's voicing is `v = (1 - w) P + w π`, pYIN's voiced probability `P` drawn
    /// towards the prior `π` (`voicingPrior`) with weight `w` (`voicingPriorWeight`), so that a frame with little
    /// pitch probability (a high hum in noise) is not silence by default (the weighting the pYIN/Tony note tracker
    /// uses; w = 0.5, π = 0.7 there). A note state at pitch μ then scores
    /// `log(v q(μ) + (1 - v) e^unvoicedNoteLogLikelihood)`, with `q(μ) = Σ p_i N(x_i; μ, spread) / P` over the
    /// candidates (x_i, p_i) (N without its 1/√(2π), as in `decoded`), and a silent state
    /// `log(v e^voicedSilenceLogLikelihood + 1 - v)`; with one candidate and `w = 0` this is `decoded`'s score.
    public var voicingPriorWeight: Double = 0.5
    public var voicingPrior: Double = 0.7
    /// `candidates` observation: the pitch grid spans the decoded f0's range widened by this many semitones each
    /// side (candidates outside it count towards voicing only).
    public var candidateMargin: Double = 4

    public init() {}

    /// The track's notes: onsets and durations in seconds, pitch in fractional MIDI. Empty with fewer than two
    /// voiced frames.
    public func notes(from track: PitchTrack) -> [HeardNote] {
        let pitch = track.midiPitch
        let count = track.frameCount
        let voiced = (0..<count).map { track.voiced[$0] && pitch[$0].isFinite }
        let sung = (0..<count).filter { voiced[$0] }.map { pitch[$0] }
        guard count > 1, sung.count >= 2, let low = sung.min(), let high = sung.max() else { return [] }
        let candidates = observation != .decoded ? track.candidates.flatMap { $0.frameCount == count ? $0 : nil } : nil
        let everyFrame = observation == .candidates
        let margin = candidates == nil ? 1 : max(1, candidateMargin)
        let base = Double(low.rounded(.down)) - margin
        let per = max(1, binsPerSemitone)
        let bins = Int((Double(high.rounded(.up)) + margin - base) * Double(per)) + 1
        let path: [Int]
        if let candidates {
            path = viterbi(count: count, bins: bins, base: base) { t, mu, row in
                if everyFrame || !voiced[t] {
                    self.candidateEmissions(candidates, frame: t, mu: mu, into: &row)
                } else {
                    self.decodedEmissions(pitch[t], voiced: true, mu: mu, into: &row)
                }
            }
        } else {
            path = viterbi(count: count, bins: bins, base: base) { t, mu, row in self.decodedEmissions(pitch[t], voiced: voiced[t], mu: mu, into: &row) }
        }
        let step = track.times[1] - track.times[0]
        var out: [HeardNote] = []
        var inner: [(pitch: Float, weight: Float)] = []
        var t = 0
        while t < count {
            let kind = path[t] / bins, bin = path[t] % bins
            guard kind != 2 else { t += 1; continue }
            let a = t
            t += 1
            while t < count, path[t] % bins == bin, path[t] / bins == 1 || (path[t] / bins == 0 && path[t - 1] / bins == 0) { t += 1 }
            // The note's frames with a pitch: the decoded f0, or (candidates) the candidate nearest the note's bin
            // within a semitone, weighted by its probability.
            var frames: [(pitch: Float, weight: Float)] = []
            if let candidates {
                let mu = Float(base + Double(bin) / Double(per))
                for k in a..<t {
                    if !everyFrame && voiced[k] { frames.append((pitch[k], track.voicedProbability[k] + 1e-3)); continue }
                    var best: (pitch: Float, weight: Float)?
                    for i in candidates.range(ofFrame: k) where abs(candidates.pitch[i] - mu) <= 1 {
                        if best == nil || abs(candidates.pitch[i] - mu) < abs(best!.pitch - mu) { best = (candidates.pitch[i], candidates.probability[i] + 1e-3) }
                    }
                    if let best { frames.append(best) }
                }
            } else {
                for k in a..<t where voiced[k] { frames.append((pitch[k], track.voicedProbability[k] + 1e-3)) }
            }
            guard Double(frames.count) * step >= minimumSeconds else { continue }
            let trim = frames.count / 5
            inner.removeAll(keepingCapacity: true)
            inner.append(contentsOf: frames[trim..<(frames.count - trim)])
            out.append(HeardNote(onset: track.times[a], duration: Double(t - a) * step, pitch: Double(QueryMelody.notePitch(&inner))))
        }
        return out
    }

    /// `decoded` observation of one frame: log-likelihoods of the attack, stable and silent states of every bin
    /// (pitches `mu`, semitones), written into `row` (`3 * mu.count`, kind-major).
    func decodedEmissions(_ x: Float, voiced: Bool, mu: [Double], into row: inout [Double]) {
        let n = mu.count
        guard voiced else {
            for s in 0..<(2 * n) { row[s] = unvoicedNoteLogLikelihood }
            for s in (2 * n)..<(3 * n) { row[s] = 0 }
            return
        }
        let logStable = log(stableSpread), logAttack = log(attackSpread)
        for b in 0..<n {
            let d = Double(x) - mu[b]
            row[b] = -0.5 * (d / attackSpread) * (d / attackSpread) - logAttack
            row[n + b] = -0.5 * (d / stableSpread) * (d / stableSpread) - logStable
            row[2 * n + b] = voicedSilenceLogLikelihood
        }
    }

    /// `candidates` observation of frame `t` (see `voicingPriorWeight`), written into `row` as `decodedEmissions` does.
    func candidateEmissions(_ c: PitchCandidates, frame t: Int, mu: [Double], into row: inout [Double]) {
        let n = mu.count
        let range = c.range(ofFrame: t)
        var total = 0.0
        for i in range { total += Double(c.probability[i]) }
        let v = (1 - voicingPriorWeight) * min(total, 1) + voicingPriorWeight * voicingPrior
        let unvoiced = (1 - v) * exp(unvoicedNoteLogLikelihood)
        row[2 * n] = log(v * exp(voicedSilenceLogLikelihood) + 1 - v)
        for b in 1..<n { row[2 * n + b] = row[2 * n] }
        let lowest = mu[0] - 4 * attackSpread, highest = mu[n - 1] + 4 * attackSpread
        for b in 0..<(2 * n) { row[b] = 0 }
        if total > 0 {
            for i in range {
                let x = Double(c.pitch[i]), p = Double(c.probability[i]) / total
                guard x >= lowest, x <= highest else { continue }
                for b in 0..<n {
                    let d = x - mu[b]
                    row[b] += p * exp(-0.5 * (d / attackSpread) * (d / attackSpread)) / attackSpread
                    if abs(d) < 5 * stableSpread { row[n + b] += p * exp(-0.5 * (d / stableSpread) * (d / stableSpread)) / stableSpread }
                }
            }
        }
        for b in 0..<(2 * n) { row[b] = log(v * row[b] + unvoiced) }
    }

    /// The most likely state per frame: `kind * bins + bin`, kind 0 attack, 1 stable, 2 silent. `emissions(t, mu,
    /// row)` writes frame `t`'s log-likelihoods of the `3 * n` states for bin pitches `mu` into `row`.
    func viterbi(count: Int, bins n: Int, base: Double, emissions: (Int, [Double], inout [Double]) -> Void) -> [Int] {
        let states = 3 * n
        let impossible = -Double.greatestFiniteMagnitude / 4
        let attackSelf = log(attackStay), attackOn = log(1 - attackStay)
        let stableSelf = log(stableStay), end = log(endProbability), change = log(changeProbability)
        let silentSelf = log(silenceStay), silentOn = log(1 - silenceStay)
        // Interval prior over bin differences d = to - from (index d + n - 1), normalized over the grid.
        var interval = (0..<(2 * n - 1)).map { k -> Double in
            let d = Double(k - (n - 1)) / Double(binsPerSemitone) / intervalSpread
            return -0.5 * d * d
        }
        let total = log(interval.reduce(0) { $0 + exp($1) })
        for k in interval.indices { interval[k] -= total }
        var legato = interval
        for d in -1...1 { legato[d + n - 1] = impossible }
        let mu = (0..<n).map { base + Double($0) / Double(binsPerSemitone) }
        var value = [Double](repeating: impossible, count: states), next = value
        var row = [Double](repeating: 0, count: states)
        var back = [Int32](repeating: 0, count: count * states)
        for t in 0..<count {
            emissions(t, mu, &row)
            func emission(_ s: Int) -> Double { row[s] }
            if t == 0 {
                for s in 0..<states { value[s] = s / n == 1 ? impossible : emission(s); back[s] = Int32(s) }
                continue
            }
            let offset = t * states
            for b in 0..<n {
                var best = value[b] + attackSelf, from = b
                for i in 0..<n {
                    let legatoCost = value[n + i] + change + legato[b - i + n - 1]
                    if legatoCost > best { best = legatoCost; from = n + i }
                    let onset = value[2 * n + i] + silentOn + interval[b - i + n - 1]
                    if onset > best { best = onset; from = 2 * n + i }
                }
                next[b] = best + emission(b)
                back[offset + b] = Int32(from)
                let fromAttack = value[b] + attackOn, stay = value[n + b] + stableSelf
                next[n + b] = max(fromAttack, stay) + emission(n + b)
                back[offset + n + b] = Int32(fromAttack > stay ? b : n + b)
                let ending = value[n + b] + end, rest = value[2 * n + b] + silentSelf
                next[2 * n + b] = max(ending, rest) + emission(2 * n + b)
                back[offset + 2 * n + b] = Int32(ending > rest ? n + b : 2 * n + b)
            }
            let top = next.max() ?? 0
            for s in 0..<states { value[s] = next[s] - top }
        }
        var path = [Int](repeating: 0, count: count)
        var s = value.indices.max { value[$0] < value[$1] } ?? 0
        for t in stride(from: count - 1, through: 0, by: -1) {
            path[t] = s
            s = Int(back[t * states + s])
        }
        return path
    }
}
