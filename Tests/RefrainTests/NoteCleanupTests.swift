import Foundation
@testable import Refrain
import RefrainAudio
import RefrainFeatures
import XCTest

/// What is done to a hum's heard notes before the search: pYIN's octave errors folded, repeats sung a few tenths of
/// a semitone apart merged (`NoteCleanup`).
final class NoteCleanupTests: XCTestCase {
    static func notes(_ pitches: [Double]) -> [HeardNote] {
        pitches.enumerated().map { HeardNote(onset: 0.5 * Double($0.offset), duration: 0.4, pitch: $0.element) }
    }

    /// A note an octave off its neighbours comes back; a leap of a sixth stays; an octave leap the tune then stays
    /// at is the tune's, not an error.
    func testOctaveErrorsFoldTowardsTheirNeighbours() {
        let folded = NoteCleanup.foldingOctaves(Self.notes([60, 62, 76.2, 65, 67, 69]), threshold: 9.5)
        XCTAssertEqual(folded.map(\.pitch), [60, 62, 64.2, 65, 67, 69])
        XCTAssertEqual(folded.map(\.onset), Self.notes([60, 62, 76.2, 65, 67, 69]).map(\.onset))
        let sixth = [60.0, 62, 71, 64, 65, 67]
        XCTAssertEqual(NoteCleanup.foldingOctaves(Self.notes(sixth), threshold: 9.5).map(\.pitch), sixth)
        let leap = [60.0, 62, 64, 76, 77, 79, 77]
        XCTAssertEqual(NoteCleanup.foldingOctaves(Self.notes(leap), threshold: 9.5).map(\.pitch), leap)
        XCTAssertEqual(NoteCleanup.foldingOctaves(Self.notes([60, 74]), threshold: 9.5).map(\.pitch), [60, 74], "too few neighbours")
    }

    /// Repeats merge within the tolerance (to the run's duration-weighted pitch, from its first onset to its last
    /// end); a semitone step does not.
    func testRepeatsSungSlightlyApartAreOneNote() {
        let cleaned = NoteCleanup(octaveFold: 0, repeatTolerance: 0.65).apply(Self.notes([60, 60.6, 61.6, 63.7, 64.3]))
        XCTAssertEqual(cleaned.count, 3, "\(cleaned)")
        XCTAssertEqual(cleaned[0].pitch, 60.3, accuracy: 1e-9)
        XCTAssertEqual(cleaned[0].onset, 0)
        XCTAssertEqual(cleaned[0].duration, 0.9, accuracy: 1e-9)
        XCTAssertEqual(cleaned[1].pitch, 61.6, accuracy: 1e-9)
        XCTAssertEqual(cleaned[2].pitch, 64, accuracy: 1e-9)
        XCTAssertEqual(NoteCleanup.none.apply(Self.notes([60, 60.6, 61.6])).count, 3)
    }

    /// Each merged note counts the heard notes merged into it (`HeardNote.repeats`), a note that already counts
    /// several adds them all, and `MelodyShape` carries the counts per note: what `NoteAlignment.repeatDoubling`
    /// reads to know where a note may have been sung twice.
    func testMergedRepeatsCountTheNotesMergedIntoThem() {
        var heard = Self.notes([60, 60.2, 62, 64, 64.3, 63.9, 65])
        heard[6].repeats = 2
        let cleaned = NoteCleanup.standard.apply(heard)
        XCTAssertEqual(cleaned.map(\.repeats), [2, 1, 3, 2])
        XCTAssertEqual(cleaned[0].duration, 0.9, accuracy: 1e-9)
        XCTAssertEqual(MelodyShape(cleaned).repeats, [2, 1, 3, 2])
        XCTAssertEqual(MelodyShape(cleaned).intervals.count, 3)
        XCTAssertEqual(NoteCleanup.none.apply(Self.notes([60, 62, 64])).map(\.repeats), [1, 1, 1])
        // A shape of plain notes merges and counts by itself.
        XCTAssertEqual(MelodyShape(notes: [(0, 0.4, 60), (0.5, 0.4, 60), (1, 0.4, 62)]).repeats, [2, 1])
    }

    /// The product's cleanup keeps a semitone step sung flat enough to be heard 0.6 semitone apart (as the
    /// generator's intonation errors now and then make one), which a tolerance of 0.65 merged away, and still merges
    /// a repeat heard half a semitone apart.
    func testTheStandardCleanupKeepsASemitoneStepHeardSixTenthsApart() {
        let step = NoteCleanup.standard.apply(Self.notes([64, 61.5, 60.9, 62, 64]))
        XCTAssertEqual(step.map(\.pitch), [64, 61.5, 60.9, 62, 64])
        XCTAssertEqual(NoteCleanup(octaveFold: 9.5, repeatTolerance: 0.65).apply(Self.notes([64, 61.5, 60.9, 62, 64])).count, 4)
        let repeated = NoteCleanup.standard.apply(Self.notes([64, 61.5, 62, 64]))
        XCTAssertEqual(repeated.count, 3)
        XCTAssertEqual(repeated[1].pitch, 61.75, accuracy: 1e-9)
    }

