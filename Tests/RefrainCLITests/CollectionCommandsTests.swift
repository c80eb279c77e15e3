import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// `refrain index create`, `add --manifest` with works, `query --by work --path --json`, `stats --json`,
/// `reindex`, as a user runs them.
final class CollectionCommandsTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// `seconds` of piece `seed`: a melody of random notes (seeded, two octaves from G3), two a second, from
    /// second `from` of the piece, `tempo` times faster.
    func writePiece(_ name: String, seed: UInt64, seconds: Double = 24, tempo: Double = 1, from: Double = 0) throws -> URL {
        let sr = 22050.0
        let notes = pseudoRandomWords(80, seed: seed).map { 55 + Int(($0 >> 33) % 24) }
        let samples = (0..<Int(seconds * sr)).map { n -> Float in
            let t = from + Double(n) / sr * tempo
            let note = notes[Int(t * 2) % notes.count]
            return Float(0.3 * sin(2 * .pi * 440 * pow(2, Double(note - 69) / 12) * t))
        }
        let url = directory.appendingPathComponent(name)
        try writeAudio(samples, sampleRate: 22050, to: url)
        return url
    }

    func testWorksPathsEncodersAndReindexOnTheCommandLine() throws {
        let index = directory.appendingPathComponent("lib").path
        _ = try writePiece("a-take1.wav", seed: 11)
        _ = try writePiece("a-take2.wav", seed: 11, tempo: 0.95)
        _ = try writePiece("b.wav", seed: 22)
        _ = try writePiece("c.wav", seed: 33)
        let manifest = directory.appendingPathComponent("items.csv")
        try "key,path,title,work\na-take1,a-take1.wav,First take,piece-a\na-take2,a-take2.wav,,piece-a\nb,b.wav,B,\nc,c.wav,,\n"
            .write(to: manifest, atomically: true, encoding: .utf8)
        assertSuccess(try RefrainExecutable.run(["index", "create", index]), "create")
        assertSuccess(try RefrainExecutable.run(["add", index, "--manifest", manifest.path]), "add")

        let list = assertSuccess(try RefrainExecutable.run(["list", index]), "list")
        XCTAssertTrue(list.contains("a-take2\taudio") && list.contains("\tpiece-a\t"), list)

        let query = try writePiece("query.wav", seed: 11, seconds: 10, tempo: 1.1, from: 3)
        let byWork = assertSuccess(try RefrainExecutable.run(["query", index, query.path, "--by", "work", "--json", "--path"]), "query by work")
        let results = try JSONSerialization.jsonObject(with: Data(byWork.utf8)) as? [String: Any]
        let result = try XCTUnwrap((results?["results"] as? [[String: Any]])?.first)
        XCTAssertEqual(result["by"] as? String, "work")
        XCTAssertEqual(result["task"] as? String, "audio-match")
        let ranking = try XCTUnwrap(result["ranking"] as? [[String: Any]])
        XCTAssertEqual(ranking.first?["work"] as? String, "piece-a", byWork)
        XCTAssertEqual(Set(ranking.compactMap { $0["work"] as? String }), ["piece-a", "b", "c"], "one entry per work")
        XCTAssertEqual(ranking.count, 3)
        let path = try XCTUnwrap(ranking.first?["path"] as? [[Double]], byWork)
        XCTAssertGreaterThan(path.count, 3)
        XCTAssertTrue(path.allSatisfy { $0.count == 2 })

        let stats = assertSuccess(try RefrainExecutable.run(["stats", index, "--json"]), "stats")
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])
        XCTAssertEqual(parsed["items"] as? Int, 4)
        let encoders = try XCTUnwrap(parsed["encoders"] as? [[String: Any]])
        XCTAssertEqual(encoders.compactMap { $0["name"] as? String }.sorted(), ["cens", "cens_fine", "cqt_beats", "crp", "crp_coarse", "melody"])
        let versions = ["cens": 1, "cens_fine": 1, "cqt_beats": 1, "crp": 1, "crp_coarse": 1, "melody": 2]
        for encoder in encoders {
            XCTAssertEqual(encoder["version"] as? Int, versions[encoder["name"] as? String ?? ""], "\(encoder)")
            XCTAssertEqual(encoder["dtype"] as? String, "float32")
            XCTAssertNotNil(encoder["dims"] as? Int)
            XCTAssertTrue(encoder.keys.contains("weights_sha256") || encoder["weights_sha256"] == nil)
        }
        XCTAssertEqual(parsed["tasks"] as? [String], ["midi-to-audio", "audio-match", "version", "humming"])

        let reindex = assertSuccess(try RefrainExecutable.run(["reindex", index]), "reindex")
        XCTAssertTrue(reindex.contains("0 re-encoded, 4 already current"), reindex)

        assertOneLineError(try RefrainExecutable.run(["query", index, query.path, "--by", "album"]), mentioning: ["--by", "album"], "bad --by")
        assertOneLineError(try RefrainExecutable.run(["query", index, query.path, "--task", "karaoke"]), mentioning: ["unknown task"], "bad task")
        assertOneLineError(try RefrainExecutable.run(["query", index, query.path, "--threads", "0"]), mentioning: ["--threads"], "bad threads")
    }
}
