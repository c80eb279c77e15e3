import Foundation
import RefrainIndex
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
}
