import Foundation
import RefrainAudio
import RefrainMath

/// The output of `predominantMelody`: a frame-wise f0 of the melody of polyphonic audio.
public struct PredominantMelody: Sendable {
    /// Frame centres, seconds (`t * hopLength / sampleRate`).
    public var times: [Double]
    /// Melody f0 per frame, Hz; NaN where no melody sounds.
    public var f0: [Float]
    /// Salience of the chosen contour per frame (0 where unvoiced), in the salience function's units.
    public var salience: [Float]
    /// Contours built, and contours left after voicing, octave and outlier removal.
    public var contourCount: Int
    public var selectedCount: Int

    public var frameCount: Int { times.count }

    /// The f0 as fractional MIDI pitch (69 = A4 = 440 Hz), NaN where unvoiced.
    public var midiPitch: [Float] { f0.map { $0.isFinite && $0 > 0 ? 69 + 12 * log2($0 / 440) : .nan } }
}

/// The predominant melody of `samples` (mono at `parameters.sampleRate` Hz), after Salamon & Gómez (2012),
/// "Melody extraction from polyphonic music signals using pitch contour characteristics":
/// 1. a harmonic-summation salience on a 10-cent grid from the peaks of a CQT (`harmonicSalience`);
/// 2. its peaks per frame, grouped into pitch contours by continuity in pitch and time (`pitchContours`);
/// 3. melody selection (`selectMelodyContours`): voicing by the contours' mean salience (vibrato contours
///    kept), octave duplicates and pitch outliers removed against a 5 s pitch trend;
/// 4. per frame, the pitch of the most salient remaining contour (total salience), NaN where none (or, with
///    `topVoiceRatio`, of the highest of the contours nearly as salient as the best).
/// See `PredominantMelodyParameters` for the differences from the paper. Output: `frames` values, frame `t`
/// at `t * hopLength / sampleRate` seconds. Runs the CQT on up to `threads` threads.
/// - Throws: `RefrainError.invalidArgument` for bad settings or input (empty, non-finite, too short).
public func predominantMelody(_ samples: [Float], parameters: PredominantMelodyParameters = PredominantMelodyParameters(),
                              threads: Int = ComputeBudget.machine.threads) throws -> PredominantMelody {
    try parameters.validate()
    let cqt = try CQT(parameters.cqt).magnitude(samples, threads: threads)
    let peaks = SaliencePeaks(cqt: cqt, parameters: parameters)
    let contours = pitchContours(peaks, parameters: parameters)
    let frameRate = parameters.sampleRate / Double(parameters.hopLength)
    let chosen = selectMelodyContours(contours, frames: peaks.frameCount, frameRate: frameRate, parameters: parameters)
    var f0 = [Float](repeating: .nan, count: peaks.frameCount)
    var salience = [Float](repeating: 0, count: peaks.frameCount)
    var strength = [Float](repeating: -1, count: peaks.frameCount)
    var pick = [Int](repeating: -1, count: peaks.frameCount)
    let ratio = parameters.topVoiceRatio
    for (i, c) in chosen.enumerated() {
        let value = ratio > 0 ? c.meanSalience : c.totalSalience
        for k in c.cents.indices where value > strength[c.start + k] { strength[c.start + k] = value }
        if ratio == 0 { for k in c.cents.indices where strength[c.start + k] == value { pick[c.start + k] = i } }
    }
    if ratio > 0 {
        for (i, c) in chosen.enumerated() where c.meanSalience > 0 {
            for k in c.cents.indices where c.meanSalience >= ratio * strength[c.start + k] {
                let t = c.start + k
                if pick[t] < 0 || c.cents[k] > chosen[pick[t]].cents[t - chosen[pick[t]].start] { pick[t] = i }
            }
        }
    }
    for t in 0..<peaks.frameCount where pick[t] >= 0 {
        let c = chosen[pick[t]]
        f0[t] = Float(parameters.fmin) * pow(2, c.cents[t - c.start] / 1200)
        salience[t] = c.salience[t - c.start]
    }
    return PredominantMelody(times: peaks.times, f0: f0, salience: salience, contourCount: contours.count,
                             selectedCount: chosen.count)
}

