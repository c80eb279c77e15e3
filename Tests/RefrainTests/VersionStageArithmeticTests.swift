import Foundation
@testable import Refrain
import RefrainAlign
import RefrainIndex
import RefrainMath
import XCTest

/// The version stage's per-candidate helpers (`JointChroma.halved`, `timeScaled`, `AudioMatchScore.columnSums`)
/// run through pointers: each must equal, bit for bit, the element-by-element arithmetic it had before, so that
/// the stage's scores, and ranks, are unchanged.
final class VersionStageArithmeticTests: XCTestCase {
    /// Random frames with some silent (zero) rows, as CENS has in rests.
    func frames(_ rows: Int, seed: UInt64) -> Matrix {
        var m = randomUnitFrames(rows, dims: 12, seed: seed)
        for r in stride(from: 3, to: rows, by: 17) { for c in 0..<12 { m[r, c] = 0 } }
        return m
    }

    func testHalvedEqualsThePairSumsNormalisedElementByElement() {
        for (rows, blocks) in [(1, 1), (7, 1), (60, 1), (61, 2), (40, 3)] {
            let m = frames(rows, seed: UInt64(rows))
            let n = max(1, blocks), width = m.cols / n, weight = 1 / Float(n).squareRoot()
            var expected = Matrix(rows: (rows + 1) / 2, cols: m.cols)
            for r in 0..<expected.rows {
                for k in 0..<n {
                    var norm: Float = 0
                    for c in (k * width)..<((k + 1) * width) {
                        let v = m[2 * r, c] + (2 * r + 1 < m.rows ? m[2 * r + 1, c] : 0)
                        expected[r, c] = v
                        norm += v * v
                    }
                    if norm > 0 { for c in (k * width)..<((k + 1) * width) { expected[r, c] *= weight / norm.squareRoot() } }
                }
            }
            XCTAssertEqual(JointChroma.halved(m, blocks: blocks), expected, "\(rows) rows, \(blocks) blocks")
        }
    }

    func testTimeScaledEqualsTheInterpolationElementByElement() {
        let m = frames(53, seed: 8)
        for factor in [0.4, 0.87, 1.0, 1.13, 2.5] {
            let rows = max(1, Int((Double(m.rows) * factor).rounded()))
            let step = Double(m.rows - 1) / Double(max(rows - 1, 1))
            var expected = Matrix(rows: rows, cols: 12)
            for i in 0..<rows {
                let x = Double(i) * step, k = min(Int(x), m.rows - 2), f = Float(x - Double(k))
                var norm: Float = 0
                for c in 0..<12 {
                    expected[i, c] = m[k, c] * (1 - f) + m[k + 1, c] * f
                    norm += expected[i, c] * expected[i, c]
                }
                if norm > 0 { for c in 0..<12 { expected[i, c] *= 1 / norm.squareRoot() } }
            }
            XCTAssertEqual(timeScaled(m, by: factor), rows == m.rows ? m : expected, "factor \(factor)")
        }
    }

    func testColumnSumsAddTheRowsInOrder() {
        let m = frames(31, seed: 9)
        var expected = [Float](repeating: 0, count: 12)
        for r in 0..<m.rows { for c in 0..<12 { expected[c] += m[r, c] } }
        XCTAssertEqual(AudioMatchScore.columnSums(m), expected)
    }
}
