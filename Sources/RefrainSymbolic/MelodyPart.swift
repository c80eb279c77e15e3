import Foundation
import RefrainMath

/// Why a part was (or was not) taken as the melody: its features and the score they give.
public struct MelodyPartScore: Equatable, Sendable {
    /// Index into `MIDIScore.instruments`.
    public var instrument: Int
    public var name: String
    /// Mean MIDI pitch of the part's notes.
    public var meanPitch: Double
    /// Share of note onsets that sound with another note of the same part (chords).
    public var polyphony: Double
    /// The part's notes relative to the busiest part's.
    public var relativeCount: Double
    /// The total: higher is more melody-like.
    public var score: Double
}

extension MIDIScore {
    /// Name fragments of parts that carry the tune (lower-case, matched as words or word starts).
    static let melodyNames = ["melody", "melodie", "melodia", "voice", "vocal", "voce", "soprano", "sopran", "cantus", "canto",
                              "superius", "discantus", "lead", "solo", "tune", "treble", "violin i", "violin 1", "1st violin",
                              "violino i", "violino 1", "flute", "flauto", "oboe", "recorder", "right hand", "singer"]
    /// Name fragments of accompanying parts.
    static let accompanimentNames = ["bass", "basso", "cello", "violoncello", "contrabass", "continuo", "tenor", "alto", "altus",
                                     "viola", "accomp", "chord", "pad", "left hand", "harmony", "2nd", "violin ii", "violin 2",
                                     "violino ii", "second", "drum", "percussion", "guitar", "organ", "quinto", "bassus", "contratenor"]

    /// Scores every non-drum part with notes for how likely it carries the melody, best first. The rule
    /// (tested on the development corpus, whose manifest marks the first part as the tune): part names
    /// (`melodyNames` +3, `accompanimentNames` -3), the highest mean pitch (+2 for the highest, falling
    /// linearly to 0 an octave lower: the tune usually lies on top, Uitdenbogerd & Zobel 1999), chords (-2 x the
    /// share of onsets in a chord), sparse parts (-2 under a fifth of the busiest part's notes), first part +0.5.
    public func melodyPartScores() -> [MelodyPartScore] {
        let candidates = instruments.indices.filter { !instruments[$0].isDrum && !instruments[$0].notes.isEmpty }
        guard !candidates.isEmpty else { return [] }
        let busiest = Double(candidates.map { instruments[$0].notes.count }.max() ?? 1)
        var rows: [MelodyPartScore] = []
        for i in candidates {
            let part = instruments[i]
            let mean = Double(part.notes.reduce(0) { $0 + $1.pitch }) / Double(part.notes.count)
            let onsets = Dictionary(grouping: part.notes, by: { Int(($0.start * 100).rounded()) })
            let chordNotes = onsets.values.filter { $0.count > 1 }.reduce(0) { $0 + $1.count }
            let polyphony = Double(chordNotes) / Double(part.notes.count)
            rows.append(MelodyPartScore(instrument: i, name: part.name, meanPitch: mean, polyphony: polyphony,
                                        relativeCount: Double(part.notes.count) / busiest, score: 0))
        }
        let highest = rows.map(\.meanPitch).max() ?? 0
        for k in rows.indices {
            var score = 0.0
            let name = " " + rows[k].name.lowercased().replacingOccurrences(of: ".", with: " ") + " "
            if Self.melodyNames.contains(where: { MIDIScore.nameHas(name, $0) }) { score += 3 }
            if Self.accompanimentNames.contains(where: { MIDIScore.nameHas(name, $0) }) { score -= 3 }
            score += 2 * max(0, 1 - (highest - rows[k].meanPitch) / 12)
            score -= 2 * rows[k].polyphony
            if rows[k].relativeCount < 0.2 { score -= 2 }
            if rows[k].instrument == candidates[0] { score += 0.5 }
            rows[k].score = score
        }
        return rows.sorted { $0.score != $1.score ? $0.score > $1.score : $0.instrument < $1.instrument }
    }

    /// Whether `fragment` occurs in `name` (padded with spaces) at a word start and, for short fragments, as a whole word.
    static func nameHas(_ name: String, _ fragment: String) -> Bool {
        if fragment.count <= 3 || fragment.hasSuffix(" i") || fragment.hasSuffix(" 1") || fragment.hasSuffix("ii") {
            return name.contains(" \(fragment) ")
        }
        return name.contains(" \(fragment)")
    }

    /// The index of the part a person would hum (the best of `melodyPartScores`), or nil when no non-drum part has notes.
    public func melodyPart() -> Int? { melodyPartScores().first?.instrument }

    /// The melody a person would hum: the skyline of the chosen melody part (`melodyPart()`), empty when the score has no notes.
    public func hummableMelody() -> [MelodyNote] {
        guard let part = melodyPart() else { return [] }
        return MIDIScore.skyline(instruments[part].notes)
    }
}

/// The melody as a frame-wise pitch sequence: the MIDI pitch of the note sounding at each frame time `j / frameRate`
/// (NaN where none sounds), `ceil(end * frameRate)` frames.
public func melodyPitchSequence(_ notes: [MelodyNote], frameRate: Double = 100) throws -> [Float] {
    guard frameRate > 0, frameRate.isFinite, frameRate <= 10_000 else {
        throw RefrainError.invalidArgument("melody frame rate must be in (0, 10000] Hz, got \(frameRate)")
    }
    let end = notes.map { $0.onset + $0.duration }.max() ?? 0
    guard end <= 36_000 else { throw RefrainError.invalidArgument("a melody longer than 10 hours is not supported") }
    var out = [Float](repeating: .nan, count: Int((end * frameRate).rounded(.up)))
    for note in notes {
        let a = max(0, Int((note.onset * frameRate).rounded(.up)))
        let b = min(out.count, Int(((note.onset + note.duration) * frameRate).rounded(.up)))
        if b > a { for j in a..<b { out[j] = Float(note.pitch) } }
    }
    return out
}
