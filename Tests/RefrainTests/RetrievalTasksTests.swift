import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// End to end on rendered built-in tunes: index recordings, then ask by MIDI and by audio excerpt.
final class RetrievalTasksTests: XCTestCase {
    static let keys = ["twinkle", "ode-to-joy", "au-clair-de-la-lune", "greensleeves", "minuet-in-g", "amazing-grace"]

    func testMIDIAndAudioQueriesFindTheirRecordingAndSpan() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tunes = BuiltInTune.all.filter { Self.keys.contains($0.key) }
        let demo = try DemoCollection(directory: dir)
        let recordings = try demo.writeRecordings(tunes)
        let engine = try Engine.create(at: dir.appendingPathComponent("index"))
        let report = try engine.add(try engine.jobs(for: recordings).jobs)
        XCTAssertEqual(report.added.count, tunes.count)
        XCTAssert(report.failed.isEmpty)

        for tune in tunes {
            let midi = try demo.midiQuery(tune)
            for prune in [true, false] {
                let result = try engine.query(.file(midi.url), options: QueryOptions(top: 3, prune: prune)).result
                XCTAssertEqual(result.task, "midi-to-audio")
                XCTAssertEqual(result.ranking.first?.key, tune.key, "MIDI query \(tune.key), prune \(prune)")
            }
            let audio = try demo.audioQuery(tune, excerpt: 4...14)
            let result = try engine.query(.file(audio.url), options: QueryOptions(top: 3)).result
            XCTAssertEqual(result.task, "audio-match")
            let top = try XCTUnwrap(result.ranking.first)
            XCTAssertEqual(top.key, tune.key, "audio query \(tune.key)")
            // Tunes repeat their phrases (Twinkle's bars 9-12 are bars 1-4), so the expected span must be one
            // of the item's matches, not necessarily the first.
            let expected = try XCTUnwrap(audio.expectedSpan)
            let overlaps = result.ranking.filter { $0.key == tune.key }.map { item -> Double in
                let overlap = min(item.end ?? 0, expected.upperBound) - max(item.start ?? 0, expected.lowerBound)
                return overlap / (expected.upperBound - expected.lowerBound)
            }
            XCTAssertGreaterThan(overlaps.max() ?? 0, 0.5, "span of \(tune.key): \(result.ranking), expected \(expected)")
        }
    }

    func testTimeScalingAndChromaShift() {
        let m = Matrix(rowArrays: [[1, 0], [0, 1], [1, 0]])
        let longer = timeScaled(m, by: 2)
        XCTAssertEqual(longer.rows, 6)
        XCTAssertEqual(longer.row(0), [1, 0])
        XCTAssertEqual(longer.row(5), [1, 0])
        for r in 0..<longer.rows {
            let norm = longer.row(r).reduce(0) { $0 + $1 * $1 }
            XCTAssertEqual(norm, 1, accuracy: 1e-5)
        }
        XCTAssertEqual(timeScaled(m, by: 1).storage, m.storage)
        let chroma = Matrix(rows: 1, cols: 12) { _, c in Float(c) }
        XCTAssertEqual(cyclicallyShifted(chroma, by: 2).row(0), [10, 11] + (0..<10).map(Float.init))
        XCTAssertEqual(cyclicallyShifted(chroma, by: -1).row(0), (1..<12).map(Float.init) + [0])
    }
}
