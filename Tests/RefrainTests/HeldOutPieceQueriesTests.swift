import Foundation
@testable import Refrain
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// `HeldOutPieceQueries`: tune queries from the held-out (test-part) pieces whose recordings the bench indexed.
final class HeldOutPieceQueriesTests: XCTestCase {
    /// `parts` pitched parts on channels 0, 1, ..., each eight quarter notes at 120 qpm (4 s), 480 ticks per quarter.
    static func score(parts: Int) -> MIDIScore {
        var score = MIDIScore(resolution: 480, instruments: (0..<parts).map { part in
            MIDIInstrument(program: 10 * part, channel: part, track: part, notes: (0..<8).map { k in
                MIDINote(start: 0, end: 0, pitch: 60 + 4 * part + k % 3, velocity: 90, startTick: 480 * k, endTick: 480 * k + 400)
            })
        })
        score.retime()
        return score
    }

    /// Only test-part pieces qualify, and only those whose recording (`distractor-<key>`) is indexed: a trained
    /// or validation piece's recording, or a test piece indexed under its bare key, does not.
    func testEligiblePiecesAreHeldOutAndIndexed() {
        let split = CorpusSplit(parts: [.train: ["a", "b"], .validation: ["c"], .test: ["d", "e", "f"]])
        let indexed: Set<String> = ["distractor-a", "distractor-c", "distractor-d", "distractor-f", "e"]
        XCTAssertEqual(HeldOutPieceQueries.eligible(pieces: split.keys(.test), indexedKeys: indexed), ["d", "f"])
    }

    /// From the sixteenth round any never-used piece qualifies (not only the test part) when its recording is indexed.
    func testEligibleNeverUsedPiecesAreThoseIndexed() {
        let indexed: Set<String> = ["distractor-a", "distractor-c", "distractor-d", "e"]
        XCTAssertEqual(HeldOutPieceQueries.eligible(pieces: ["d", "c", "e", "g"], indexedKeys: indexed), ["c", "d"])
    }

    /// The same keys and seed choose the same pieces whatever their order; another seed others; at most `count`,
    /// sorted, all of them when there are fewer.
    func testChoiceIsSeededSortedAndBounded() {
        let keys = (0..<40).map { String(format: "p%02d", $0) }
        let chosen = HeldOutPieceQueries.chosen(keys, count: 10, seed: 3)
        XCTAssertEqual(chosen.count, 10)
        XCTAssertEqual(chosen, chosen.sorted())
        XCTAssertTrue(Set(chosen).isSubset(of: keys))
        XCTAssertEqual(HeldOutPieceQueries.chosen(keys.reversed(), count: 10, seed: 3), chosen)
        XCTAssertNotEqual(HeldOutPieceQueries.chosen(keys, count: 10, seed: 4), chosen)
        XCTAssertEqual(HeldOutPieceQueries.chosen(keys, count: 100, seed: 3), keys)
        XCTAssertEqual(HeldOutPieceQueries.chosen(keys, count: 0, seed: 3), [])
    }

    /// Each query is the development set's MIDI query of its piece (a tempo change within 0.8-1.25, the first part
    /// on a program within 0-79, one of several parts dropped), drawn from the seed and the key, written once, and
    /// names the piece's recording as its true match; a key without a MIDI file is refused.
    func testQueriesAreMadeAsTheDevelopmentSetsAndPointAtTheRecordings() throws {
        let root = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let corpus = root.appendingPathComponent("corpus"), out = root.appendingPathComponent("queries")
        try FileManager.default.createDirectory(at: corpus, withIntermediateDirectories: true)
        let scores = ["p1": Self.score(parts: 3), "p2": Self.score(parts: 1)]
        for (key, score) in scores { try score.write(to: corpus.appendingPathComponent("\(key).mid")) }

        let queries = try HeldOutPieceQueries.queries(keys: ["p1", "p2"], corpus: corpus, directory: out, seed: 9)
        XCTAssertEqual(queries.map(\.id), ["p1-heldout-midi", "p2-heldout-midi"])
        XCTAssertEqual(queries.map(\.relevant), [["distractor-p1"], ["distractor-p2"]])
        XCTAssertEqual(queries.map(\.task), [MIDIToAudioTask().name, MIDIToAudioTask().name])
        for (query, key) in zip(queries, ["p1", "p2"]) {
            let original = try MIDIScore(contentsOf: corpus.appendingPathComponent("\(key).mid"))
            let played = try MIDIScore(contentsOf: URL(fileURLWithPath: query.path))
            var random = SplitMix64(seed: 9 ^ FNV1a.hash(key))
            let expected = try DevelopmentSet.midiQueryScore(original, random: &random)
            XCTAssertEqual(played.instruments.map(\.program), expected.instruments.map(\.program))
            XCTAssertEqual(played.instruments.map { $0.notes.map(\.pitch) }, expected.instruments.map { $0.notes.map(\.pitch) })
            XCTAssertEqual(played.endTime, expected.endTime, accuracy: 0.01)
            XCTAssertEqual(played.instruments.count, max(1, original.instruments.count - (original.instruments.count > 1 ? 1 : 0)))
            XCTAssertTrue((0.8...1.25).contains(original.endTime / played.endTime), "tempo x\(original.endTime / played.endTime)")
            XCTAssertTrue((0...79).contains(played.instruments[0].program))
        }
        // p2's only part moved to a drawn program: 0 is its own, so a draw of 0 would hide the change; this seed draws another.
        XCTAssertNotEqual(try MIDIScore(contentsOf: URL(fileURLWithPath: queries[1].path)).instruments[0].program, 0)

        // Written once: a second call reads the same files; another seed writes other ones.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: queries[0].path))
        XCTAssertEqual(try HeldOutPieceQueries.queries(keys: ["p1", "p2"], corpus: corpus, directory: out, seed: 9).map(\.path), queries.map(\.path))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: queries[0].path)), bytes)
        XCTAssertNotEqual(try HeldOutPieceQueries.queries(keys: ["p1"], corpus: corpus, directory: out, seed: 10)[0].path, queries[0].path)

        XCTAssertThrowsError(try HeldOutPieceQueries.queries(keys: ["p3"], corpus: corpus, directory: out, seed: 9)) { error in
            XCTAssertTrue("\(error)".contains("p3.mid"), "\(error)")
        }
    }

    /// The split must be the one drawn from the corpus with the training scripts' seed: that split passes, a split
    /// with one trained piece moved into the test part, or drawn with another seed, is refused.
    func testOnlyTheTrainingScriptsSplitIsAccepted() throws {
        let corpus = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: corpus) }
        let score = Self.score(parts: 1)
        let keys = (0..<20).map { String(format: "piece-%02d", $0) }
        for key in keys { try score.write(to: corpus.appendingPathComponent("\(key).mid")) }
        let split = try CorpusSplit.drawn(keys: keys, seed: HeldOutPieceQueries.trainingSeed)
        XCTAssertNoThrow(try HeldOutPieceQueries.verify(split, corpus: corpus))

        var parts = Dictionary(uniqueKeysWithValues: CorpusSplit.Part.allCases.map { ($0, split.keys($0)) })
        let moved = parts[.train]!.removeFirst()
        parts[.test]!.append(moved)
        XCTAssertThrowsError(try HeldOutPieceQueries.verify(CorpusSplit(parts: parts), corpus: corpus))
        let other = try CorpusSplit.drawn(keys: keys, seed: HeldOutPieceQueries.trainingSeed + 1)
        XCTAssertNotEqual(other, split)
        XCTAssertThrowsError(try HeldOutPieceQueries.verify(other, corpus: corpus))
    }
}
