import CSndFile
import Foundation
@testable import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// MPEG frame headers, the frame walk, and the repair of variable-bitrate MP3s whose length libsndfile
/// would underestimate.
final class MPEGStreamTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func testHeaderFields() throws {
        // MPEG-1 Layer III, 128 kbit/s, 44100 Hz, no padding, joint stereo: 144 * 128000 / 44100 = 417 bytes.
        let a = try XCTUnwrap(MPEGFrameHeader(0xFF, 0xFB, 0x90, 0x44))
        XCTAssertEqual(a.version, .mpeg1)
        XCTAssertEqual(a.layer, 3)
        XCTAssertEqual(a.bitrate, 128_000)
        XCTAssertEqual(a.sampleRate, 44100)
        XCTAssertEqual(a.byteCount, 417)
        XCTAssertEqual(a.sampleCount, 1152)
        XCTAssertFalse(a.hasCRC)
        XCTAssertEqual(a.sideInfoCount, 32)
        // MPEG-2 Layer III, 64 kbit/s, 24000 Hz, padded, mono: 72 * 64000 / 24000 + 1 = 193 bytes of 576 samples.
        let b = try XCTUnwrap(MPEGFrameHeader(0xFF, 0xF3, 0x86, 0xC0))
        XCTAssertEqual(b.version, .mpeg2)
        XCTAssertEqual(b.sampleRate, 24000)
        XCTAssertEqual(b.byteCount, 193)
        XCTAssertEqual(b.sampleCount, 576)
        XCTAssertEqual(b.sideInfoCount, 9)
        // MPEG-1 Layer II 192 kbit/s 48000 Hz: 576 bytes. Layer I 384 kbit/s 32000 Hz: 4 * 12 * 384000 / 32000 = 576.
        XCTAssertEqual(MPEGFrameHeader(0xFF, 0xFD, 0xA4, 0x00)?.byteCount, 576)
        XCTAssertEqual(MPEGFrameHeader(0xFF, 0xFF, 0xC8, 0x00)?.byteCount, 576)
        XCTAssertEqual(MPEGFrameHeader(0xFF, 0xFF, 0xC8, 0x00)?.sampleCount, 384)
        // Not headers: no sync, reserved version, reserved layer, free format, bad bitrate, reserved rate, reserved emphasis.
        for bytes: [UInt8] in [[0xFE, 0xFB, 0x90, 0x44], [0xFF, 0xEB, 0x90, 0x44], [0xFF, 0xF9, 0x90, 0x44],
                               [0xFF, 0xFB, 0x00, 0x44], [0xFF, 0xFB, 0xF0, 0x44], [0xFF, 0xFB, 0x9C, 0x44], [0xFF, 0xFB, 0x90, 0x46]] {
            XCTAssertNil(MPEGFrameHeader(bytes, at: 0), "\(bytes)")
        }
    }

    func music() -> [Float] {
        var state: UInt32 = 99
        return (0..<(3 * 44100)).flatMap { i -> [Float] in
            state = state &* 1_664_525 &+ 1_013_904_223
            let noise = Float(state >> 8) / Float(1 << 24) - 0.5
            // Loud noise first, so that the first audio frame's bitrate is well above the average.
            let burst: Float = i < 22050 ? 0.6 : 0.01
            let v = 0.2 * sin(Float(i) * 0.03) + burst * noise
            return [v, v]
        }
    }

    func mp3() throws -> [UInt8] {
        let url = directory.appendingPathComponent("vbr.mp3")
        try writeAudio(music(), sampleRate: 44100, channels: 2, format: .mp3, to: url)
        return [UInt8](try Data(contentsOf: url))
    }

    func testWalkCountsTheFrames() throws {
        let bytes = try mp3()
        let stream = try XCTUnwrap(MPEGStream.scan(ByteSource(bytes: bytes)))
        XCTAssertEqual(stream.start, 0)
        XCTAssertTrue(stream.hasLengthHeader, "libsndfile's LAME writer starts with a Xing frame")
        XCTAssertEqual(stream.sampleCount, (stream.frameCount - 1) * 1152)
        // Encoder delay and padding: under three frames beyond the signal.
        XCTAssertGreaterThanOrEqual(stream.sampleCount, 3 * 44100)
        XCTAssertLessThan(stream.sampleCount, 3 * 44100 + 3 * 1152)
        // Damaged bytes between two frames are stepped over; a partial last frame is not counted.
        var offset = 0
        for _ in 0..<40 { offset += try XCTUnwrap(MPEGFrameHeader(bytes, at: offset)).byteCount }
        let damaged = Array(bytes[..<offset]) + [UInt8](repeating: 0x55, count: 999) + bytes[offset...]
        let resynced = try XCTUnwrap(MPEGStream.scan(ByteSource(bytes: damaged)))
        XCTAssertEqual(resynced.frameCount, stream.frameCount)
        let cut = try XCTUnwrap(MPEGStream.scan(ByteSource(bytes: Array(bytes.dropLast(10)))))
        XCTAssertEqual(cut.frameCount, stream.frameCount - 1)
    }

    /// Without its Xing frame the file's length is estimated from the first frame's (high) bitrate and
    /// libsndfile would stop early; the decoder restores the frame count and reads it all.
    func testVariableBitrateWithoutXingFrameDecodesWhole() throws {
        let bytes = try mp3()
        let first = try XCTUnwrap(MPEGFrameHeader(bytes, at: 0))
        let bare = Array(bytes[first.byteCount...])
        let whole = try AudioDecoder(targetSampleRate: nil).decode(try store(bytes, "with-xing.mp3")).signal.samples
        let stream = try XCTUnwrap(MPEGStream.scan(ByteSource(bytes: bare)))
        XCTAssertFalse(stream.hasLengthHeader)
        // What libsndfile alone would read: its estimate, well short of the walked length.
        let bareURL = try store(bare, "estimate.mp3")
        var info = SF_INFO()
        let handle = try XCTUnwrap(sf_open(bareURL.path, Int32(SFM_READ), &info))
        sf_close(handle)
        print("libsndfile's length for the file without its Xing frame: \(info.frames) samples")
        XCTAssertLessThan(Int(info.frames), stream.sampleCount * 3 / 4)
        for (name, id3) in [("bare.mp3", [UInt8]()), ("tagged.mp3", id3Tag(bytes: 300))] {
            let url = try store(id3 + bare, name)
            let decoded = try AudioDecoder(targetSampleRate: nil).decode(url).signal.samples
            let fromMemory = try AudioDecoder(targetSampleRate: nil).decode(data: Data(id3 + bare)).signal.samples
            XCTAssertEqual(decoded, fromMemory)
            print("\(name): \(decoded.count) samples decoded, \(whole.count) with the Xing frame, \(stream.sampleCount) walked")
            // Without the LAME tag nothing is trimmed: the decoder delay and padding stay in (under two frames).
            XCTAssertGreaterThanOrEqual(decoded.count, whole.count)
            XCTAssertLessThan(decoded.count, whole.count + 2 * 1152)
            // Same audio, shifted by the untrimmed delay.
            let lag = bestLag(decoded, whole, maxLag: 2 * 1152)
            var maxError: Float = 0
            for i in 2000..<(whole.count - 2000) { maxError = max(maxError, abs(decoded[i + lag] - whole[i])) }
            XCTAssertLessThan(maxError, 1e-4, "lag \(lag)")
        }
    }

    func testXingFrameAnnouncingMoreThanIsThereIsATruncation() throws {
        let bytes = try mp3()
        let url = try store(Array(bytes.prefix(bytes.count / 2)), "cut.mp3")
        XCTAssertThrowsError(try AudioDecoder().decode(url)) { error in
            let message = (error as? RefrainError)?.message ?? "\(error)"
            XCTAssertTrue(message.contains("truncated: the header announces"), message)
        }
    }

    /// A junk byte after every third frame of a 4 MB stream: each gap is stepped over and every frame counted.
    func testWalkStepsOverManyGaps() throws {
        let frame: [UInt8] = [0xFF, 0xFB, 0x90, 0x44] + [UInt8](repeating: 0, count: 413)
        let group = frame + frame + frame + [0x55]
        let repeats = 4_000_000 / group.count
        let bytes = (0..<repeats).flatMap { _ in group }
        let stream = try XCTUnwrap(MPEGStream.scan(ByteSource(bytes: bytes)))
        XCTAssertEqual(stream.frameCount, 3 * repeats)
        XCTAssertFalse(stream.hasLengthHeader)
    }

    func testRepairNeedsLayerIII() throws {
        let stream = MPEGStream(start: 0, first: try XCTUnwrap(MPEGFrameHeader(0xFF, 0xFD, 0xA4, 0x00)),
                                frameCount: 10, sampleCount: 11520, hasLengthHeader: false)
        XCTAssertNil(stream.withLengthHeader([UInt8](repeating: 0, count: 5760)))
    }

    func testNotMPEGHasNoStream() {
        XCTAssertNil(MPEGStream.scan(ByteSource(bytes: Array("RIFF....WAVEfmt ".utf8) + [UInt8](repeating: 0, count: 1000))))
        XCTAssertNil(MPEGStream.scan(ByteSource(bytes: [])))
    }

    // MARK: - Helpers

    func store(_ bytes: [UInt8], _ name: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    /// An ID3v2.3 tag with one padding region of `bytes` bytes (the size is syncsafe: 7 bits a byte).
    func id3Tag(bytes: Int) -> [UInt8] {
        Array("ID3".utf8) + [3, 0, 0] + [UInt8(bytes >> 21 & 0x7F), UInt8(bytes >> 14 & 0x7F), UInt8(bytes >> 7 & 0x7F), UInt8(bytes & 0x7F)]
            + [UInt8](repeating: 0, count: bytes)
    }

    func bestLag(_ a: [Float], _ b: [Float], maxLag: Int) -> Int {
        var best = (lag: 0, error: Float.infinity)
        for lag in 0...maxLag {
            var e: Float = 0
            for i in stride(from: 3000, to: b.count - 3000, by: 13) { e += abs(a[i + lag] - b[i]) }
            if e < best.error { best = (lag, e) }
        }
        return best.lag
    }
}
