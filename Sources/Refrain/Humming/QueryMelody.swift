import Foundation
import RefrainFeatures
import RefrainMath
import RefrainSymbolic

/// A note heard in a query: onset and duration in seconds, fractional MIDI pitch (the singer's tuning kept).
public struct HeardNote: Equatable, Sendable {
    public var onset: Double
    public var duration: Double
    public var pitch: Double
    /// How many notes as first heard were merged into this one as repeats of one pitch (`NoteCleanup`'s repeat merge):
    /// 1 for a note heard once, 2 or more where the singer re-attacked one pitch (a repeated score note, or a note sung
    /// twice where the score holds it once, whose inter-onset interval is then twice the score's: see
    /// `NoteAlignment.repeatDoubling`).
    public var repeats: Int

    public init(onset: Double, duration: Double, pitch: Double, repeats: Int = 1) {
        self.onset = onset
        self.duration = duration
        self.pitch = pitch
        self.repeats = repeats
    }
}

/// A melody as the matchers compare it: notes with consecutive repeats merged, as pitch intervals (semitones)
/// and log2 ratios of inter-onset intervals, which ignore key, tuning and tempo.
public struct MelodyShape: Equatable, Sendable {
    /// Note pitches (fractional MIDI for queries, whole for scores) after merging repeats.
    public var pitches: [Double]
    /// Note onsets, seconds.
    public var onsets: [Double]
    /// Note ends, seconds.
    public var ends: [Double]
    /// `pitches[k + 1] - pitches[k]`.
    public var intervals: [Float]
    /// `log2(ioi[k + 1] / ioi[k])`, the rhythm of consecutive notes (0 for the first; clipped to +-3).
    public var rhythm: [Float]
    /// How many notes were merged into each note as repeats (each input note counting its own `repeats`, e.g. a
    /// `HeardNote`'s): 1 where none was. A query note merged from two or more may be a note sung twice (its
    /// inter-onset interval twice the score's), which `NoteAlignment.repeatDoubling` can forgive there alone.
    public var repeats: [Int]

    /// Merges consecutive notes closer than `repeatTolerance` semitones (a hum does not reliably re-articulate
    /// a repeated pitch, so neither side keeps repeats), then derives intervals and rhythm. `repeats` gives each
    /// input note's own merge count (nil: 1 each).
    public init(notes: [(onset: Double, duration: Double, pitch: Double)], repeats counts: [Int]? = nil, repeatTolerance: Double = 0.5) {
        let merged = Self.mergingCountedRepeats(notes, repeats: counts, tolerance: repeatTolerance)
        pitches = merged.map(\.pitch)
        onsets = merged.map(\.onset)
        ends = merged.map(\.end)
        repeats = merged.map(\.repeats)
        intervals = zip(pitches.dropFirst(), pitches).map { Float($0 - $1) }
        var r = [Float](repeating: 0, count: intervals.count)
        if merged.count >= 3 {
            for k in 1..<intervals.count {
                let a = max(onsets[k] - onsets[k - 1], 0.03), b = max(onsets[k + 1] - onsets[k], 0.03)
                r[k] = Float(min(3, max(-3, log2(b / a))))
            }
        }
        rhythm = r
    }

    /// `notes` in time order with each run of consecutive notes closer than `tolerance` semitones to the run's
    /// pitch so far merged into one: from the run's first onset to its last end, at its duration-weighted mean pitch.
    public static func mergingRepeats(_ notes: [(onset: Double, duration: Double, pitch: Double)],
                                      tolerance: Double) -> [(onset: Double, end: Double, pitch: Double)] {
        mergingCountedRepeats(notes, repeats: nil, tolerance: tolerance).map { ($0.onset, $0.end, $0.pitch) }
    }

    /// `mergingRepeats`, with how many notes each merged note holds: the sum of the `repeats` of the notes merged
    /// into it (nil: each note counts 1). Notes with the same onset keep their order.
    public static func mergingCountedRepeats(_ notes: [(onset: Double, duration: Double, pitch: Double)], repeats counts: [Int]?,
                                             tolerance: Double) -> [(onset: Double, end: Double, pitch: Double, repeats: Int)] {
        var merged: [(onset: Double, end: Double, pitch: Double, repeats: Int)] = []
        let order = notes.indices.sorted { notes[$0].onset != notes[$1].onset ? notes[$0].onset < notes[$1].onset : $0 < $1 }
        for k in order {
            let n = notes[k], count = counts.map { k < $0.count ? max(1, $0[k]) : 1 } ?? 1
            if let last = merged.last, abs(last.pitch - n.pitch) < tolerance {
                let a = last.end - last.onset, b = n.duration
                merged[merged.count - 1].pitch = (last.pitch * a + n.pitch * b) / max(a + b, 1e-9)
                merged[merged.count - 1].end = max(last.end, n.onset + n.duration)
                merged[merged.count - 1].repeats += count
            } else {
                merged.append((n.onset, n.onset + n.duration, n.pitch, count))
            }
        }
        return merged
    }

