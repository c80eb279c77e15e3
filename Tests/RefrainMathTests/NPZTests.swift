import Foundation
@testable import RefrainMath
import XCTest

/// `NPZ`: stored ZIP archives of `.npy` members. Round trips and named errors are covered through model files in
/// `ModelFileTests`; here, directories whose ZIP64 fields claim impossible sizes and offsets (found by
/// `scripts/fuzz.sh npy`: they trapped on integer overflow) must be refused with a sentence.
final class NPZTests: XCTestCase {
    let body = Data("hello".utf8)
    let memberName = Array("a.npy".utf8)

    /// One stored member whose central directory entry has the given 32-bit size and offset fields, followed by
    /// a ZIP64 extra field (id 1) holding `zip64` (each 8 bytes, in ZIP64 order: sizes, then the offset).
    func archive(size: UInt32, offset: UInt32, zip64: [UInt64]) -> Data {
        var local = Data()
        local.appendLE(UInt32(0x0403_4B50)); local.appendLE(UInt16(20)); local.appendLE(UInt16(0)); local.appendLE(UInt16(0))
        local.appendLE(UInt16(0)); local.appendLE(UInt16(0x21)); local.appendLE(CRC32.checksum(body))
        local.appendLE(UInt32(body.count)); local.appendLE(UInt32(body.count))
        local.appendLE(UInt16(memberName.count)); local.appendLE(UInt16(0))
        local.append(contentsOf: memberName); local.append(body)
        var extra = Data()
        extra.appendLE(UInt16(1)); extra.appendLE(UInt16(8 * zip64.count))
        for value in zip64 { extra.appendLE(value) }
        var central = Data()
        central.appendLE(UInt32(0x0201_4B50)); central.appendLE(UInt16(20)); central.appendLE(UInt16(20))
        central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0x21))
        central.appendLE(CRC32.checksum(body)); central.appendLE(size); central.appendLE(size)
        central.appendLE(UInt16(memberName.count)); central.appendLE(UInt16(extra.count)); central.appendLE(UInt16(0))
        central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt32(0)); central.appendLE(offset)
        central.append(contentsOf: memberName); central.append(extra)
        var end = Data()
        end.appendLE(UInt32(0x0605_4B50)); end.appendLE(UInt16(0)); end.appendLE(UInt16(0))
        end.appendLE(UInt16(1)); end.appendLE(UInt16(1))
        end.appendLE(UInt32(central.count)); end.appendLE(UInt32(local.count)); end.appendLE(UInt16(0))
        return local + central + end
    }

    /// The builder is right: with honest ZIP64 fields the member reads back.
    func testHonestZIP64FieldsRead() throws {
        let members = try NPZ.decode(archive(size: 0xFFFF_FFFF, offset: 0xFFFF_FFFF, zip64: [5, 5, 0]))
        XCTAssertEqual(members, [NPZ.Member(name: "a.npy", bytes: body)])
    }

    /// Sizes and offsets near `Int.max` or beyond it (as unsigned 64-bit values) name the member, never trap.
    func testImpossibleZIP64SizesAndOffsetsAreRefused() {
        let cases: [(Data, String)] = [
            (archive(size: 5, offset: 0xFFFF_FFFF, zip64: [0x7FFF_FFFF_FFFF_FFF0]), "damaged header"),
            (archive(size: 5, offset: 0xFFFF_FFFF, zip64: [0xFFFF_FFFF_FFFF_FFF0]), "damaged header"),
            (archive(size: 0xFFFF_FFFF, offset: 0, zip64: [0x7FFF_FFFF_FFFF_FFF0, 0x7FFF_FFFF_FFFF_FFF0]), "cut short"),
            (archive(size: 0xFFFF_FFFF, offset: 0, zip64: [UInt64.max, UInt64.max]), "cut short"),
        ]
        for (n, (data, expected)) in cases.enumerated() {
            XCTAssertThrowsError(try NPZ.decode(data), "case \(n)") { error in
                XCTAssertTrue("\(error)".contains("a.npy") && "\(error)".contains(expected), "case \(n): \(error)")
            }
        }
    }
}
