import Foundation
@testable import RefrainIndex
import RefrainMath
import XCTest

/// `MappedArray` maps a stored `.npy` file by its path with POSIX calls: the values are the file's, the
/// mapping outlives the file's name, and a missing, empty or cut file is a one-line error naming it.
final class MappedArrayTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mapped-array-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func testAPathMapsTheValuesOfFloat32AndFloat16Files() throws {
        let values = Matrix(rows: 7, cols: 3) { Float($0 * 3 + $1) * 0.25 - 1 }
        let wide = folder.appendingPathComponent("a.npy"), half = folder.appendingPathComponent("b.npy")
        try NPY.write(values, to: wide)
        try NPY.write(NPYArray(float16: values), to: half)
        let mapped = try MappedArray(path: wide.path)
        XCTAssertEqual([mapped.frames, mapped.dims], [7, 3])
        XCTAssertEqual(mapped.dtype, .float32)
        XCTAssertTrue(mapped.matrix() == values)
        let mappedHalf = try MappedArray(path: half.path)
        XCTAssertEqual(mappedHalf.dtype, .float16)
        XCTAssertTrue(mappedHalf.matrix() == values, "quarters are exact in float16")
        XCTAssertTrue(try MappedArray(url: wide).matrix() == values, "the URL form maps the same file")
        // The mapping stays readable after the file's name is gone (an index replacing an array).
        try FileManager.default.removeItem(at: wide)
        XCTAssertTrue(mapped.matrix() == values)
    }

    func testMissingEmptyAndCutFilesAreOneLineErrorsNamingThem() throws {
        let missing = folder.appendingPathComponent("missing.npy").path
        let empty = folder.appendingPathComponent("empty.npy"), cut = folder.appendingPathComponent("cut.npy")
        try Data().write(to: empty)
        let whole = NPY.encode(NPYArray(Matrix(rows: 40, cols: 12, storage: [Float](repeating: 1, count: 480))))
        try whole.prefix(whole.count - 8).write(to: cut)
        for (path, words) in [(missing, "cannot map"), (empty.path, "not a version 1 .npy"), (cut.path, "truncated")] {
            XCTAssertThrowsError(try MappedArray(path: path)) { error in
                let text = "\(error)"
                XCTAssertTrue(text.contains(path) && text.contains(words), text)
                XCTAssertFalse(text.contains("\n"), text)
            }
        }
    }

    /// A header whose shape multiplies past `Int.max` bytes (either spacing, so both header readers) is the
    /// one-line "bad shape" error, not an arithmetic trap.
    func testAShapeWhoseByteCountOverflowsIsAnErrorNotACrash() throws {
        for (n, dict) in ["{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999999999, 999999999999999999), }",
                          "{'descr':'<f4','fortran_order':False,'shape':(999999999999999999,999999999999999999)}",
                          "{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 2), }"].enumerated() {
            var header = dict
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            var file = Data(NPY.magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8))
            file.append(contentsOf: [UInt8](repeating: 0, count: 64))
            let path = folder.appendingPathComponent("huge-\(n).npy")
            try file.write(to: path)
            XCTAssertThrowsError(try MappedArray(path: path.path)) { error in
                XCTAssertTrue("\(error)".contains("bad shape"), "\(error)")
            }
        }
    }

    /// The headers `NPY.encode` writes are read byte by byte to what `NPY.parseHeader` reads from them; any
    /// other header (other spacing, a 1-D shape, Fortran order, another key) is left to the parser, and the
    /// file still maps as before.
    func testHeadersAsNPYWritesThemAreReadByteByByteAsTheParserReadsThem() throws {
        let arrays = [NPYArray(Matrix(rows: 7, cols: 3) { Float($0 + $1) }), NPYArray(float16: Matrix(rows: 0, cols: 12)),
                      NPYArray([UInt16](repeating: 5, count: 24), shape: [12, 2]), NPYArray([UInt32](repeating: 1, count: 4), shape: [1, 4]),
                      NPYArray([UInt64](repeating: 9, count: 10), shape: [10, 1])]
        var headers = arrays.map { array -> [UInt8] in
            let bytes = [UInt8](NPY.encode(array))
            return Array(bytes[10..<(10 + (Int(bytes[8]) | Int(bytes[9]) << 8))])
        }
        headers.append(Array(("{'descr': '<f4', 'fortran_order': False, 'shape': (123456789, 12), }" + String(repeating: " ", count: 40) + "\n").utf8))
        for header in headers {
            let parsed = try NPY.parseHeader(String(decoding: header, as: UTF8.self))
            let fast = try XCTUnwrap(header.withUnsafeBytes { MappedArray.canonicalHeader($0) }, "\(parsed.shape)")
            XCTAssertEqual(fast.descr, parsed.descr)
            XCTAssertEqual(fast.shape, parsed.shape)
            XCTAssertFalse(parsed.fortran)
        }
        for text in ["{'descr':'<f4','fortran_order':False,'shape':(7,3)}", "{'descr': '<f4', 'fortran_order': False, 'shape': (21,), }",
                     "{'descr': '<f4', 'fortran_order': True, 'shape': (7, 3), }", "{'descr': '<f4', 'fortran_order': False, 'shape': (7, 3)}",
                     "{'fortran_order': False, 'descr': '<f4', 'shape': (7, 3), }", "{'descr': '<f4', 'fortran_order': False, 'shape': (7, 3), } x"] {
            XCTAssertNil(Array((text + "\n").utf8).withUnsafeBytes { MappedArray.canonicalHeader($0) }, text)
        }
        // Another writer's spacing: mapped through the parser, to the same values.
        let values = Matrix(rows: 7, cols: 3) { Float($0 * 3 + $1) }
        var header = "{'descr':'<f4','fortran_order':False,'shape':(7,3)}"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        var file = Data(NPY.magic + [1, 0, UInt8(header.utf8.count & 0xFF), UInt8(header.utf8.count >> 8)] + Array(header.utf8))
        values.storage.withUnsafeBytes { file.append(contentsOf: $0) }
        let other = folder.appendingPathComponent("other.npy")
        try file.write(to: other)
        let mapped = try MappedArray(path: other.path)
        XCTAssertEqual([mapped.frames, mapped.dims], [7, 3])
        XCTAssertTrue(mapped.matrix() == values)
    }
}
