import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import XCTest

final class BuiltInTunesTests: XCTestCase {
    /// Typing mistakes show up as bars of the wrong length or chord lines of the wrong bar count.
    func testEveryBarFillsTheMetreAndChordsCoverTheMelody() throws {
        XCTAssertEqual(BuiltInTune.all.count, 12)
        XCTAssertEqual(Set(BuiltInTune.all.map(\.key)).count, 12)
        for tune in BuiltInTune.all {
            let (notes, bars) = try TuneNotation.melody(tune.melody)
            XCTAssertFalse(notes.isEmpty, tune.key)
            for (i, length) in bars.enumerated() {
                XCTAssertEqual(length, Double(tune.beatsPerBar), "\(tune.key) bar \(i + 1)")
            }
            let chordBars = tune.chords.split(separator: "|").count
            XCTAssertEqual(chordBars, bars.count, "\(tune.key): chord bars")
            let chords = try TuneNotation.chords(tune.chords, beatsPerBar: Double(tune.beatsPerBar))
            XCTAssertFalse(chords.isEmpty, tune.key)
            XCTAssert(notes.allSatisfy { (48...84).contains($0.pitch) || (43...47).contains($0.pitch) }, tune.key)
        }
    }

    func testNotationParsesPitchesBeatsAndChords() throws {
        let (notes, bars) = try TuneNotation.melody("C4 R:0.5 F#4:1.5 | Bb3:2 A0:2")
        XCTAssertEqual(notes.map(\.pitch), [60, 66, 58, 21])
        XCTAssertEqual(notes.map(\.startBeat), [0, 1.5, 3, 5])
        XCTAssertEqual(bars, [3, 4])
        let chords = try TuneNotation.chords("C G | - | Am", beatsPerBar: 4)
        XCTAssertEqual(chords.map(\.root), [0, 7, 9])
        XCTAssertEqual(chords.map(\.startBeat), [0, 2, 8])
        XCTAssertEqual(chords[2].triad(octave: 3), [57, 60, 64])
        XCTAssertThrowsError(try TuneNotation.melody("H4"))
        XCTAssertThrowsError(try TuneNotation.melody("C4:0"))
        XCTAssertThrowsError(try TuneNotation.melody("Cx4"))
    }
}
