import Foundation
@testable import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// Files cut short are told from whole ones by their container: a one-line "truncated" error, from a path
/// and from memory, and no complaint about any whole file.
final class ContainerLengthTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Two seconds of a tone with noise bursts (so that an MP3 encoder varies its bitrate), two channels.
    func music(seconds: Double = 2) -> [Float] {
        var state: UInt32 = 12345
        return (0..<Int(seconds * 44100)).flatMap { i -> [Float] in
            state = state &* 1_664_525 &+ 1_013_904_223
            let noise = Float(state >> 8) / Float(1 << 24) - 0.5
            let burst: Float = (i / 4410) % 3 == 0 ? 0.5 : 0.02
            let v = 0.3 * sin(Float(i) * 0.06) + burst * noise
            return [v, 0.8 * v]
        }
    }

    func written(_ format: AudioFileFormat, _ name: String) throws -> [UInt8] {
        let url = directory.appendingPathComponent(name)
        try writeAudio(music(), sampleRate: 44100, channels: 2, format: format, to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    func store(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func expectTruncated(_ bytes: [UInt8], _ name: String, saying text: String,
                         file: StaticString = #filePath, line: UInt = #line) throws {
        let url = try store(bytes, name)
        for attempt in [{ try AudioDecoder().decode(url) }, { try AudioDecoder().decode(data: Data(bytes), name: name) }] {
            XCTAssertThrowsError(try attempt(), file: file, line: line) { error in
                let message = (error as? RefrainError)?.message ?? "\(error)"
                print("\(name): \(message)")
                XCTAssertEqual((error as? RefrainError)?.kind, .invalidFile, file: file, line: line)
                XCTAssertTrue(message.contains("truncated") && message.contains(text), message, file: file, line: line)
                XCTAssertFalse(message.contains("\n"), file: file, line: line)
            }
        }
    }

    func testWholeFilesAreNotFlagged() throws {
        for (format, ext) in [(AudioFileFormat.wav16, "wav"), (.wavFloat, "wav"), (.flac, "flac"), (.oggVorbis, "ogg"), (.mp3, "mp3")] {
            let bytes = try written(format, "whole-\(format).\(ext)")
            XCTAssertNil(ContainerLength.truncation(in: ByteSource(bytes: bytes)), "\(format)")
            let decoded = try AudioDecoder(targetSampleRate: nil).decode(try store(bytes, "whole.\(ext)"))
            XCTAssertEqual(Double(decoded.info.frames), 88200, accuracy: format == .mp3 ? 1152 : 0, "\(format)")
        }
    }

    func testWAVCutInsideItsData() throws {
        let bytes = try written(.wav16, "w.wav")
        try expectTruncated(Array(bytes.prefix(bytes.count * 6 / 10)), "cut.wav", saying: "bytes of sample data")
        // Even one missing byte is a cut.
        XCTAssertNotNil(ContainerLength.truncation(in: ByteSource(bytes: Array(bytes.dropLast()))))
    }

    func testRIFFChunksAreWalkedWithTheirPadding() {
        // An odd-sized LIST chunk (padded to even) before the data, a trailing chunk after it.
        let payload = [UInt8](repeating: 7, count: 400)
        let list = Array("LIST".utf8) + le32(5) + Array("INFOx".utf8) + [0]
        let whole = riff(before: list, declared: 400, payload: payload) + Array("junk".utf8) + le32(2) + [1, 2]
        XCTAssertNil(ContainerLength.truncation(in: ByteSource(bytes: whole)))
        let cut = riff(before: list, declared: 400, payload: Array(payload.prefix(300)))
        XCTAssertEqual(ContainerLength.truncation(in: ByteSource(bytes: cut)),
                       "the header announces 400 bytes of sample data but the file holds 300")
        // Streaming writers' placeholders are not claims.
        for placeholder: UInt32 in [0, 0xFFFF_FFFF, 0x8000_0000] {
            XCTAssertNil(ContainerLength.truncation(in: ByteSource(bytes: riff(before: [], declared: placeholder, payload: payload))))
        }
    }

    func testRF64TakesTheDataSizeFromDS64() {
        let payload = [UInt8](repeating: 3, count: 400)
        func rf64(dataSize: UInt64) -> [UInt8] {
            let ds64 = Array("ds64".utf8) + le32(28) + le64(0) + le64(dataSize) + le64(dataSize / 2) + le32(0)
            var bytes = riff(before: ds64, declared: 0xFFFF_FFFF, payload: payload)
            bytes.replaceSubrange(0..<4, with: Array("RF64".utf8))
            return bytes
        }
        XCTAssertNil(ContainerLength.truncation(in: ByteSource(bytes: rf64(dataSize: 400))))
        XCTAssertEqual(ContainerLength.truncation(in: ByteSource(bytes: rf64(dataSize: 1000))),
                       "the header announces 1000 bytes of sample data but the file holds 400")
    }

    func testAIFFCutInsideItsData() throws {
        let frames = 2000
        let samples = (0..<frames).flatMap { i -> [UInt8] in
            let v = Int16(3000 * sin(Double(i) * 0.05))
            return [UInt8(UInt16(bitPattern: v) >> 8), UInt8(UInt16(bitPattern: v) & 0xFF)]
        }
        // COMM: 1 channel, `frames` frames, 16 bits, 44100 Hz as an 80-bit extended float.
        let comm = Array("COMM".utf8) + be32(18) + [0, 1] + be32(UInt32(frames)) + [0, 16]
            + [0x40, 0x0E, 0xAC, 0x44, 0, 0, 0, 0, 0, 0]
        let ssnd = Array("SSND".utf8) + be32(UInt32(8 + samples.count)) + be32(0) + be32(0) + samples
        let body = Array("AIFF".utf8) + comm + ssnd
        let whole = Array("FORM".utf8) + be32(UInt32(body.count)) + body
        let decoded = try AudioDecoder(targetSampleRate: nil).decode(try store(whole, "whole.aiff"))
        XCTAssertEqual(decoded.info.frames, frames)
        try expectTruncated(Array(whole.prefix(whole.count - 1000)), "cut.aiff", saying: "bytes of sample data")
    }

    func testOggCutInsideAPage() throws {
        let bytes = try written(.oggVorbis, "o.ogg")
        try expectTruncated(Array(bytes.prefix(bytes.count * 6 / 10)), "cut.ogg", saying: "Ogg page")
    }

    func testOggCutBetweenPagesLacksItsEndOfStreamPage() throws {
        let bytes = try written(.oggVorbis, "o.ogg")
        let pages = oggPageStarts(bytes)
        XCTAssertGreaterThan(pages.count, 4)
        XCTAssertNotEqual(bytes[pages.last! + 5] & 4, 0, "the last page of a whole stream carries end-of-stream")
        let cut = Array(bytes.prefix(pages[pages.count - 2]))
        try expectTruncated(cut, "pages.ogg", saying: "end-of-stream page")
    }

    func testDamagedLastOggPageIsLeftToTheDecoder() throws {
        var bytes = try written(.oggVorbis, "o.ogg")
        let last = oggPageStarts(bytes).last!
        bytes[last + 27 + Int(bytes[last + 26]) + 10] ^= 0xFF  // in the page's body: its CRC no longer matches
        XCTAssertNil(ContainerLength.truncation(in: ByteSource(bytes: bytes)))
    }

    func testOggCRC() throws {
        let bytes = try written(.oggVorbis, "o.ogg")
        let starts = oggPageStarts(bytes)
        for (i, start) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1] : bytes.count
            XCTAssertTrue(OggCRC.matches(page: bytes[start..<end]), "page \(i)")
        }
    }

    // MARK: - Builders

    func oggPageStarts(_ b: [UInt8]) -> [Int] {
        var starts = [Int](), i = 0
        while i + 27 <= b.count, ContainerLength.tag(b, i) == "OggS" {
            starts.append(i)
            let segments = Int(b[i + 26])
            i += 27 + segments + b[(i + 27)..<(i + 27 + segments)].reduce(0) { $0 + Int($1) }
        }
        XCTAssertEqual(i, b.count, "pages tile the file")
        return starts
    }

    func riff(before: [UInt8], declared: UInt32, payload: [UInt8]) -> [UInt8] {
        let fmt = Array("fmt ".utf8) + le32(16) + le16(1) + le16(1) + le32(8000) + le32(16000) + le16(2) + le16(16)
        let body = Array("WAVE".utf8) + before + fmt + Array("data".utf8) + le32(declared) + payload
        return Array("RIFF".utf8) + le32(UInt32(body.count)) + body
    }

    func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }
    func le64(_ v: UInt64) -> [UInt8] { (0..<8).map { UInt8((v >> (8 * UInt64($0))) & 0xFF) } }
    func be32(_ v: UInt32) -> [UInt8] { le32(v).reversed() }
}
