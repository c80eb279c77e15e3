import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// Bad input files given to `refrain features` and `refrain align`: each run ends with a non-zero status,
/// no signal, and exactly one line `error: ...` on standard error that names the file and the problem.
final class CommandErrorTests: XCTestCase {
    var directory: URL!
    /// A valid 2 s WAV (a 440 Hz tone at 22050 Hz), the other input of `align`.
    var good: String!

    override func setUpWithError() throws {
        directory = try Fixtures.temporaryDirectory()
        let url = directory.appendingPathComponent("good.wav")
        try writeAudio((0..<44100).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / 22050)) }, sampleRate: 22050, to: url)
        good = url.path
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func file(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    let mpegHeaderThenZeros: [UInt8] = [0xFF, 0xFB, 0x90, 0x64] + [UInt8](repeating: 0, count: 600)

    /// The bad inputs and what their error must say besides the file's name.
    func badInputs() throws -> [(path: String, featuresSays: String, alignSays: String)] {
        let wav = [UInt8](try Data(contentsOf: URL(fileURLWithPath: good)))
        // A header chunk announcing 4 GiB, then bytes; and a header cut short.
        let badChunk = Array("MThd".utf8) + [0, 0, 0, 6, 0, 1, 0, 2, 1, 0xE0] + Array("MTrk".utf8) + [0xFF, 0xFF, 0xFF, 0xFF]
            + Array("not events at all".utf8)
        return [
            (directory.appendingPathComponent("missing.wav").path, "no such file", "no such file"),
            (try file("empty.wav", []), "empty file", "empty file"),
            (try file("text.wav", Array("This is a text file, not a recording.\n".utf8)), "not a readable audio file", "not a readable audio file"),
            // Cut inside the header: the data chunk is gone.
            (try file("truncated.wav", Array(wav.prefix(30))), "not a readable audio file", "not a readable audio file"),
            // Cut inside the sample data: libsndfile alone would decode the rest as a shorter recording.
            (try file("cut.wav", Array(wav.prefix(wav.count * 6 / 10))), "truncated", "truncated"),
            (try file("garbage.mid", badChunk), "declares 4294967295 bytes", "declares 4294967295 bytes"),
            (try file("short.mid", Array("MThd".utf8) + [0, 0, 0, 6, 0]), "MIDI", "MIDI"),
            // An MPEG frame header (MPEG-1 layer III, 128 kb/s, 44.1 kHz) and zeros: libsndfile's MP3 decoder
            // (libmpg123) would print "Note: Illegal Audio-MPEG-Header ..." lines on standard error.
            (try file("damaged.mp3", mpegHeaderThenZeros), "not a readable audio file", "not a readable audio file"),
            (try file("noise.mid", mpegHeaderThenZeros), "MThd", "MThd"),
            // Text named .mp3: libsndfile knows no container by its first bytes and goes by the extension, so
            // libmpg123 reads it and would print its "Note:" lines too.
            (try file("text.mp3", Array("This is a text file, not a recording.\n".utf8)), "not a readable audio file", "not a readable audio file"),
        ]
    }

    func testFeaturesReportsBadFilesInOneLine() throws {
        for input in try badInputs() {
            let name = URL(fileURLWithPath: input.path).lastPathComponent
            assertOneLineError(try RefrainExecutable.run(["features", input.path]), mentioning: [name, input.featuresSays], "features \(name)")
        }
    }

    func testAlignReportsBadFilesInOneLine() throws {
        for input in try badInputs() {
            let name = URL(fileURLWithPath: input.path).lastPathComponent
            assertOneLineError(try RefrainExecutable.run(["align", input.path, good]), mentioning: [name, input.alignSays], "align \(name) good.wav")
            assertOneLineError(try RefrainExecutable.run(["align", good, input.path]), mentioning: [name, input.alignSays], "align good.wav \(name)")
        }
    }
}
