import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

final class MelodyPartTests: XCTestCase {
    static func note(_ start: Double, _ end: Double, _ pitch: Int) -> MIDINote {
        MIDINote(start: start, end: end, pitch: pitch, velocity: 80, startTick: Int(start * 480), endTick: Int(end * 480))
    }

    /// A tune (E D C D E E E) with block chords below it and a sustained string pad above it.
    static func arrangement(melodyName: String, padName: String, chordsName: String) -> MIDIScore {
        let tune = [64, 62, 60, 62, 64, 64, 64].enumerated().map { note(Double($0.offset) * 0.5, Double($0.offset) * 0.5 + 0.45, $0.element) }
        var chords: [MIDINote] = []
        for bar in 0..<4 { for p in [48, 52, 55] { chords.append(note(Double(bar), Double(bar) + 0.95, p)) } }
        let pad = [note(0, 3.9, 76), note(0, 3.9, 79), note(0, 3.9, 84)]
        return MIDIScore(instruments: [
            MIDIInstrument(program: 0, name: chordsName, track: 1, notes: chords),
            MIDIInstrument(program: 48, name: padName, track: 2, notes: pad),
            MIDIInstrument(program: 73, name: melodyName, track: 3, notes: tune),
            MIDIInstrument(program: 0, isDrum: true, name: "Drums", channel: 9, track: 4, notes: (0..<16).map { note(Double($0) * 0.25, Double($0) * 0.25 + 0.1, 36) }),
        ])
    }

    func testNamedMelodyBeatsAHigherPadAndTheChords() throws {
        let score = Self.arrangement(melodyName: "Flute (melody)", padName: "Strings", chordsName: "Piano")
        XCTAssertEqual(score.melodyPart(), 2)
        XCTAssertEqual(score.hummableMelody().map(\.pitch), [64, 62, 60, 62, 64, 64, 64])
        // Repeated notes stay separate notes.
        XCTAssertEqual(score.hummableMelody().count, 7)
    }

    func testUnnamedPartsFallBackToTheHighestMonophonicLine() throws {
        var score = Self.arrangement(melodyName: "", padName: "", chordsName: "")
        score.instruments.remove(at: 1)  // no pad: the tune is the highest line and has no chords
        XCTAssertEqual(score.melodyPart(), 1)
        let scores = score.melodyPartScores()
        XCTAssertEqual(scores.count, 2, "the drum part is never a candidate")
        XCTAssertGreaterThan(scores[1].polyphony, 0.9)
    }

    func testAccompanimentNamesLose() {
        let score = Self.arrangement(melodyName: "Violin II", padName: "Soprano", chordsName: "Bass")
        XCTAssertEqual(score.melodyPart(), 1)  // "Soprano" wins although its part holds chords
    }

    func testPitchSequenceIsFrameWise() throws {
        let notes = [MelodyNote(onset: 0, duration: 0.5, pitch: 60), MelodyNote(onset: 0.75, duration: 0.25, pitch: 67)]
        let seq = try melodyPitchSequence(notes, frameRate: 4)
        XCTAssertEqual(seq.count, 4)
        XCTAssertEqual(seq[0], 60); XCTAssertEqual(seq[1], 60); XCTAssertTrue(seq[2].isNaN); XCTAssertEqual(seq[3], 67)
        XCTAssertThrowsError(try melodyPitchSequence(notes, frameRate: 0))
    }

    /// On every multi-part melodic piece of the development corpora, the chosen part is the manifest's tune (its
    /// first part) or sounds the same line (the same skyline pitch on 90 % of the tune's frames: a doubling).
    func testRuleFindsTheTuneOfTheCorpus() throws {
        guard let corpus = Fixtures.corpus else { throw XCTSkip("../shared/corpus is absent") }
        var total = 0, right = 0, wrong: [String] = []
        for folder in [corpus, corpus.deletingLastPathComponent().appendingPathComponent("train-corpus")] {
            guard let manifest = try? String(contentsOf: folder.appendingPathComponent("manifest.csv"), encoding: .utf8) else { continue }
            for line in manifest.split(whereSeparator: \.isNewline).dropFirst() {
                let f = line.split(separator: ",", omittingEmptySubsequences: false)
                guard f.count >= 7, f[f.count - 1] == "True", let parts = Int(f[4]), parts > 1 else { continue }
                let score = try MIDIScore(contentsOf: folder.appendingPathComponent(String(f[1])))
                let withNotes = score.instruments.indices.filter { !score.instruments[$0].isDrum && !score.instruments[$0].notes.isEmpty }
                guard let first = withNotes.first, let chosen = score.melodyPart() else { continue }
                total += 1
                if chosen == first { right += 1; continue }
                let a = try score.melodyContour(fs: 20, instrument: first), b = try score.melodyContour(fs: 20, instrument: chosen)
                let sounding = a.indices.filter { a[$0] > 0 }
                let same = sounding.filter { $0 < b.count && b[$0] == a[$0] }.count
                if Double(same) >= 0.9 * Double(sounding.count) { right += 1 } else { wrong.append(String(f[0])) }
            }
        }
        let accuracy = Double(right) / Double(max(total, 1))
        print("melody part rule: \(right) of \(total) multi-part melodic pieces (\(accuracy)); wrong: \(wrong.prefix(20))")
        XCTAssertGreaterThan(total, 40)
        XCTAssertGreaterThanOrEqual(accuracy, 0.95)
    }
}
