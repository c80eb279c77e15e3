import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The packed array file (`PackedArrayFile`): a round trip, and every cut or damaged file refused in one sentence.
final class PackedArrayFileTests: XCTestCase {
    private let state = SHA256.hex(of: Data("some item set".utf8))

    /// Three items of 2 float16 values per frame: 2 frames, none, 1 frame.
    private func sample() throws -> PackedArrays {
        let halves: [Float] = [0.5, -1, 2, 3.25, 1000, -0.125]
        let bytes = halves.map { Float16($0).bitPattern }.withUnsafeBytes { Array($0) }
        return try PackedArrays(dtype: .float16, dims: 2, ids: [3, 7, 12], fileKeys: ["a", "b", "c"].map(PackedArrays.fileKey),
                                offsets: [0, 2, 2, 3], bytes: bytes)
    }

    func testRoundTripKeepsEveryItemsValues() throws {
        let pack = try sample()
        let decoded = try PackedArrayFile.decode(PackedArrayFile.encode(pack, state: state), state: state, name: "x.pack")
        XCTAssertEqual(decoded, pack)
        XCTAssertEqual(decoded.frames(at: 0), 2)
        XCTAssertEqual(decoded.frames(at: 1), 0)
        XCTAssertNil(decoded.firstFrame(at: 1))
        XCTAssertEqual(decoded.firstFrame(at: 2), [1000, -0.125])
        XCTAssertEqual(decoded.firstFrame(at: 0), [0.5, -1])
        XCTAssertNil(decoded.values(at: 0, as: Float.self), "float16 elements are not float32")

        let codes: [UInt16] = [1, 65535, 7]
        let hashes = try PackedArrays(dtype: .uint16, dims: 1, ids: [1, 2], fileKeys: [9, 8], offsets: [0, 1, 3],
                                      bytes: codes.withUnsafeBytes { Array($0) })
        let url = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: url) }
        try PackedArrayFile.save(hashes, array: "hashes", state: state, in: url)
        let read = try PackedArrayFile.read(url.appendingPathComponent(PackedArrayFile.relativePath(array: "hashes", state: state)), state: state)
        XCTAssertEqual(read.values(at: 1, as: UInt16.self), [65535, 7])
        XCTAssertThrowsError(try PackedArrays(dtype: .uint16, dims: 1, ids: [2, 1], fileKeys: [9, 8], offsets: [0, 1, 3],
                                              bytes: codes.withUnsafeBytes { Array($0) }), "ids must ascend")
    }

    func testCutDamagedOrForeignFilesAreRefusedInOneSentence() throws {
        let good = PackedArrayFile.encode(try sample(), state: state)
        func refusal(_ bytes: [UInt8], state: String? = nil) -> String? {
            do {
                _ = try PackedArrayFile.decode(bytes, state: state ?? self.state, name: "x.pack")
                return nil
            } catch let error as RefrainError {
                return error.message
            } catch { return "\(error)" }
        }
        var cases: [(String, [UInt8])] = [("cut by one byte", Array(good.dropLast())), ("cut to the header", Array(good.prefix(64))),
                                          ("empty", []), ("one byte more", good + [0])]
        for at in [70, 90, good.count - 1] {  // an id, a file key, the last element
            var flipped = good
            flipped[at] ^= 0x10
            cases.append(("byte \(at) flipped", flipped))
        }
        var header = good
        header[16] = 3  // dims 3 instead of 2: the size no longer matches
        cases.append(("dims changed", header))
        for (what, bytes) in cases {
            guard let message = refusal(bytes) else { XCTFail("\(what): read as if whole"); continue }
            XCTAssertFalse(message.contains("\n"), what)
            XCTAssertTrue(message.contains("x.pack"), "\(what): \(message)")
        }
        XCTAssertTrue(refusal(good.map { $0 &+ 1 })?.contains("not a Refrain packed array file") ?? false)
        XCTAssertTrue(refusal(good, state: SHA256.hex(of: Data("other".utf8)))?.contains("another set of items") ?? false)
        XCTAssertNil(refusal(good))
    }

    /// Counts that would overflow a size computation (a damaged or hostile header, or offsets past any real
    /// file) are refused with one sentence instead of trapping.
    func testHugeCountsAreRefusedWithoutATrap() throws {
        var header = Array("RFRNPACK".utf8)
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header += $0 } }
        put(PackedArrayFile.format)
        put(UInt32(StoredDType.allCases.firstIndex(of: .uint64)!))
        put(Int64((1 << 20) - 1))  // dims
        put(Int64((1 << 40) - 1))  // items
        put(Int64((1 << 40) - 1))  // frames
        put(UInt64(0))  // checksum
        header += [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(header.count, 64)
        XCTAssertThrowsError(try PackedArrayFile.decode(header, state: state, name: "huge.pack")) { error in
            XCTAssertTrue("\(error)".contains("huge.pack is cut or damaged"), "\(error)")
        }
        XCTAssertThrowsError(try PackedArrays(dtype: .float32, dims: 1, ids: [1], fileKeys: [0], offsets: [0, 1 << 62],
                                              bytes: [0, 0, 0, 0]))
        XCTAssertNil(PackedArrays.byteCount(frames: 1 << 62, dims: 2, size: 4))
        XCTAssertEqual(PackedArrays.byteCount(frames: 3, dims: 2, size: 2), 12)
    }
}