    public init(_ melody: [MelodyNote]) {
        self.init(notes: melody.map { ($0.onset, $0.duration, Double($0.pitch)) })
    }

    public init(_ heard: [HeardNote]) {
        self.init(notes: heard.map { ($0.onset, $0.duration, $0.pitch) }, repeats: heard.map(\.repeats))
    }

    public var noteCount: Int { pitches.count }
}

/// Turns a query recording's f0 into notes, and refuses queries without a usable tune.
public enum QueryMelody {
    /// Least voiced sound a query must hold, seconds.
    public static let minimumVoicedSeconds = 2.0
    /// Fewest distinct notes (after merging repeats) a query must hold.
    public static let minimumNotes = 5

    /// The segmentations a query is read with, each item keeping its best score over them (chosen on the tuning
    /// half of the development set: raw pitch split at 0.6 semitone held 2 frames; 3-frame smoothing split at 0.7
    /// held 1 frame; and 5-frame smoothing split at 0.5 held 3 frames, which raised the tuning half's MRR from
    /// 0.847 to 0.860 in scripts/prototype/humming_tune.py).
    public static let readings: [(split: Double, hold: Int, smoothing: Int)] = [(0.6, 2, 1), (0.7, 1, 3), (0.5, 3, 5)]

    /// Notes from a pYIN track: the pitch of each voiced run is smoothed over `smoothingFrames` frames (about one
    /// vibrato cycle), and the run is split where the smoothed pitch leaves the current note's median by more than
    /// `splitSemitones` for `holdFrames` frames in a row; runs shorter than `minimumSeconds` are dropped (glides,
    /// clicks); a note's pitch is the median of its inner raw frames (all but the first and last fifth) weighted by
    /// pYIN's voiced probability (on the tuning half of the development set, scripts/prototype/humming_notes.py:
    /// fused MRR 0.878 against 0.874 for the plain median, with the contour ungated; a slope limit that also left
    /// out gliding frames gained nothing).
    public static func notes(from track: PitchTrack, splitSemitones: Double = 0.6, holdFrames: Int = 2,
                             smoothingFrames: Int = 1, minimumSeconds: Double = 0.07) -> [HeardNote] {
        let raw = track.midiPitch
        guard track.frameCount > 1 else { return [] }
        let step = track.times[1] - track.times[0]
        // Voiced runs.
        var runs: [Range<Int>] = []
        var t = 0
        while t < track.frameCount {
            guard track.voiced[t] && raw[t].isFinite else { t += 1; continue }
            let a = t
            while t < track.frameCount && track.voiced[t] && raw[t].isFinite { t += 1 }
            runs.append(a..<t)
        }
        var out: [HeardNote] = []
        var inner: [(pitch: Float, weight: Float)] = []
        func emit(_ range: Range<Int>) {
            guard Double(range.count) * step >= minimumSeconds else { return }
            // The pitch of the note's inner part (its first and last fifth may still be gliding): the median of its
            // frames weighted by their voiced probability, so that a frame pYIN doubts counts less.
            let trim = range.count / 5
            inner.removeAll(keepingCapacity: true)
            for t in (range.lowerBound + trim)..<(range.upperBound - trim) { inner.append((raw[t], track.voicedProbability[t] + 1e-3)) }
            out.append(HeardNote(onset: track.times[range.lowerBound], duration: Double(range.count) * step, pitch: Double(notePitch(&inner))))
        }
        let half = smoothingFrames / 2
        for run in runs {
            var smooth = [Float](repeating: 0, count: run.count)
            for k in 0..<run.count {
                let a = max(0, k - half), b = min(run.count, k + half + 1)
                var sum: Float = 0
                for j in a..<b { sum += raw[run.lowerBound + j] }
                smooth[k] = sum / Float(b - a)
            }
            var noteStart = 0
            var values: [Float] = []
            var k = 0
            while k < run.count {
                values.append(smooth[k])
                let median = values.sorted()[values.count / 2]
                var away = 0
                while away < holdFrames && k + away < run.count && abs(Double(smooth[k + away] - median)) > splitSemitones { away += 1 }
                if away == holdFrames && k > noteStart {
                    emit((run.lowerBound + noteStart)..<(run.lowerBound + k))
                    noteStart = k
                    values = [smooth[k]]
                }
                k += 1
            }
            emit((run.lowerBound + noteStart)..<run.upperBound)
        }
        return out
    }

    /// The note model whose reading comes first, before `readings` (chosen on the tuning half of the development
    /// set: fused MRR 0.897 against 0.878 for `readings` alone in scripts/prototype/humming_notehmm.py, 0.892 against
    /// 0.885 in `refrain-bench humming`).
    public static let noteModel: NoteHMM? = NoteHMM()

