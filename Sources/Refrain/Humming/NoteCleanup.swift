import Foundation

/// What is done to a hummed query's heard notes before they are searched with: pYIN's octave errors folded back
/// towards the neighbouring notes, then consecutive notes closer than `repeatTolerance` semitones merged into one
/// (a repeated score note sung twice comes out a few tenths of a semitone apart, and the matchers compare melodies
/// with repeats merged on both sides, `MelodyShape`).
///
/// Both come from the round-8 analysis of the tuning half's misses (`refrain-bench humming --half tuning --log`): the
/// true tunes lost deepest in the note stage were chorale phrases whose repeated notes were heard 0.5-0.6 semitone
/// apart (kept as two notes and a spurious interval) and hums whose pYIN track jumped an octave for a note or two.
/// The values are chosen on the tuning half of the development set: see `standard`.
public struct NoteCleanup: Equatable, Sendable {
    /// A note farther than this many semitones from the median of its neighbours (up to two each side) moves by whole
    /// octaves towards it; 0 leaves every note where it is.
    public var octaveFold: Double
    /// Consecutive notes closer than this many semitones (to the merged run's pitch so far) are one note.
    public var repeatTolerance: Double

    /// Neighbours each side whose median a note is compared with. Two: three each side, which two octave errors in a
    /// row would not pull, scored 0.901 / 0.882 / 0.941 on the tuning half against 0.906 / 0.888 / 0.941.
    public var neighbours = 2

    public init(octaveFold: Double, repeatTolerance: Double) { (self.octaveFold, self.repeatTolerance) = (octaveFold, repeatTolerance) }

    /// Nothing folded, repeats merged at `MelodyShape`'s own 0.5 semitone: the notes as they were searched before.
    public static let none = NoteCleanup(octaveFold: 0, repeatTolerance: 0.5)

    /// The product's: fold beyond 9.5 semitones from the median of two neighbours each side, merge within 0.58.
    /// Tuning half (152 queries, 2,844 melodies, `refrain-bench humming --half tuning`), fused MRR / P@1 / R@10:
    /// 0.895 / 0.875 / 0.928 with `none`; fold alone 0.902 / 0.882 / 0.928; merge within 0.65 alone 0.900 / 0.882 /
    /// 0.941; both 0.906 / 0.888 / 0.941 (note stage alone 0.881 -> 0.888). Merging within 0.6, 0.7 or 0.75 and
    /// folding beyond 11 semitones scored 0.897 to 0.902 MRR, no better (measured with the cleanup before the
    /// usability check, which refused one short query: 0.900 for these values there).
    ///
    /// Round 14 (issue 21), with the note model and contour fusion of the product, generator seeds 21 and 22
    /// (`--repeat-tolerance T`): 0.65 scored 0.916 / 0.901 / 0.947 and 0.903 / 0.888 / 0.941; 0.55 and 0.58 both
    /// 0.918 / 0.908 / 0.941 and 0.922 / 0.914 / 0.941 (the same rank for every query); 0.61 0.916 / 0.901 / 0.947 and
    /// 0.917 / 0.908 / 0.941; 0.5 0.915 / 0.895 / 0.941 and 0.917 / 0.908 / 0.934. A semitone step sung with the
    /// generator's intonation errors (0.2 semitone a note) comes out 0.55-0.65 apart now and then, and 0.65 merged it
    /// away (e.g. notes sung at 61.5 60.9 61.8, heard 0.6 apart, came out as 61.1 62.0 at 0.65 and as 61.5 60.9 62.0
    /// at 0.58): at 0.58 five queries rose to 1st (four on seed 22), one into the top 10, and three fell out of the
    /// top 10 (from 3rd, 5th and 8th).
    public static let standard = NoteCleanup(octaveFold: 9.5, repeatTolerance: 0.58)

    /// `notes` cleaned with repeats merged but nothing folded, or nil when that is `folded` (the fold moved no note,
    /// or this cleanup folds nothing): the reading to add for a tune whose real leaps the fold may have moved.
    public func unfolded(_ notes: [HeardNote], unlike folded: [HeardNote]) -> [HeardNote]? {
        guard octaveFold > 0 else { return nil }
        var plain = self
        plain.octaveFold = 0
        let out = plain.apply(notes)
        return out == folded ? nil : out
    }

    /// `notes` (time order) with octave errors folded and repeats merged, each note's `repeats` counting the notes
    /// merged into it.
    public func apply(_ notes: [HeardNote]) -> [HeardNote] {
        let folded = octaveFold > 0 ? Self.foldingOctaves(notes, threshold: octaveFold, neighbours: neighbours) : notes
        return MelodyShape.mergingCountedRepeats(folded.map { ($0.onset, $0.duration, $0.pitch) }, repeats: folded.map(\.repeats),
                                                 tolerance: repeatTolerance)
            .map { HeardNote(onset: $0.onset, duration: $0.end - $0.onset, pitch: $0.pitch, repeats: $0.repeats) }
    }

    /// The notes with pYIN's octave errors folded: a note whose pitch (fractional MIDI) lies more than `threshold`
    /// semitones from the median of its neighbours' (up to `neighbours` each side, at least two in all) moves by
    /// whole octaves towards it. The neighbours' pitches are the notes' own, before any is moved.
    public static func foldingOctaves(_ notes: [HeardNote], threshold: Double, neighbours: Int = 2) -> [HeardNote] {
        var out = notes
        var around: [Double] = []
        for k in notes.indices {
            around.removeAll(keepingCapacity: true)
            for j in max(0, k - neighbours)...min(notes.count - 1, k + neighbours) where j != k { around.append(notes[j].pitch) }
            guard around.count >= 2 else { continue }
            around.sort()
            let h = around.count / 2
            let median = around.count % 2 == 1 ? around[h] : 0.5 * (around[h - 1] + around[h])
            let d = notes[k].pitch - median
            if abs(d) > threshold { out[k].pitch -= 12 * (d / 12).rounded() }
        }
        return out
    }
}
