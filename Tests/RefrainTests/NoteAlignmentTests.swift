import Foundation
import Refrain
import RefrainSymbolic
import XCTest

final class NoteAlignmentTests: XCTestCase {
    /// A melody of `pitches` (MIDI), one note every 0.5 s.
    static func melody(_ pitches: [Int]) -> MelodyShape {
        MelodyShape(pitches.enumerated().map { MelodyNote(onset: 0.5 * Double($0.offset), duration: 0.45, pitch: $0.element) })
    }

    /// Notes of `pitches` (MIDI) one every 0.5 s, 0.45 s long; note `twice` (when given) sung a second time 0.5 s after
    /// itself, the notes after it 0.5 s later.
    static func line(_ pitches: [Int], twice: Int? = nil) -> [(onset: Double, duration: Double, pitch: Double)] {
        var out: [(onset: Double, duration: Double, pitch: Double)] = []
        var t = 0.0
        for (k, p) in pitches.enumerated() {
            out.append((onset: t, duration: 0.45, pitch: Double(p)))
            t += 0.5
            if k == twice {
                out.append((onset: t, duration: 0.45, pitch: Double(p)))
                t += 0.5
            }
        }
        return out
    }

    /// The reference-length correction takes exactly `c ln(n) / m` from the score per query interval (n reference
    /// intervals, m query intervals), in the scalar and the vectorised code, and leaves the span alone.
    func testTheLengthPenaltyTakesTheLogOfTheReferenceLengthOverTheQueryLength() {
        let reference = MelodyShape(HummingTests.ode), query = Self.melody([67, 65, 64, 62, 60, 62, 64])
        var plain = NoteAlignment(), corrected = NoteAlignment()
        corrected.lengthPenalty = 0.5
        let correction = 0.5 * log(Float(reference.intervals.count)) / Float(query.intervals.count)
        for gaps in [false, true] {
            (plain.referenceGaps, corrected.referenceGaps) = (gaps, gaps)
            var scratch: [Float] = [], starts: [Int32] = []
            let a = plain.best(query: query, reference: reference, scratch: &scratch, starts: &starts)
            let b = corrected.best(query: query, reference: reference, scratch: &scratch, starts: &starts)
            XCTAssertGreaterThan(a.score, 0.5)
            XCTAssertEqual(b.score, a.score - correction, accuracy: 1e-5)
            XCTAssertEqual(b.first, a.first)
            XCTAssertEqual(b.last, a.last)
        }
    }

    /// A short query found whole in a short melody and in a long one scores the same in both without the correction,
    /// and higher in the short one with it: the long melody's many other places to start no longer count for it.
    func testTheLengthPenaltyPrefersTheShorterOfTwoEqualMatches() {
        let tune = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let wander = (0..<120).map { 55 + ($0 * 7) % 13 }
        let short = Self.melody(tune), long = Self.melody(wander + tune + wander)
        let query = Self.melody(Array(tune.prefix(7)))
        var plain = NoteAlignment(), corrected = NoteAlignment()
        corrected.lengthPenalty = 0.5
        var scratch: [Float] = [], starts: [Int32] = []
        let plainShort = plain.best(query: query, reference: short, scratch: &scratch, starts: &starts).score
        let plainLong = plain.best(query: query, reference: long, scratch: &scratch, starts: &starts).score
        XCTAssertEqual(plainShort, plainLong, accuracy: 1e-5)
        let correctedShort = corrected.best(query: query, reference: short, scratch: &scratch, starts: &starts).score
        let correctedLong = corrected.best(query: query, reference: long, scratch: &scratch, starts: &starts).score
        XCTAssertGreaterThan(correctedShort, correctedLong + 0.2)
        plain.referenceGaps = true
        XCTAssertEqual(plain.best(query: query, reference: long, scratch: &scratch, starts: &starts).score, plainLong, accuracy: 1e-5)
    }

