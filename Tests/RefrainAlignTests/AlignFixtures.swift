import Foundation
import RefrainAlign
import RefrainMath
import RefrainTestSupport
import XCTest

/// Reads the reference files written by `scripts/reference/make_align_fixtures.py`.
enum AlignFixtures {
    static func matrix(_ name: String) throws -> Matrix {
        let array = try NPY.read(Fixtures.url("align/\(name).npy"))
        let values = array.floats()
        if array.shape.count == 1 { return Matrix(rows: array.shape[0], cols: 1, storage: values) }
        return Matrix(rows: array.shape[0], cols: array.shape[1], storage: values)
    }

    static func path(_ name: String) throws -> [PathStep] {
        let array = try NPY.read(Fixtures.url("align/\(name).npy"))
        let v = array.values(as: Int64.self)!
        return stride(from: 0, to: v.count, by: 2).map { PathStep(Int(v[$0]), Int(v[$0 + 1])) }
    }

    static func meta() throws -> [String: Any] {
        let data = try Data(contentsOf: Fixtures.url("align/meta.json"))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }
}

func assertClose(_ a: Matrix, _ b: Matrix, relative: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.rows, b.rows, file: file, line: line)
    XCTAssertEqual(a.cols, b.cols, file: file, line: line)
    var worst: Float = 0
    for (x, y) in zip(a.storage, b.storage) {
        if x.isInfinite || y.isInfinite {
            XCTAssertEqual(x, y, file: file, line: line); continue
        }
        worst = max(worst, abs(x - y) / max(1, abs(y)))
    }
    XCTAssertLessThanOrEqual(worst, relative, file: file, line: line)
}

/// A deterministic generator for test inputs.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomMatrix(_ rows: Int, _ cols: Int, _ g: inout SeededGenerator) -> Matrix {
    Matrix(rows: rows, cols: cols, storage: (0..<(rows * cols)).map { _ in Float.random(in: 0..<1, using: &g) })
}
