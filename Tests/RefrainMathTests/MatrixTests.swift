import Foundation
import RefrainMath
import XCTest

final class MatrixTests: XCTestCase {
    func testProductMatchesNaiveLoop() {
        let a = Matrix(rows: 7, cols: 5) { r, c in Float(r - c) / 3 }
        let b = Matrix(rows: 5, cols: 4) { r, c in Float(r * c) - 2 }
        let p = a.multiplied(by: b)
        for i in 0..<7 {
            for j in 0..<4 {
                let expected = (0..<5).reduce(Float(0)) { $0 + a[i, $1] * b[$1, j] }
                XCTAssertEqual(p[i, j], expected, accuracy: 1e-4)
            }
        }
        let bt = b.transposed()
        XCTAssertEqual(a.multipliedTransposed(bt).storage, p.storage)
    }

    /// Products of at least `BLASThreads.parallelWork` multiply-adds are split into row blocks, one per core;
    /// every combination of transposes must still equal the naive product.
    func testLargeProductsSplitByRowsMatchNaiveLoop() {
        let (m, k, n) = (301, 120, 150)  // 5.4 M multiply-adds
        XCTAssertGreaterThanOrEqual(m * k * n, BLASThreads.parallelWork)
        XCTAssertGreaterThan(BLASThreads.rowBlocks(count: m, work: m * k * n).count, ProcessInfo.processInfo.activeProcessorCount > 1 ? 1 : 0)
        let a = Matrix(rows: m, cols: k) { r, c in Float((r * 7 + c * 3) % 11) / 5 - 1 }
        let b = Matrix(rows: k, cols: n) { r, c in Float((r * 5 + c * 2) % 13) / 6 - 1 }
        var expected = Matrix(rows: m, cols: n)
        for i in 0..<m { for j in 0..<n { expected[i, j] = Float((0..<k).reduce(0.0) { $0 + Double(a[i, $1]) * Double(b[$1, j]) }) } }
        let cases: [(String, Matrix)] = [
            ("a b", Matrix.gemm(a, transposeA: false, b, transposeB: false)),
            ("a (b^T)^T", Matrix.gemm(a, transposeA: false, b.transposed(), transposeB: true)),
            ("(a^T)^T b", Matrix.gemm(a.transposed(), transposeA: true, b, transposeB: false)),
            ("(a^T)^T (b^T)^T", Matrix.gemm(a.transposed(), transposeA: true, b.transposed(), transposeB: true)),
        ]
        for (name, product) in cases {
            XCTAssertEqual(product.rows, m, name); XCTAssertEqual(product.cols, n, name)
            let worst = zip(product.storage, expected.storage).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 1e-3, name)
        }
    }

    /// The scatter matrix against a double-precision loop, small (one block) and large (one block of rows per
    /// core); symmetric, with the lower triangle mirrored.
    func testGramMatchesNaiveLoop() {
        for (n, d) in [(9, 4), (3000, 40)] {
            let x = Matrix(rows: n, cols: d) { r, c in Float((r * 13 + c * 7) % 17) / 8 - 1 }
            let g = x.gram(scale: 0.5)
            XCTAssertEqual(g.rows, d); XCTAssertEqual(g.cols, d)
            for i in 0..<d {
                for j in 0..<d {
                    let expected = 0.5 * (0..<n).reduce(0.0) { $0 + Double(x[$1, i]) * Double(x[$1, j]) }
                    XCTAssertEqual(Double(g[i, j]), expected, accuracy: 1e-4 * max(1, abs(expected)), "\(n)x\(d) [\(i), \(j)]")
                }
            }
        }
    }

    /// Eigenpairs of a symmetric matrix: A v = λ v for every pair, values ascending, unit vectors; a
    /// non-square matrix is refused.
    func testSymmetricEigenSatisfiesTheDefinition() throws {
        let b = Matrix(rows: 6, cols: 6) { r, c in Float((r * 5 + c * 3) % 7) - 3 }
        let a = Matrix(rows: 6, cols: 6) { r, c in b[r, c] + b[c, r] }
        let (values, vectors) = try a.symmetricEigen()
        XCTAssertEqual(values, values.sorted())
        for k in 0..<6 {
            let v = vectors.row(k)
            XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
            for i in 0..<6 {
                let av = (0..<6).reduce(Float(0)) { $0 + a[i, $1] * v[$1] }
                XCTAssertEqual(av, values[k] * v[i], accuracy: 1e-3, "pair \(k), row \(i)")
            }
        }
        XCTAssertThrowsError(try Matrix(rows: 2, cols: 3).symmetricEigen())
    }

    func testRowNormsTransposeAndSlices() {
        let m = Matrix(rowArrays: [[3, 4], [1, 0], [0, -2]])
        XCTAssertEqual(m.rowSquaredNorms(), [25, 1, 4])
        XCTAssertEqual(m.transposed().rowArrays, [[3, 1, 0], [4, 0, -2]])
        XCTAssertEqual(m.rows(1..<3).rowArrays, [[1, 0], [0, -2]])
        XCTAssertEqual(m.columns(1..<2).storage, [4, 0, -2])
        var n = m
        n.appendRows(of: m.rows(0..<1))
        XCTAssertEqual(n.rows, 4)
        XCTAssertEqual(n.row(3), [3, 4])
    }
}
