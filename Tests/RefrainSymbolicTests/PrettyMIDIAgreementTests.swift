import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// RefrainSymbolic against pretty_midi on the files scripts/reference/midi.py writes and on a corpus subset:
/// every note equal (pitch and velocity exact, times within 1e-6 s), tempo map, signatures, beats and
/// downbeats within 1e-6 s, piano rolls equal.
final class PrettyMIDIAgreementTests: XCTestCase {
    let secondsTolerance = 1e-6

    func testFixturesExist() throws {
        let refs = try PrettyMIDIReference.all()
        XCTAssertGreaterThanOrEqual(refs.filter { !$0.name.contains("-") }.count, 4, "synthetic fixtures missing")
    }

    func testInstrumentsAndNotesMatch() throws {
        for ref in try PrettyMIDIReference.all() {
            let score = try MIDIScore(contentsOf: ref.midiURL)
            let expected = ref.json["instruments"] as! [[String: Any]]
            XCTAssertEqual(score.instruments.count, expected.count, ref.name)
            for (inst, exp) in zip(score.instruments, expected) {
                XCTAssertEqual(inst.program, exp["program"] as! Int, ref.name)
                XCTAssertEqual(inst.isDrum, exp["is_drum"] as! Bool, ref.name)
                XCTAssertEqual(inst.name, exp["name"] as! String, ref.name)
                XCTAssertEqual(inst.controlChanges.count, exp["control_changes"] as! Int, ref.name)
                XCTAssertEqual(inst.pitchBends.count, exp["pitch_bends"] as! Int, ref.name)
                let notes = (exp["notes"] as! [[NSNumber]]).map { $0.map(\.doubleValue) }
                XCTAssertEqual(inst.notes.count, notes.count, "\(ref.name) \(inst.name)")
                for (n, e) in zip(inst.notes, notes) {
                    XCTAssertEqual(n.start, e[0], accuracy: secondsTolerance, ref.name)
                    XCTAssertEqual(n.end, e[1], accuracy: secondsTolerance, ref.name)
                    XCTAssertEqual(n.pitch, Int(e[2]), ref.name)
                    XCTAssertEqual(n.velocity, Int(e[3]), ref.name)
                }
            }
            XCTAssertEqual(score.endTime, ref.json["end_time"] as! Double, accuracy: secondsTolerance, ref.name)
        }
    }

    func testTempoMapAndSignaturesMatch() throws {
        for ref in try PrettyMIDIReference.all() {
            let score = try MIDIScore(contentsOf: ref.midiURL)
            let tempo = ref.rows("tempo_changes")
            XCTAssertEqual(score.tempoChanges.count, tempo.count, ref.name)
            for (c, (e, qpm)) in zip(score.tempoChanges, zip(tempo, score.tempoMap.qpm)) {
                XCTAssertEqual(c.time, e[0], accuracy: secondsTolerance, ref.name)
                XCTAssertEqual(qpm, e[1], accuracy: 1e-9, ref.name)
            }
            let ts = ref.rows("time_signatures")
            XCTAssertEqual(score.timeSignatures.count, ts.count, ref.name)
            for (t, e) in zip(score.timeSignatures, ts) {
                XCTAssertEqual(t.numerator, Int(e[0])); XCTAssertEqual(t.denominator, Int(e[1]))
                XCTAssertEqual(t.time, e[2], accuracy: secondsTolerance, ref.name)
            }
            let ks = ref.rows("key_signatures")
            XCTAssertEqual(score.keySignatures.map(\.keyNumber), ks.map { Int($0[0]) }, ref.name)
            for (k, e) in zip(score.keySignatures, ks) { XCTAssertEqual(k.time, e[1], accuracy: secondsTolerance) }
        }
    }

    func testBeatsAndDownbeatsMatch() throws {
        for ref in try PrettyMIDIReference.all() {
            let score = try MIDIScore(contentsOf: ref.midiURL)
            for (got, key) in [(score.beats(), "beats"), (score.downbeats(), "downbeats")] {
                let want = ref.doubles(key)
                XCTAssertEqual(got.count, want.count, "\(ref.name) \(key)")
                let worst = zip(got, want).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThanOrEqual(worst, secondsTolerance, "\(ref.name) \(key)")
            }
        }
    }

    func testPianoRollsMatch() throws {
        for ref in try PrettyMIDIReference.all() {
            let score = try MIDIScore(contentsOf: ref.midiURL)
            assertClose(try score.pianoRoll(fs: 100), ref.fromRuns("roll_fs100_runs", shapeKey: "roll_fs100_shape"), "\(ref.name) fs=100")
            let beats = score.beats()
            if !beats.isEmpty {
                let (roll, _) = try score.beatSynchronousPianoRoll()
                assertClose(roll, ref.fromSparse("roll_beats", shapeKey: "roll_beats_shape"), "\(ref.name) beats")
            }
            if ref.json["times_037"] != nil {
                let times = ref.doubles("times_037")
                assertClose(try score.pianoRoll(fs: 50, times: times),
                            ref.fromSparse("roll_times_fs50", shapeKey: "roll_times_fs50_shape"), "\(ref.name) times")
                assertClose(try score.pianoRoll(fs: 100, pedalThreshold: nil),
                            ref.fromRuns("roll_fs100_nopedal_runs", shapeKey: "roll_fs100_shape"), "\(ref.name) no pedal")
                assertClose(try score.chroma(fs: 100), ref.fromRuns("chroma_fs100_runs", shapeKey: "chroma_fs100_shape"),
                            "\(ref.name) chroma")
            }
        }
    }

    /// Integer velocity sums are exact; bends interpolate in Float (pretty_midi in Double).
    func assertClose(_ got: Matrix, _ want: Matrix, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.rows, want.rows, what, file: file, line: line)
        XCTAssertEqual(got.cols, want.cols, what, file: file, line: line)
        guard got.rows == want.rows, got.cols == want.cols else { return }
        var worst: Float = 0, at = 0
        for i in 0..<got.count {
            let d = abs(got.storage[i] - want.storage[i]) / max(1, abs(want.storage[i]))
            if d > worst { worst = d; at = i }
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(what): worst relative difference at row \(at / max(got.cols, 1)) col \(at % max(got.cols, 1))",
                                 file: file, line: line)
    }
}