    /// The query's notes under `model` (when given) and then under each of `readings`, those that are usable. The
    /// threshold readings decide whether the query holds a tune at all (the model finds notes even in speech): when
    /// none of them is usable, the first one-sentence `RefrainError` is thrown and the model is not asked.
    /// Each usable reading's notes are then cleaned by `cleanup` (`NoteCleanup`: octave errors folded, repeats
    /// merged); whether a reading is usable is judged on its notes as heard.
    ///
    /// With `unfolded`, the model's notes cleaned without the octave fold come last as one more reading when the
    /// fold moved any of them (a tune with real leaps of about an octave, such as a pedal note alternating with notes
    /// 8-14 semitones below, which the fold would flatten).
    public static func usableReadings(from track: PitchTrack, model: NoteHMM? = noteModel,
                                      cleanup: NoteCleanup = .standard, unfolded: Bool = unfoldedReading) throws -> [[HeardNote]] {
        var out: [[HeardNote]] = []
        var firstError: Error?
        for reading in readings {
            do { out.append(try usableNotes(from: track, segmentation: reading, cleanup: cleanup)) } catch { firstError = firstError ?? error }
        }
        if out.isEmpty, let firstError { throw firstError }
        if let model, let heard = try? usable(model.notes(from: track), of: track) {
            let folded = cleanup.apply(heard)
            out.insert(folded, at: 0)
            if unfolded, let plain = cleanup.unfolded(heard, unlike: folded) { out.append(plain) }
        }
        return out
    }

    /// Whether `usableReadings` adds the model's notes without the octave fold as a last reading. Off: on the tuning
    /// half of the development set (`refrain-bench humming --half tuning --unfolded-reading`, round 9) it changed no
    /// query's rank, with generator seed 21 (0.906 / 0.888 / 0.941 fused MRR / P@1 / R@10) or 22 (0.890 / 0.875 /
    /// 0.928); the tune half holds no tune with the leaps it is for, so it stays an option until one shows a gain.
    public static let unfoldedReading = false

    /// The query's notes, cleaned by `cleanup` once they pass, or a one-sentence `RefrainError` when the recording
    /// holds no usable tune: too little voiced sound (silence, noise, a drum loop), too few notes, or pitch that never
    /// holds still (speech).
    public static func usableNotes(from track: PitchTrack, segmentation: (split: Double, hold: Int, smoothing: Int) = (0.6, 2, 1),
                                   cleanup: NoteCleanup = .standard) throws -> [HeardNote] {
        try checkVoiced(track)
        return cleanup.apply(try usable(notes(from: track, splitSemitones: segmentation.split, holdFrames: segmentation.hold,
                                              smoothingFrames: segmentation.smoothing), of: track))
    }

    /// The pitch of a note from its inner frames (all but the first and last fifth, which may still glide): the
    /// median of their pitches weighted by pYIN's voiced probability, so that a frame pYIN doubts counts less.
    /// Sorts `frames`, which must not be empty.
    static func notePitch(_ frames: inout [(pitch: Float, weight: Float)]) -> Float {
        frames.sort { $0.pitch < $1.pitch }
        let half = 0.5 * frames.reduce(0) { $0 + $1.weight }
        var sum: Float = 0
        for frame in frames {
            sum += frame.weight
            if sum >= half { return frame.pitch }
        }
        return frames[frames.count - 1].pitch
    }

    /// A one-sentence `RefrainError` unless the track holds `minimumVoicedSeconds` of voiced sound.
    static func checkVoiced(_ track: PitchTrack) throws {
        let voiced = track.voicedSeconds
        guard voiced >= minimumVoicedSeconds else {
            throw RefrainError(.invalidArgument, "the query holds \(String(format: "%.1f", voiced)) s of sung or hummed pitch; " +
                               "at least \(Int(minimumVoicedSeconds)) s are needed to search by melody (silence, noise or drums have none)")
        }
    }

    /// `heard` when it is a usable tune: enough voiced sound, most of it held on notes, enough distinct notes;
    /// otherwise the one-sentence `RefrainError` that says which is missing.
    public static func usable(_ heard: [HeardNote], of track: PitchTrack) throws -> [HeardNote] {
        try checkVoiced(track)
        let voiced = track.voicedSeconds
        let held = heard.reduce(0) { $0 + $1.duration }
        guard held >= 0.5 * voiced else {
            throw RefrainError(.invalidArgument, "the query's pitch does not settle on notes (\(Int(100 * held / voiced)) % of its voiced sound " +
                               "is held steady); it sounds like speech or noise rather than a hummed or sung tune")
        }
        let shape = MelodyShape(heard)
        guard shape.noteCount >= minimumNotes else {
            throw RefrainError(.invalidArgument, "the query holds only \(shape.noteCount) distinct notes; " +
                               "at least \(minimumNotes) are needed to search by melody")
        }
        return heard
    }
}
