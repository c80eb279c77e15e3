import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// Every kind of bad input throws a `RefrainError` with a one-line message, without crashing or hanging.
final class BadInputTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func file(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// A canonical 44-byte WAV header followed by `payload`.
    func wav(rate: UInt32 = 44100, channels: UInt16 = 1, bits: UInt16 = 16, format: UInt16 = 1,
             dataBytes: UInt32? = nil, payload: [UInt8]) -> [UInt8] {
        func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
        func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
        let blockAlign = channels * bits / 8
        let size = dataBytes ?? UInt32(payload.count)
        return Array("RIFF".utf8) + le32(36 &+ size) + Array("WAVE".utf8) + Array("fmt ".utf8) + le32(16)
            + le16(format) + le16(channels) + le32(rate) + le32(rate &* UInt32(blockAlign)) + le16(blockAlign) + le16(bits)
            + Array("data".utf8) + le32(size) + payload
    }

    func expectError(_ url: URL, _ kind: RefrainError.Kind, containing text: String,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try AudioDecoder().decode(url), file: file, line: line) { error in
            guard let e = error as? RefrainError else { return XCTFail("not a RefrainError: \(error)", file: file, line: line) }
            print("\(url.lastPathComponent): \(e.message)")
            XCTAssertEqual(e.kind, kind, e.message, file: file, line: line)
            XCTAssertTrue(e.message.contains(text), e.message, file: file, line: line)
            XCTAssertFalse(e.message.contains("\n"), file: file, line: line)
        }
        if let data = try? Data(contentsOf: url) {
            XCTAssertThrowsError(try AudioDecoder().decode(data: data), file: file, line: line)
        }
    }

    func testMissingFile() {
        expectError(directory.appendingPathComponent("nope.wav"), .fileNotFound, containing: "no such file")
    }

    func testEmptyFile() throws { expectError(try file("empty.wav", []), .invalidFile, containing: "empty") }

    func testNotAudio() throws {
        expectError(try file("text.mp3", Array("this is not audio at all, just some text\n".utf8) + [UInt8](repeating: 65, count: 3000)),
                    .invalidFile, containing: "not a readable audio file")
    }

    func testTruncatedHeader() throws {
        let full = wav(payload: [UInt8](repeating: 0, count: 400))
        expectError(try file("cut.wav", Array(full.prefix(30))), .invalidFile, containing: "not a readable audio file")
    }

    func testTruncatedFLAC() throws {
        let url = directory.appendingPathComponent("whole.flac")
        let x = (0..<44100).map { Float(0.3 * sin(Double($0) * 0.05)) + Float($0 % 7) * 0.01 }
        try writeAudio(x, sampleRate: 44100, format: .flac, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        expectError(try file("cut.flac", Array(bytes.prefix(bytes.count / 2))), .invalidFile, containing: "truncated")
    }

    func testZeroSamples() throws {
        expectError(try file("zero.wav", wav(payload: [])), .invalidFile, containing: "no decodable audio samples")
    }

    func testNonFiniteSamples() throws {
        var payload = [UInt8]()
        for v: Float in [0, 0.5, .nan, 0.1] { withUnsafeBytes(of: v.bitPattern.littleEndian) { payload += $0 } }
        expectError(try file("nan.wav", wav(bits: 32, format: 3, payload: payload)), .invalidFile, containing: "non-finite")
        var inf = [UInt8]()
        for v: Float in [0, .infinity] { withUnsafeBytes(of: v.bitPattern.littleEndian) { inf += $0 } }
        expectError(try file("inf.wav", wav(bits: 32, format: 3, payload: inf)), .invalidFile, containing: "non-finite")
    }

    /// Finite float samples near Float32's limit overflow the resampling filter: an error, not infinite audio
    /// (found by `scripts/fuzz.sh audio`).
    func testSamplesTooLargeToResample() throws {
        let huge: [Float] = (0..<800).map { $0 % 2 == 0 ? 3e38 : -3e38 }
        let payload = huge.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } }
        let url = try file("huge.wav", wav(rate: 8000, bits: 32, format: 3, payload: payload))
        expectError(url, .invalidFile, containing: "too large to resample")
        // At its own rate there is nothing to filter: the samples are finite and read as they are.
        XCTAssertEqual(try AudioDecoder(targetSampleRate: nil).decode(url).signal.samples, huge)
    }

    /// Inputs `scripts/fuzz.sh audio` found, kept as they were found: from a file and from memory, each gives
    /// finite audio or a one-line `RefrainError`.
    func testFuzzFindingsStayHandled() throws {
        // The first finding is also a WAV cut inside its data, which the header check now reports before any
        // resampling; `testSamplesTooLargeToResample` keeps the overflow itself covered.
        for (name, message) in [("float-overflows-resampler.wav", "truncated")] {
            let url = Fixtures.url("audio/hostile/\(name)")
            expectError(url, .invalidFile, containing: message)
            XCTAssertThrowsError(try AudioDecoder().decode(data: try Data(contentsOf: url), name: name))
        }
    }

    func testAbsurdSampleRate() throws {
        expectError(try file("rate.wav", wav(rate: 3, payload: [UInt8](repeating: 0, count: 100))),
                    .invalidFile, containing: "sample rate")
        expectError(try file("rate2.wav", wav(rate: 2_000_000_000, payload: [UInt8](repeating: 0, count: 100))),
                    .invalidFile, containing: "2000000000")
    }

    func testAbsurdChannelCount() throws {
        expectError(try file("ch.wav", wav(channels: 1000, payload: [UInt8](repeating: 0, count: 4000))),
                    .invalidFile, containing: "channel")
    }

    func testHugeClaimedSizeIsBoundedByTheFile() throws {
        // The header claims 4 GB of data; the file holds 200 bytes. No huge allocation, only real samples decoded.
        let url = try file("huge.wav", wav(dataBytes: 0xFFFF_FFF0, payload: [UInt8](repeating: 1, count: 200)))
        do {
            let decoded = try AudioDecoder(targetSampleRate: nil).decode(url)
            XCTAssertEqual(decoded.info.frames, 100)
        } catch let e as RefrainError {
            XCTAssertEqual(e.kind, .invalidFile, e.message)
        }
    }

    func testDurationLimit() throws {
        let url = directory.appendingPathComponent("long.wav")
        try writeAudio([Float](repeating: 0.1, count: 8000 * 3), sampleRate: 8000, to: url)
        XCTAssertThrowsError(try AudioDecoder(maximumDuration: 2).decode(url)) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("limit") == true, "\(error)")
        }
    }

    func testDirectory() {
        expectError(directory, .invalidFile, containing: "directory")
    }
}

final class TruncatedStreamTests: XCTestCase {
    /// An OGG/Vorbis file cut in half: libsndfile finds no decodable length; a clear error, no crash or hang.
    func testTruncatedOggVorbis() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("whole.ogg")
        try writeAudio((0..<(44100 * 2)).map { Float(0.3 * sin(Double($0) * 0.05)) }, sampleRate: 44100, format: .oggVorbis, to: url)
        let bytes = [UInt8](try Data(contentsOf: url))
        let cut = directory.appendingPathComponent("cut.ogg")
        try Data(bytes.prefix(bytes.count / 2)).write(to: cut)
        do {
            let decoded = try AudioDecoder().decode(cut)
            XCTAssertLessThan(decoded.info.frames, 44100 * 2)  // if libsndfile recovers a prefix, it is a prefix
        } catch let error as RefrainError {
            print("cut.ogg: \(error.message)")
            XCTAssertEqual(error.kind, .invalidFile)
        }
    }
}
