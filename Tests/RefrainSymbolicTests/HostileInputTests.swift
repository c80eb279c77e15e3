import Foundation
import RefrainMath
import RefrainSymbolic
import XCTest

/// Broken and hostile files: a one-line `.invalidFile` error, quickly, with no large allocation.
final class HostileInputTests: XCTestCase {
    func header(format: Int = 1, tracks: Int = 1, division: Int = 480) -> [UInt8] {
        [0x4D, 0x54, 0x68, 0x64, 0, 0, 0, 6, 0, UInt8(format), UInt8(tracks >> 8), UInt8(tracks & 0xFF),
         UInt8(division >> 8), UInt8(division & 0xFF)]
    }

    func trackChunk(_ body: [UInt8], declared: Int? = nil) -> [UInt8] {
        let n = declared ?? body.count
        return [0x4D, 0x54, 0x72, 0x6B, UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + body
    }

    let goodBody: [UInt8] = [0x00, 0x90, 60, 100, 0x60, 0x80, 60, 0, 0x00, 0xFF, 0x2F, 0x00]

    func assertInvalid(_ bytes: [UInt8], contains fragment: String, file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        XCTAssertThrowsError(try MIDIScore(data: Data(bytes), name: "hostile.mid"), file: file, line: line) { error in
            guard let e = error as? RefrainError else { return XCTFail("not a RefrainError: \(error)", file: file, line: line) }
            XCTAssertTrue([.invalidFile, .unsupported].contains(e.kind), file: file, line: line)
            XCTAssertFalse(e.message.contains("\n"), file: file, line: line)
            XCTAssertTrue(e.message.contains(fragment), "\(e.message) lacks \(fragment)", file: file, line: line)
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 1, file: file, line: line)
    }

    func testGoodFileReads() throws {
        let score = try MIDIScore(data: Data(header() + trackChunk(goodBody)))
        XCTAssertEqual(score.noteCount, 1)
        XCTAssertEqual(score.instruments[0].notes[0].end, 0.1, accuracy: 1e-12)
    }

    func testEmptyAndGarbage() {
        assertInvalid([], contains: "too short")
        assertInvalid(Array("RIFF....WAVEfmt garbage".utf8), contains: "no MThd")
        assertInvalid(header(format: 7) + trackChunk(goodBody), contains: "format 7")
        assertInvalid(header(division: 0) + trackChunk(goodBody), contains: "time division")
        assertInvalid(header(division: 0xE728) + trackChunk(goodBody), contains: "SMPTE")
    }

    func testTruncatedChunks() {
        let whole = header() + trackChunk(goodBody)
        for cut in [15, 20, 22, whole.count - 3] {
            assertInvalid(Array(whole[0..<cut]), contains: "hostile.mid")
        }
    }

    func testWrongChunkLengths() {
        // Declared longer than the file: refused before reading.
        assertInvalid(header() + trackChunk(goodBody, declared: 0x7FFF_FFFF), contains: "declares 2147483647 bytes")
        // A gigabyte-sized header length.
        var h = header()
        h[4] = 0x40
        assertInvalid(h + trackChunk(goodBody), contains: "header chunk length")
        // Declared shorter than the events: the event that crosses the end is an error.
        assertInvalid(header() + trackChunk(goodBody, declared: 6) + [0xFF, 0x2F, 0x00], contains: "runs past the end")
    }

    func testEndlessVLQ() {
        let body: [UInt8] = [0x81, 0x82, 0x83, 0x84, 0x85, 0x00, 0x90, 60, 100]
        assertInvalid(header() + trackChunk(body), contains: "longer than 4 bytes")
        let meta: [UInt8] = [0x00, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]
        assertInvalid(header() + trackChunk(meta), contains: "longer than 4 bytes")
        let bigMeta: [UInt8] = [0x00, 0xFF, 0x01, 0xFF, 0xFF, 0xFF, 0x7F, 0x00]  // 256 MB text in a 8-byte track
        assertInvalid(header() + trackChunk(bigMeta), contains: "runs past the end")
    }

    func testMissingEndOfTrackIsTolerated() throws {
        let body = Array(goodBody.dropLast(4))
        let score = try MIDIScore(data: Data(header() + trackChunk(body)))
        XCTAssertEqual(score.noteCount, 1)
    }

    func testAbsurdTrackCounts() {
        assertInvalid(header(tracks: 65535) + trackChunk(goodBody), contains: "promises 65535 tracks")
        assertInvalid(header(tracks: 2) + trackChunk(goodBody), contains: "ends after 1")
    }

    func testRunningStatusWithoutStatusAndBadDataBytes() {
        assertInvalid(header() + trackChunk([0x00, 0x3C, 0x40]), contains: "without a status byte")
        assertInvalid(header() + trackChunk([0x00, 0x90, 0x3C, 0xC0]), contains: ">= 0x80")
    }

    func testHugeTicksAreRefused() {
        // 40 deltas of 2^28 - 1 ticks: far beyond pretty_midi's MAX_TICK.
        var body: [UInt8] = []
        for _ in 0..<40 { body += [0xFF, 0xFF, 0xFF, 0x7F, 0x90, 60, 100] }
        assertInvalid(header() + trackChunk(body), contains: "likely corrupt")
    }

    func testZeroTempo() {
        assertInvalid(header() + trackChunk([0x00, 0xFF, 0x51, 0x03, 0, 0, 0] + goodBody), contains: "tempo of 0")
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = SystemRandomNumberGenerator()
        let seed = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/midi/format1_everything.mid"))
        for _ in 0..<3000 {
            var bytes = [UInt8](seed)
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: i)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
                }
            }
            if let score = try? MIDIScore(data: Data(bytes)) {
                _ = try? score.pianoRoll(fs: 20)
                _ = score.downbeats()
                _ = score.midiData()
            }
        }
    }
}
