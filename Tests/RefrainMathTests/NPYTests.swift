import Foundation
import RefrainMath
import RefrainTestSupport
import XCTest

final class NPYTests: XCTestCase {
    /// The arrays written by scripts/reference/make_math_fixtures.py: a[r, c] = (4r + c) / 2 - 1.
    let expected: [Float] = (0..<12).map { Float($0) * 0.5 - 1 }

    func testReadsWhatNumPyWrote() throws {
        for name in ["float32_3x4", "float64_3x4", "fortran_3x4", "bigendian_3x4"] {
            let m = try NPY.readMatrix(Fixtures.url("math/\(name).npy"))
            XCTAssertEqual(m.rows, 3, name)
            XCTAssertEqual(m.cols, 4, name)
            XCTAssertEqual(m.storage, expected, name)
        }
        let u16 = try NPY.read(Fixtures.url("math/uint16_5.npy"))
        XCTAssertEqual(u16.values(as: UInt16.self), [0, 1, 255, 256, 65535])
        let i64 = try NPY.read(Fixtures.url("math/int64_2x2.npy"))
        XCTAssertEqual(i64.shape, [2, 2])
        XCTAssertEqual(i64.values(as: Int64.self), [-1, 2, 3, -4])
        let empty = try NPY.readMatrix(Fixtures.url("math/empty_0x3.npy"))
        XCTAssertEqual(empty.rows, 0)
        XCTAssertEqual(empty.cols, 3)
    }

    func testRoundTrip() throws {
        let m = Matrix(rows: 5, cols: 7) { r, c in Float(r) * 10 + Float(c) / 3 }
        let decoded = try NPY.decode(NPY.encode(NPYArray(m))).matrix()
        XCTAssertEqual(decoded, m)
        let hashes: [UInt16] = [1, 2, 0xFFFF, 0x8000]
        XCTAssertEqual(try NPY.decode(NPY.encode(NPYArray(hashes, shape: [2, 2]))).values(as: UInt16.self), hashes)
    }

    func testHeaderIsAlignedTo64Bytes() {
        let data = NPY.encode(NPYArray(Matrix(rows: 2, cols: 3)))
        let headerLength = Int(data[8]) | Int(data[9]) << 8
        XCTAssertEqual((10 + headerLength) % 64, 0)
        XCTAssertEqual(data.count, 10 + headerLength + 2 * 3 * 4)
    }

    func testNumPyReadsWhatWeWrote() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("ours.npy")
        let m = Matrix(rows: 3, cols: 4) { r, c in Float(4 * r + c) * 0.5 - 1 }
        try NPY.write(m, to: url)
        let script = """
        import numpy as np, sys
        a = np.load(sys.argv[1])
        assert a.dtype == np.float32 and a.shape == (3, 4), (a.dtype, a.shape)
        assert np.array_equal(a, np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5 - 1)
        print("ok")
        """
        let output = try runPython(script, arguments: [url.path])
        XCTAssertEqual(output.trimmingCharacters(in: .whitespacesAndNewlines), "ok")
    }

    func testHostileInputsThrow() {
        let good = [UInt8](NPY.encode(NPYArray(Matrix(rows: 4, cols: 4))))
        let cases: [[UInt8]] = [
            [], Array("hello world, not numpy".utf8), Array(good[0..<9]), Array(good[0..<70]),
            Array(good[0..<8]) + [0xFF, 0xFF] + Array(good[10...]),
        ]
        for bytes in cases {
            XCTAssertThrowsError(try NPY.decode(Data(bytes)))
        }
        // A shape whose byte count overflows must be refused, not allocated.
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': (9223372036854775807, 9223372036854775807), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let hostile = NPY.magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8)
        XCTAssertThrowsError(try NPY.decode(Data(hostile)))
    }

    func testMissingFileIsFileNotFound() {
        XCTAssertThrowsError(try NPY.read(URL(fileURLWithPath: "/nonexistent/x.npy"))) { error in
            XCTAssertEqual((error as? RefrainError)?.kind, .fileNotFound)
        }
    }
}
