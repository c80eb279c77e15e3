import Foundation
@testable import RefrainAlign
import RefrainMath
import XCTest

/// `CostStripMaker`'s cosine rows, made from its blocks of unit frames without a transposed copy.
final class CostStripTests: XCTestCase {
    /// The maker keeps no transposed copy for cosine (the version stage makes one maker per candidate; Euclidean
    /// makers still have it): its blocks hold each frame times the inverse of its norm (`rowSquaredNorms`), bit for
    /// bit, silent frames left at zero, and its rows are `max(0, 1 - x.y)` of unit frames (0 silence against
    /// silence, 1 against sound), to float rounding (the kernel normalises the query frames in its own order).
    func testCosineRowsComeFromTheBlocksAlone() {
        var g = SeededGenerator(seed: 21)
        var a = randomMatrix(13, 12, &g), b = randomMatrix(29, 12, &g)
        for c in 0..<12 { a[4, c] = 0; b[7, c] = 0; b[20, c] = 0 }
        let maker = CostStripMaker(b, metric: .cosine)
        XCTAssertTrue(maker.transposed.isEmpty)
        XCTAssertEqual(CostStripMaker(b, metric: .euclidean).transposed.count, 29 * 12)
        let squared = b.rowSquaredNorms()
        XCTAssertEqual(maker.blocks.count, 4 * 12 * 8)
        for j in 0..<32 {
            for k in 0..<12 {
                let expected: Float = j >= 29 ? 0 : (squared[j] > 0 ? b[j, k] * (1 / squared[j].squareRoot()) : 0)
                XCTAssertEqual(maker.blocks[(j / 8 * 12 + k) * 8 + j % 8], expected, "frame \(j), dimension \(k)")
            }
        }
        func unit(_ m: Matrix, _ r: Int) -> [Float] {
            let row = (0..<m.cols).map { m[r, $0] }
            let squared = row.reduce(Float(0)) { $0 + $1 * $1 }
            return squared > 0 ? row.map { $0 / squared.squareRoot() } : row
        }
        var rows = [Float](repeating: -1, count: a.rows * b.rows)
        rows.withUnsafeMutableBufferPointer { maker.rows(a, 0..<a.rows, into: $0.baseAddress!, stride: b.rows) }
        for i in 0..<a.rows {
            let x = unit(a, i), xSilent = x.allSatisfy { $0 == 0 }
            for j in 0..<b.rows {
                let y = unit(b, j), ySilent = y.allSatisfy { $0 == 0 }
                var dot: Float = 0
                for t in 0..<12 { dot += x[t] * y[t] }
                let expected: Float = xSilent || ySilent ? (xSilent && ySilent ? 0 : 1) : max(0, 1 - dot)
                XCTAssertEqual(rows[i * b.rows + j], expected, accuracy: 1e-6, "(\(i), \(j))")
            }
        }
    }
}
