import Foundation

/// A note read from a frame-wise melody: onset and duration in seconds, fractional MIDI pitch.
public struct SegmentedNote: Equatable, Sendable {
    public var onset: Double
    public var duration: Double
    public var pitch: Double
}

extension PredominantMelody {
    /// The melody as notes: the voiced frames, less the recording's tuning offset (the median distance of
    /// their pitches from the nearest semitone), median-filtered over `smoothing` frames and rounded to
    /// semitones; a run of frames on one semitone is a note, and so is each part of a run that the chosen
    /// contour's salience re-attacks (rises by `reattack` times its lowest of the last 50 ms, as a struck or
    /// plucked note repeated at one pitch does). Runs shorter than `shortest` seconds are dropped. A note's pitch
    /// is the median of its frames' fractional pitch (tuning offset included). Notes come in time order.
    public func notes(shortest: Double = 0.08, smoothing: Int = 5, reattack: Float = 1.6) -> [SegmentedNote] {
        let pitch = midiPitch
        let n = pitch.count
        guard n > 1 else { return [] }
        let step = times[1] - times[0]
        let voiced = pitch.filter(\.isFinite)
        guard !voiced.isEmpty else { return [] }
        let deviations = voiced.map { $0 - $0.rounded() }.sorted()
        let tuning = deviations[deviations.count / 2]
        // Median over `smoothing` voiced neighbours within the same voiced run.
        let half = max(0, smoothing / 2)
        var semitone = [Int?](repeating: nil, count: n)
        for t in 0..<n where pitch[t].isFinite {
            var window: [Float] = []
            for u in max(0, t - half)...min(n - 1, t + half) where pitch[u].isFinite { window.append(pitch[u] - tuning) }
            window.sort()
            semitone[t] = Int(window[window.count / 2].rounded())
        }
        let lookback = max(1, Int((0.05 / step).rounded()))
        var notes: [SegmentedNote] = []
        var start = 0
        func close(_ end: Int) {
            guard end > start, let s = semitone[start], Double(end - start) * step >= shortest else { return }
            var inside = (start..<end).map { pitch[$0] }.sorted()
            inside = inside.filter(\.isFinite)
            notes.append(SegmentedNote(onset: times[start], duration: Double(end - start) * step,
                                       pitch: Double(inside.isEmpty ? Float(s) + tuning : inside[inside.count / 2])))
        }
        for t in 1...n {
            let boundary: Bool
            if t == n || semitone[t] == nil || semitone[t] != semitone[t - 1] {
                boundary = true
            } else {
                let low = salience[max(start, t - lookback)..<t].min() ?? 0
                boundary = low > 0 && salience[t] > reattack * low && t - start >= lookback
            }
            guard boundary else { continue }
            if semitone[start] != nil { close(t) }
            start = t
        }
        return notes
    }
}
