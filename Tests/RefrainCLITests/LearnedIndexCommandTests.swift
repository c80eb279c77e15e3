import Foundation
import RefrainAudio
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// `refrain index create --learned` stores the shipped hasher's sequences and embedder's vectors and offers the learned cascade's
/// tasks; a plain index refuses them with one line that says how to get them.
final class LearnedIndexCommandTests: XCTestCase {
    func testLearnedIndexOffersTheHashedCascadeAndAPlainOneSaysHowToGetIt() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Two scores of different random melodies, and a "recording" of each rendered from the score.
        var urls: [URL] = []
        for (name, seed) in [("a", UInt64(5)), ("b", UInt64(9))] {
            let pitches = pseudoRandomWords(48, seed: seed).map { 55 + Int(($0 >> 33) % 20) }
            let notes = pitches.enumerated().map { i, pitch -> MIDINote in
                let start = Double(i) * 0.4, end = start + 0.38  // 440 ticks a second: 220 per quarter at 120 bpm
                return MIDINote(start: start, end: end, pitch: pitch, velocity: 90, startTick: Int(start * 440), endTick: Int(end * 440))
            }
            let score = directory.appendingPathComponent("\(name).mid")
            try MIDIScore(instruments: [MIDIInstrument(program: 0, notes: notes)]).write(to: score)
            urls.append(score)
        }
        let recordings = directory.appendingPathComponent("rec")
        try FileManager.default.createDirectory(at: recordings, withIntermediateDirectories: true)
        for score in urls {
            assertSuccess(try refrain("midi", "render", score.path, "--out",
                                      recordings.appendingPathComponent(score.deletingPathExtension().lastPathComponent + ".wav").path), "render")
        }
        let learned = directory.appendingPathComponent("learned").path, plain = directory.appendingPathComponent("plain").path
        assertSuccess(try refrain("index", "create", learned, "--learned"), "create --learned")
        assertSuccess(try refrain("add", learned, recordings.path), "add")
        let stats = assertSuccess(try refrain("stats", learned), "stats")
        XCTAssertTrue(stats.contains("hashes/1@"), stats)
        XCTAssertTrue(stats.contains("embedding/1@"), stats)
        XCTAssertTrue(stats.contains("midi-to-audio-hashed"), stats)
        let hashed = assertSuccess(try refrain("query", learned, urls[1].path, "--task", "midi-to-audio-hashed", "--top", "1"), "hashed query")
        XCTAssertTrue(hashed.contains(" b "), hashed)

        assertSuccess(try refrain("index", "create", plain), "create")
        assertOneLineError(try refrain("query", plain, urls[0].path, "--task", "midi-to-audio-hashed"),
                           mentioning: ["'embedding'", "reindex", "--learned"], "learned cascade query on a plain index")
        // The plain index gains the learned arrays by re-encoding, keeping its other encoders' arrays.
        assertSuccess(try refrain("add", plain, recordings.path), "add to the plain index")
        let reindexed = assertSuccess(try refrain("reindex", plain, "--learned"), "reindex --learned")
        XCTAssertTrue(reindexed.contains("embedding/1@") && reindexed.contains("hashes/1@"), reindexed)
        let plainStats = assertSuccess(try refrain("stats", plain), "stats after reindex --learned")
        XCTAssertTrue(plainStats.contains("embedding/1@") && plainStats.contains("cens/1:"), plainStats)
        let found = assertSuccess(try refrain("query", plain, urls[0].path, "--task", "midi-to-audio-hashed", "--top", "1"), "hashed query after reindex")
        XCTAssertTrue(found.contains(" a "), found)
        assertOneLineError(try refrain("index", "create", directory.appendingPathComponent("f").path, "--analyzer", "features", "--learned"),
                           mentioning: ["--learned"], "--learned on a features index")
    }
}