    /// A query whose fourth note was sung twice (merged as one repeat: its inter-onset interval doubled) against the
    /// melody itself: its two rhythm terms off by a whole log2 unit score `c` each with the doubling tolerance (and
    /// nothing without it), the exact score in the scalar and the vectorised code; a rhythm error of a third of a unit
    /// scores as before.
    func testTheRhythmDoublingToleranceForgivesANoteHeldTwiceAsLong() {
        let pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let reference = Self.melody(pitches)
        let onsets = pitches.indices.map { 0.5 * Double($0) + ($0 > 3 ? 0.5 : 0) }  // note 3 lasts 1 s, the others 0.5 s
        let doubled = MelodyShape(notes: pitches.indices.map { (onsets[$0], 0.45, Double(pitches[$0])) })
        var with = NoteAlignment(), without = NoteAlignment()
        (with.rhythmDoubling, without.rhythmDoubling) = (0.25, .infinity)
        let m = Float(doubled.intervals.count)
        // Rhythm: 0 at the first interval, +1 at interval 3 (1 s after 0.5 s), -1 at interval 4 (0.5 s after 1 s).
        XCTAssertEqual(doubled.rhythm[3], 1, accuracy: 1e-6)
        XCTAssertEqual(doubled.rhythm[4], -1, accuracy: 1e-6)
        let expected = ((m - 2) * (1 + with.rhythmWeight) + 2 * (1 + with.rhythmWeight * (1 - with.rhythmDoubling))) / m
        HummingTests.assertWholeAlignment(with, query: doubled, reference: reference, scores: expected)
        HummingTests.assertWholeAlignment(without, query: doubled, reference: reference, scores: ((m - 2) * (1 + without.rhythmWeight) + 2) / m)
        let third = MelodyShape(notes: pitches.indices.map { (0.5 * Double($0) + ($0 > 3 ? 0.13 : 0), 0.45, Double(pitches[$0])) })
        var s1: [Float] = [], s2: [Int32] = []
        XCTAssertEqual(with.alignFast(query: third, reference: reference, scratch: &s1, starts: &s2).score,
                       without.alignFast(query: third, reference: reference, scratch: &s1, starts: &s2).score, accuracy: 1e-6)
    }

    /// A query whose fourth note was sung twice (two heard notes merged as a repeat: its inter-onset interval doubled)
    /// against the melody itself: with the repeat doubling tolerance its two rhythm terms, one log2 unit above and then
    /// below the score's, score `c` each, the exact score in the scalar and the vectorised code; the same doubled
    /// interval heard as one held note (no merge) scores as without the tolerance, and so does a merged note whose
    /// ratios go the other way (halved, then doubled), which a repeat sung twice cannot make.
    func testTheRepeatDoublingToleranceForgivesOnlyANoteMergedFromRepeats() {
        let pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let reference = Self.melody(pitches)
        // Note 3 sung twice, 0.5 s each: heard as two notes at its pitch, merged into one lasting 1 s.
        let merged = MelodyShape(notes: Self.line(pitches, twice: 3))
        let heldOnsets: [Double] = pitches.indices.map { 0.5 * Double($0) + ($0 > 3 ? 0.5 : 0) }
        let held = MelodyShape(notes: pitches.indices.map { (heldOnsets[$0], 0.45, Double(pitches[$0])) })
        XCTAssertEqual(merged.repeats, [1, 1, 1, 2, 1, 1, 1, 1, 1])
        XCTAssertEqual(merged.rhythm, held.rhythm)
        XCTAssertEqual(merged.rhythm[3], 1, accuracy: 1e-6)
        XCTAssertEqual(merged.rhythm[4], -1, accuracy: 1e-6)
        var with = NoteAlignment(), without = NoteAlignment()
        (with.repeatDoubling, without.repeatDoubling) = (0.25, .infinity)
        let m = Float(merged.intervals.count), w = with.rhythmWeight
        let forgiven = ((m - 2) * (1 + w) + 2 * (1 + w * (1 - 0.25))) / m, plain = ((m - 2) * (1 + w) + 2) / m
        HummingTests.assertWholeAlignment(with, query: merged, reference: reference, scores: forgiven)
        HummingTests.assertWholeAlignment(without, query: merged, reference: reference, scores: plain)
        HummingTests.assertWholeAlignment(with, query: held, reference: reference, scores: plain)
        // Merged, but its interval halved (0.25 s, then 0.5 s on): ratios -1 then +1, the wrong way for a note sung twice.
        let halvedOnsets: [Double] = pitches.indices.map { 0.5 * Double($0) - ($0 > 3 ? 0.25 : 0) }
        let halved = MelodyShape(notes: pitches.indices.map { (halvedOnsets[$0], 0.2, Double(pitches[$0])) }, repeats: [1, 1, 1, 2, 1, 1, 1, 1, 1])
        XCTAssertEqual(halved.repeats[3], 2)
        XCTAssertEqual(halved.rhythm[3], -1, accuracy: 1e-6)
        HummingTests.assertWholeAlignment(with, query: halved, reference: reference, scores: plain)
        XCTAssertTrue(NoteAlignment().repeatDoubling.isInfinite, "off by default")
    }

