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
