import Foundation
import Refrain
import RefrainTestSupport
import XCTest

/// `CorpusSplit`: a seeded split by piece, written and read back as `key,split` CSV.
final class CorpusSplitTests: XCTestCase {
    let keys = (0..<50).map { String(format: "piece-%02d", $0) }

    /// Rounded fractions of the pieces (5 validation, 10 test of 50), disjoint parts covering every key once,
    /// each sorted; the same seed gives the same split whatever the order of the keys, another seed another one.
    func testDrawnSplitIsDisjointCompleteAndSeeded() throws {
        let split = try CorpusSplit.drawn(keys: keys, validation: 0.1, test: 0.2, seed: 7)
        XCTAssertEqual(split.keys(.validation).count, 5)
        XCTAssertEqual(split.keys(.test).count, 10)
        XCTAssertEqual(split.keys(.train).count, 35)
        let all = CorpusSplit.Part.allCases.flatMap { split.keys($0) }
        XCTAssertEqual(all.sorted(), keys)
        for part in CorpusSplit.Part.allCases { XCTAssertEqual(split.keys(part), split.keys(part).sorted()) }
        XCTAssertEqual(try CorpusSplit.drawn(keys: keys.reversed() + keys, validation: 0.1, test: 0.2, seed: 7), split)
        XCTAssertNotEqual(try CorpusSplit.drawn(keys: keys, validation: 0.1, test: 0.2, seed: 8), split)
        XCTAssertEqual(split.part(of: split.keys(.test)[0]), .test)
        XCTAssertNil(split.part(of: "not-a-piece"))
    }

    /// Three pieces keep one for each part even when the fractions round to none; fractions that leave nothing
    /// to train on, negative ones and no pieces are refused.
    func testSmallCorporaAndBadFractions() throws {
        let three = try CorpusSplit.drawn(keys: ["a", "b", "c"], validation: 0.05, test: 0.05, seed: 1)
        XCTAssertEqual(CorpusSplit.Part.allCases.map { three.keys($0).count }, [1, 1, 1])
        XCTAssertThrowsError(try CorpusSplit.drawn(keys: keys, validation: 0.5, test: 0.5, seed: 1))
        XCTAssertThrowsError(try CorpusSplit.drawn(keys: keys, validation: -0.1, test: 0.2, seed: 1))
        XCTAssertThrowsError(try CorpusSplit.drawn(keys: [], seed: 1))
    }

    /// The CSV is sorted by key with a header, reads back to the same split (also from a file), and a line
    /// naming an unknown part is refused with its line number.
    func testCSVRoundTripAndBadLines() throws {
        let split = try CorpusSplit.drawn(keys: keys, seed: 3)
        let lines = split.csv.split(separator: "\n")
        XCTAssertEqual(lines.first, "key,split")
        XCTAssertEqual(lines.dropFirst().map { String($0.split(separator: ",")[0]) }, keys)
        XCTAssertEqual(try CorpusSplit.parse(split.csv, name: "split.csv"), split)
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("split.csv")
        try split.write(to: url)
        XCTAssertEqual(try CorpusSplit.read(url), split)
        XCTAssertThrowsError(try CorpusSplit.parse("key,split\na,train\nb,holdout\n", name: "bad.csv")) { error in
            XCTAssertTrue("\(error)".contains("line 3"), "\(error)")
        }
        XCTAssertThrowsError(try CorpusSplit.read(dir.appendingPathComponent("missing.csv")))
    }

    /// The MIDI files of a folder by extension, keyed without extension and sorted; a folder without MIDI files
    /// and a missing folder are refused.
    func testPiecesListsMIDIFilesOnly() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for name in ["b.mid", "a.midi", "notes.txt", "c.wav"] {
            try Data([0]).write(to: dir.appendingPathComponent(name))
        }
        XCTAssertEqual(try CorpusSplit.pieces(in: dir).map(\.key), ["a", "b"])
        let empty = dir.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        XCTAssertThrowsError(try CorpusSplit.pieces(in: empty))
        XCTAssertThrowsError(try CorpusSplit.pieces(in: dir.appendingPathComponent("missing")))
    }
}
