import RefrainMath
import XCTest

/// `FNV1a` gives the published 64-bit FNV-1a values, and text added in pieces hashes as the pieces joined.
final class FNV1aTests: XCTestCase {
    func testPublishedValues() {
        XCTAssertEqual(FNV1a.hash(""), 0xcbf2_9ce4_8422_2325)
        XCTAssertEqual(FNV1a.hash("a"), 0xaf63_dc4c_8601_ec8c)
        XCTAssertEqual(FNV1a.hash("foobar"), 0x8594_4171_f739_67e8)
    }

    func testPiecesHashAsTheirJoin() {
        var hasher = FNV1a()
        for piece in ["chorale-001 0.25\n", "", "fiddle-020 1.5\n"] { hasher.add(piece) }
        XCTAssertEqual(hasher.value, FNV1a.hash("chorale-001 0.25\nfiddle-020 1.5\n"))
        XCTAssertNotEqual(hasher.value, FNV1a.hash("fiddle-020 1.5\nchorale-001 0.25\n"))
    }
}