    /// A hum that re-attacks one pitch (two heard notes merged) matches a score that repeats that note better, by
    /// exactly the repeat credit per query interval, than a score holding it once for as long; without the credit
    /// the two score alike (both sides merge repeats), in both codes; a hum that held the note scores alike with both.
    func testTheRepeatCreditPrefersAScoreThatRepeatsTheNoteTheHumReattacked() {
        let pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let twice = Self.line(pitches, twice: 3)
        let repeated = MelodyShape(notes: twice)  // the score repeats note 3
        var heldNotes = twice
        heldNotes.remove(at: 4)
        heldNotes[3].duration = 0.95
        let held = MelodyShape(notes: heldNotes)  // the score holds it
        XCTAssertEqual(repeated.repeats[3], 2)
        XCTAssertEqual(held.repeats[3], 1)
        XCTAssertEqual(repeated.intervals, held.intervals)
        XCTAssertEqual(repeated.rhythm, held.rhythm)
        let reattacked = MelodyShape(notes: twice.map { ($0.onset + 3, $0.duration, $0.pitch + 2.3) })
        let sustained = MelodyShape(notes: heldNotes.map { ($0.onset + 3, $0.duration, $0.pitch + 2.3) })
        var with = NoteAlignment(), without = NoteAlignment()
        (with.repeatCredit, without.repeatCredit) = (0.3, 0)
        let m = Float(reattacked.intervals.count), whole = 1 + with.rhythmWeight
        HummingTests.assertWholeAlignment(with, query: reattacked, reference: repeated, scores: whole + 0.3 / m)
        HummingTests.assertWholeAlignment(with, query: reattacked, reference: held, scores: whole)
        HummingTests.assertWholeAlignment(without, query: reattacked, reference: repeated, scores: whole)
        HummingTests.assertWholeAlignment(with, query: sustained, reference: repeated, scores: whole)
        HummingTests.assertWholeAlignment(with, query: sustained, reference: held, scores: whole)
        XCTAssertEqual(NoteAlignment().repeatCredit, 0, "off by default")
    }

    /// The score's side: a score that repeats its fourth note (merged, spanning two inter-onset intervals) against a hum
    /// that sang it once and went on (its interval half the score's): with the repeat halving tolerance the two rhythm
    /// terms, one log2 unit below and then above the score's, score `c` each, in both codes; against a score that holds
    /// the note as long without repeating it the hum scores as without the tolerance.
    func testTheRepeatHalvingToleranceForgivesARepeatedScoreNoteSungOnce() {
        let pitches = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let twice = Self.line(pitches, twice: 3)
        let repeated = MelodyShape(notes: twice)
        var heldNotes = twice
        heldNotes.remove(at: 4)
        heldNotes[3].duration = 0.95
        let held = MelodyShape(notes: heldNotes)
        XCTAssertEqual(repeated.repeats[3], 2)
        XCTAssertEqual(repeated.rhythm, held.rhythm)
        let once = Self.melody(pitches.map { $0 + 3 })  // the repeat skipped: every note 0.5 s
        var with = NoteAlignment(), without = NoteAlignment()
        (with.repeatHalving, without.repeatHalving) = (0.25, .infinity)
        let m = Float(once.intervals.count), w = with.rhythmWeight
        let forgiven = ((m - 2) * (1 + w) + 2 * (1 + w * (1 - 0.25))) / m, plain = ((m - 2) * (1 + w) + 2) / m
        HummingTests.assertWholeAlignment(with, query: once, reference: repeated, scores: forgiven)
        HummingTests.assertWholeAlignment(without, query: once, reference: repeated, scores: plain)
        HummingTests.assertWholeAlignment(with, query: once, reference: held, scores: plain)
        XCTAssertTrue(NoteAlignment().repeatHalving.isInfinite, "off by default")
    }

    /// The query's first interval has no rhythm ratio of its own (0 stands there), so with `firstRhythm` its match is
    /// credited that fraction of the rhythm weight whatever the score's ratio there: two references that differ only
    /// in the rhythm just before the matched notes score alike with it and apart without it, in both codes.
    func testTheFirstIntervalsRhythmIsCreditedNotCompared() {
        let tune = [67, 65, 64, 62, 60, 62, 64, 65]
        let query = Self.melody(Array(tune.prefix(6)))
        // The same notes after a lead-in note; in `slow` the lead-in is 1 s long, so the score's ratio at the first
        // matched interval is -1 (0.5 s after 1 s) rather than 0.
        let even = Self.melody([55] + tune)
        let slow = MelodyShape(notes: ([55] + tune).indices.map { (0.5 * Double($0) + ($0 > 0 ? 0.5 : 0), 0.45, Double(([55] + tune)[$0])) })
        var credited = NoteAlignment(), compared = NoteAlignment()
        credited.firstRhythm = 0.5
        var s1: [Float] = [], s2: [Int32] = []
        for gaps in [false, true] {
            (credited.referenceGaps, compared.referenceGaps) = (gaps, gaps)
            let a = credited.best(query: query, reference: even, scratch: &s1, starts: &s2)
            let b = credited.best(query: query, reference: slow, scratch: &s1, starts: &s2)
            let m = Float(query.intervals.count)
            XCTAssertEqual(a.score, ((m - 1) * (1 + credited.rhythmWeight) + 1 + 0.5 * credited.rhythmWeight) / m, accuracy: 1e-5)
            XCTAssertEqual(a.score, b.score, accuracy: 1e-5)
            XCTAssertEqual(a.first, 1)
            XCTAssertGreaterThan(compared.best(query: query, reference: even, scratch: &s1, starts: &s2).score,
                                 compared.best(query: query, reference: slow, scratch: &s1, starts: &s2).score + 0.5 * compared.rhythmWeight / m)
        }
    }
}
