import Foundation
import RefrainMath
import RefrainTestSupport
import XCTest

final class SHA256Tests: XCTestCase {
    // FIPS 180-4 / NIST example vectors.
    func testKnownVectors() {
        XCTAssertEqual(SHA256.hex(of: Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(of: Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(of: Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(of: Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testStreamingEqualsOneShotAcrossBlockBoundaries() throws {
        var bytes = [UInt8]()
        for i in 0..<3000 { bytes.append(UInt8(truncatingIfNeeded: i &* 31 &+ 7)) }
        for split in [0, 1, 55, 56, 63, 64, 65, 1000] {
            var hasher = SHA256()
            hasher.update(Data(bytes[0..<split]))
            hasher.update(Data(bytes[split...]))
            let streamed = hasher.finalize().map { String(format: "%02x", $0) }.joined()
            XCTAssertEqual(streamed, SHA256.hex(of: Data(bytes)), "split at \(split)")
        }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("x.bin")
        try Data(bytes).write(to: file)
        XCTAssertEqual(try SHA256.hex(ofFile: file), SHA256.hex(of: Data(bytes)))
        XCTAssertThrowsError(try SHA256.hex(ofFile: dir.appendingPathComponent("missing")))
    }
}
