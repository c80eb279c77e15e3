import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// Writer -> reader round trips: the same instruments, notes and ticks; edited scores write valid MIDI.
final class RoundTripTests: XCTestCase {
    func sources() throws -> [URL] {
        var urls = try PrettyMIDIReference.all().map(\.midiURL)
        if let corpus = Fixtures.corpus {
            let all = try FileManager.default.contentsOfDirectory(atPath: corpus.path).filter { $0.hasSuffix(".mid") }.sorted()
            urls += all.map { corpus.appendingPathComponent($0) }
        }
        return urls
    }

    func assertSameNotes(_ a: MIDIScore, _ b: MIDIScore, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.instruments.count, b.instruments.count, what, file: file, line: line)
        for (x, y) in zip(a.instruments, b.instruments) {
            XCTAssertEqual(x.program, y.program, what, file: file, line: line)
            XCTAssertEqual(x.isDrum, y.isDrum, what, file: file, line: line)
            XCTAssertEqual(x.name, y.name, what, file: file, line: line)
            let key: (MIDINote) -> [Int] = { [$0.startTick, $0.endTick, $0.pitch, $0.velocity] }
            XCTAssertEqual(x.notes.map(key).sorted { $0.lexicographicallyPrecedes($1) },
                           y.notes.map(key).sorted { $0.lexicographicallyPrecedes($1) }, what, file: file, line: line)
            XCTAssertEqual(x.notes.map(\.start).sorted(), y.notes.map(\.start).sorted(), what, file: file, line: line)
            XCTAssertEqual(x.controlChanges.count, y.controlChanges.count, what, file: file, line: line)
            XCTAssertEqual(x.pitchBends.map(\.pitch), y.pitchBends.map(\.pitch), what, file: file, line: line)
        }
    }

    func testWriteThenReadGivesTheSameScore() throws {
        let urls = try sources()
        XCTAssertGreaterThan(urls.count, 3)
        for url in urls {
            let score = try MIDIScore(contentsOf: url)
            let again = try MIDIScore(data: score.midiData(), name: "rewritten \(url.lastPathComponent)")
            // Instruments read from one track with several programs become one track each, so shared
            // straggler control lists (pretty_midi) may differ; notes and ticks must not.
            assertSameNotes(score, again, url.lastPathComponent)
            XCTAssertEqual(again.tempoMap, score.tempoMap, url.lastPathComponent)
            XCTAssertEqual(again.timeSignatures, score.timeSignatures, url.lastPathComponent)
            XCTAssertEqual(again.keySignatures, score.keySignatures, url.lastPathComponent)
            XCTAssertEqual(again.endTime, score.endTime, accuracy: 1e-9, url.lastPathComponent)
            // A second round trip is byte-identical.
            XCTAssertEqual(again.midiData(), try MIDIScore(data: again.midiData()).midiData(), url.lastPathComponent)
        }
    }

    func testRawEventsRoundTrip() throws {
        let url = Fixtures.url("midi/format0_running_status.mid")
        let contents = try MIDIFileContents(contentsOf: url)
        XCTAssertEqual(contents.format, 0)
        XCTAssertEqual(contents.tracks.count, 1)
        let sysex = contents.tracks[0].events.filter { if case .sysex = $0.message { return true } else { return false } }
        XCTAssertEqual(sysex.count, 1)
        XCTAssertEqual(try MIDIFileContents(data: contents.encoded()), contents)
        let f2 = try MIDIFileContents(contentsOf: Fixtures.url("midi/format2_sequences.mid"))
        XCTAssertEqual(f2.format, 2)
        XCTAssertEqual(try MIDIFileContents(data: f2.encoded()), f2)
    }

    func testEditsWriteValidMIDI() throws {
        let score = try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))
        let faster = try score.scalingTempo(by: 1.25)
        XCTAssertEqual(faster.endTime, score.endTime / 1.25, accuracy: 1e-3)
        assertSameNotes(faster, try MIDIScore(data: faster.midiData()), "tempo x1.25")
        for (a, b) in zip(score.instruments[0].notes, faster.instruments[0].notes) {
            XCTAssertEqual(b.start, a.start / 1.25, accuracy: 1e-4)
        }

        let curved = try score.applyingTempoCurve { 1 + 0.2 * sin(2 * .pi * $0 / 3) }
        XCTAssertNotEqual(curved.endTime, score.endTime)
        let curvedBack = try MIDIScore(data: curved.midiData())
        assertSameNotes(curved, curvedBack, "tempo curve")
        XCTAssertEqual(curvedBack.instruments[3].notes.map(\.start), curved.instruments[3].notes.map(\.start))
        // Onsets stay in order and the curve changes local speed: inter-onset ratios vary.
        let s0 = score.instruments[3].notes.map(\.start), s1 = curved.instruments[3].notes.map(\.start)
        var ratios: [Double] = []
        for k in 1..<s0.count {
            let before: Double = s0[k] - s0[k - 1]
            let after: Double = s1[k] - s1[k - 1]
            ratios.append(after / before)
        }
        XCTAssertGreaterThan(ratios.max()! - ratios.min()!, 0.1)

        let up = score.transposed(by: 2)
        XCTAssertEqual(up.instruments[0].notes.map(\.pitch), score.instruments[0].notes.map { $0.pitch + 2 })
        XCTAssertEqual(up.instruments[2].notes.map(\.pitch), score.instruments[2].notes.map(\.pitch), "drums stay")
        assertSameNotes(up, try MIDIScore(data: up.midiData()), "transposed")

        let organ = try score.settingProgram(19, ofInstrument: 0)
        XCTAssertEqual(try MIDIScore(data: organ.midiData()).instruments[0].program, 19)
        let dropped = try score.droppingInstrument(2)
        let droppedBack = try MIDIScore(data: dropped.midiData())
        XCTAssertEqual(droppedBack.instruments.count, score.instruments.count - 1)
        XCTAssertFalse(droppedBack.instruments.contains { $0.isDrum })
        XCTAssertThrowsError(try score.droppingInstrument(9))
        XCTAssertThrowsError(try score.scalingTempo(by: 0))
    }
}
