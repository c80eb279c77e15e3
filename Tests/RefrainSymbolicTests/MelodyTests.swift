import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// The skyline melody against a brute-force oracle: at every instant the melody's pitch is the highest
/// pitch sounding (start <= t < end) among the chosen notes, or none.
final class MelodyTests: XCTestCase {
    func highestSounding(_ notes: [MIDINote], at t: Double) -> Float {
        Float(notes.filter { $0.start <= t && t < $0.end }.map(\.pitch).max() ?? 0)
    }

    func testContourIsTheHighestSoundingPitchOnEveryFixture() throws {
        let references = try PrettyMIDIReference.all()
        XCTAssertGreaterThan(references.count, 3)
        for reference in references {
            let score = try MIDIScore(contentsOf: reference.midiURL)
            let pitched = score.instruments.filter { !$0.isDrum }.flatMap(\.notes)
            // Sample between frame boundaries so that equal-time ons and offs are not on a sample.
            let times = stride(from: 0.0037, to: score.endTime, by: 0.05).map { $0 }
            let contour = try score.melodyContour(times: times)
            for (t, value) in zip(times, contour) {
                XCTAssertEqual(value, highestSounding(pitched, at: t), "\(reference.name) at \(t) s")
            }
        }
    }

    func testMelodyNotesRestartOnRepeatedStrikesAndFollowTheChosenInstrument() throws {
        func note(_ pitch: Int, _ start: Double, _ end: Double) -> MIDINote {
            MIDINote(start: start, end: end, pitch: pitch, velocity: 90, startTick: Int(start * 960), endTick: Int(end * 960))
        }
        // Lead: 72 (0-1 s), 72 struck again (1-2 s), 74 (2.5-3 s). Accompaniment: 60 held 0-4 s. Drums: 80 at 0-4 s.
        let lead = MIDIInstrument(program: 0, name: "lead", notes: [note(72, 0, 1), note(72, 1, 2), note(74, 2.5, 3)])
        let low = MIDIInstrument(program: 32, name: "bass", channel: 1, notes: [note(60, 0, 4)])
        let drums = MIDIInstrument(program: 0, isDrum: true, name: "drums", channel: 9, notes: [note(80, 0, 4)])
        var score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        score.instruments = [lead, low, drums]

        let line = try score.melody()
        XCTAssertEqual(line, [MelodyNote(onset: 0, duration: 1, pitch: 72), MelodyNote(onset: 1, duration: 1, pitch: 72),
                              MelodyNote(onset: 2, duration: 0.5, pitch: 60), MelodyNote(onset: 2.5, duration: 0.5, pitch: 74),
                              MelodyNote(onset: 3, duration: 1, pitch: 60)])
        XCTAssertEqual(try score.melody(instrument: 1), [MelodyNote(onset: 0, duration: 4, pitch: 60)])
        XCTAssertEqual(try score.melody(instrument: 2).map(\.pitch), [80], "a chosen drum track is its own line")
        XCTAssertThrowsError(try score.melody(instrument: 3))
        XCTAssertEqual(try score.melodyContour(times: [0.5, 2.2, 2.7, 3.5, 4.5]), [72, 60, 74, 60, 0])
        XCTAssertThrowsError(try score.melodyContour(fs: 0))
    }
}
