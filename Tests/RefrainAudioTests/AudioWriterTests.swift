import Foundation
import RefrainAudio
import RefrainTestSupport
import XCTest

final class AudioWriterTests: XCTestCase {
    /// A long signal written as OGG/Vorbis in one call: libvorbis takes a stack buffer as large as one write,
    /// so a single 2.6 M-sample write overflowed the stack (a crash while rendering training material) until
    /// the writer wrote in blocks. The file decodes back to the same length (within one Vorbis block).
    func testLongVorbisWriteRoundTripsItsLength() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rate = 22050, count = 120 * rate
        let samples = (0..<count).map { Float(0.3 * sin(2 * Double.pi * 440 * Double($0) / Double(rate))) }
        let url = dir.appendingPathComponent("long.ogg")
        try writeAudio(samples, sampleRate: rate, format: .oggVorbis, to: url)
        let decoded = try AudioDecoder(targetSampleRate: Double(rate), threads: 1).decode(url)
        XCTAssertEqual(decoded.signal.samples.count, count, accuracy: 2048)
    }
}