/// Melody selection (Salamon & Gómez 2012, section II-D) over `contours` of a recording of `frames` frames:
/// - voicing: contours whose mean salience is under mean - `voicingDeviation` x standard deviation (over all
///   contours) are dropped, unless they have vibrato;
/// - then `rounds` times: the melody's pitch trend (per frame, the mean pitch of the contours sounding weighted
///   by their total salience, gaps filled by the nearest value, smoothed by a `trendWindow` moving average);
///   of two contours an octave apart (1200 ± 50 cents on average where they overlap, overlapping at least half
///   the shorter) the one with less salience where they overlap is dropped (`octaveBySalience`; the paper drops
///   the one farther from the trend); the trend is recomputed, and contours more than
///   1200 cents from it on average are dropped as outliers.
public func selectMelodyContours(_ contours: [PitchContour], frames: Int, frameRate: Double,
                                 parameters: PredominantMelodyParameters) -> [PitchContour] {
    guard !contours.isEmpty else { return [] }
    let means = contours.map(\.meanSalience)
    let mean = means.reduce(0, +) / Float(means.count)
    let deviation = (means.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(means.count)).squareRoot()
    let floor = mean - parameters.voicingDeviation * deviation
    var kept = contours.filter { $0.meanSalience >= floor || $0.hasVibrato(frameRate: frameRate) }
    let window = max(1, Int((parameters.trendWindow * frameRate).rounded()))
    for _ in 0..<parameters.rounds {
        guard kept.count > 1 else { break }
        var trend = pitchTrend(kept, frames: frames, window: window)
        var drop = Set<Int>()
        for a in kept.indices {
            for b in (a + 1)..<kept.count where !drop.contains(a) && !drop.contains(b) {
                let lo = max(kept[a].start, kept[b].start), hi = min(kept[a].end, kept[b].end)
                guard hi > lo, 2 * (hi - lo) >= min(kept[a].cents.count, kept[b].cents.count) else { continue }
                var difference: Float = 0, salienceA: Float = 0, salienceB: Float = 0
                for t in lo..<hi {
                    difference += kept[a].cents[t - kept[a].start] - kept[b].cents[t - kept[b].start]
                    salienceA += kept[a].salience[t - kept[a].start]
                    salienceB += kept[b].salience[t - kept[b].start]
                }
                guard abs(abs(difference / Float(hi - lo)) - 1200) <= 50 else { continue }
                if parameters.octaveBySalience {
                    drop.insert(salienceA < salienceB ? a : b)
                } else {
                    drop.insert(distance(kept[a], trend) > distance(kept[b], trend) ? a : b)
                }
            }
        }
        kept = kept.indices.filter { !drop.contains($0) }.map { kept[$0] }
        trend = pitchTrend(kept, frames: frames, window: window)
        kept = kept.filter { distance($0, trend) <= 1200 }
    }
    return kept
}

/// Mean absolute distance, cents, between a contour and the trend over the contour's frames.
private func distance(_ contour: PitchContour, _ trend: [Float]) -> Float {
    var sum: Float = 0
    for (k, c) in contour.cents.enumerated() { sum += abs(c - trend[contour.start + k]) }
    return sum / Float(contour.cents.count)
}

/// Per frame, the salience-weighted mean pitch of `contours` (cents), gaps filled from the nearest frame
/// that has one, smoothed by a centred moving average of `window` frames.
private func pitchTrend(_ contours: [PitchContour], frames: Int, window: Int) -> [Float] {
    var sum = [Double](repeating: 0, count: frames), weight = [Double](repeating: 0, count: frames)
    for c in contours {
        let w = Double(c.totalSalience)
        for (k, cents) in c.cents.enumerated() { sum[c.start + k] += w * Double(cents); weight[c.start + k] += w }
    }
    var raw = [Double](repeating: .nan, count: frames)
    for t in 0..<frames where weight[t] > 0 { raw[t] = sum[t] / weight[t] }
    // Fill gaps: forward with the last value, then the leading gap with the first value.
    var last = Double.nan
    for t in 0..<frames { if raw[t].isNaN { raw[t] = last } else { last = raw[t] } }
    if let first = raw.first(where: { !$0.isNaN }) { for t in 0..<frames where raw[t].isNaN { raw[t] = first } }
    if raw.first?.isNaN ?? true { return [Float](repeating: 0, count: frames) }
    // Centred moving average by prefix sums.
    var prefix = [Double](repeating: 0, count: frames + 1)
    for t in 0..<frames { prefix[t + 1] = prefix[t] + raw[t] }
    let half = window / 2
    return (0..<frames).map { t in
        let lo = max(0, t - half), hi = min(frames, t + half + 1)
        return Float((prefix[hi] - prefix[lo]) / Double(hi - lo))
    }
}