    /// A pYIN track whose fourth note came out an octave high: every reading of the query hears the tune's steps
    /// (without the fold, the first reading holds a leap of 13 semitones and back).
    func testAnOctaveErrorInThePitchTrackIsFoldedInEveryReading() throws {
        let sung: [Double] = [60, 62, 64, 65, 67, 65, 64, 62]
        let track = NoteHMMTests.track(seconds: Double(sung.count) * 0.4 + 0.3) { t in
            guard t >= 0.1 else { return .nan }
            let k = Int((t - 0.1) / 0.4)
            guard k < sung.count else { return .nan }
            return k == 3 ? sung[k] + 12 : sung[k]
        }
        let readings = try QueryMelody.usableReadings(from: track)
        for reading in readings {
            XCTAssertEqual(MelodyShape(reading).intervals.map { (Double($0) * 10).rounded() / 10 }, [2, 2, 1, 2, -2, -1, -2], "\(reading.map(\.pitch))")
        }
        let unfolded = try QueryMelody.usableReadings(from: track, cleanup: .none)
        XCTAssertTrue(MelodyShape(unfolded[0]).intervals.contains { abs($0) > 9 })
    }

    /// A synthesized hum (the development set's voice, with vibrato, jitter and drift) of a tune with a repeated
    /// note, sung 0.22 semitone flat and then 0.22 sharp after a breath: pYIN hears them 0.4 apart (60.8 and 61.2,
    /// on its grid of a tenth of a semitone), and every reading takes them for one note, as the score's merged repeat
    /// is. (Sung 0.28 flat and sharp, they are heard 0.6 apart, which `NoteCleanup.standard` keeps apart since round
    /// 14, as it keeps a semitone step sung that narrow.)
    func testARepeatSungOutOfTuneIsOneNoteInTheReadings() throws {
        let pitches: [Double] = [57, 59, 61 - 0.22, 61 + 0.22, 62, 64, 62, 61, 59]
        var t = 0.2
        let sung = pitches.map { p -> SungNote in defer { t += 0.55 }; return SungNote(onset: t, duration: 0.42, pitch: p) }
        let voice = SingingVoice(style: .hum, vibratoRate: 5.5, vibratoCents: 15, driftCents: 3)
        let audio = SingingSynthesizer.render(sung, voice: voice, seed: 8)
        let track = try pyin(audio.samples)
        let readings = try QueryMelody.usableReadings(from: track)
        for reading in readings {
            XCTAssertEqual(MelodyShape(reading).noteCount, pitches.count - 1, "\(reading.map(\.pitch))")
        }
        let apart = try QueryMelody.usableReadings(from: track, cleanup: NoteCleanup(octaveFold: 0, repeatTolerance: 0.3))
        print("repeat heard as: \(apart.map { $0.map { String(format: "%.2f", $0.pitch) } })")
        XCTAssertTrue(apart.contains { $0.count == pitches.count }, "the repeat is heard apart without the merge")
    }
    /// A tune that really leaps a ninth up for one note and back (as a pedal note above a line does): the fold takes
    /// the leap for an octave error and flattens it in every reading; the unfolded reading, added last, keeps it, and
    /// it is added only when the fold moved a note.
    func testTheUnfoldedReadingKeepsARealLeap() throws {
        let sung: [Double] = [60, 62, 64, 77, 64, 62, 60, 59]
        let track = NoteHMMTests.track(seconds: Double(sung.count) * 0.4 + 0.3) { t in
            guard t >= 0.1 else { return .nan }
            let k = Int((t - 0.1) / 0.4)
            return k < sung.count ? sung[k] : .nan
        }
        let tune: [Double] = [2, 2, 13, -13, -2, -2, -1]
        func rounded(_ reading: [HeardNote]) -> [Double] { MelodyShape(reading).intervals.map { (Double($0) * 10).rounded() / 10 } }
        let folded = try QueryMelody.usableReadings(from: track, unfolded: false)
        XCTAssertFalse(folded.contains { rounded($0) == tune }, "\(folded.map(rounded))")
        let both = try QueryMelody.usableReadings(from: track, unfolded: true)
        XCTAssertEqual(both.count, folded.count + 1)
        XCTAssertEqual(rounded(both[both.count - 1]), tune)
        // A tune the fold leaves alone gets no extra reading.
        let steps = NoteHMMTests.track(seconds: 3.5) { t in t >= 0.1 && t < 3.3 ? [60.0, 62, 64, 65, 67, 65, 64, 62][min(7, Int((t - 0.1) / 0.4))] : .nan }
        XCTAssertEqual(try QueryMelody.usableReadings(from: steps, unfolded: true).count, try QueryMelody.usableReadings(from: steps, unfolded: false).count)
    }
}
