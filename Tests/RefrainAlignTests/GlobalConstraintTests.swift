import Foundation
import RefrainAlign
import RefrainMath
import XCTest

/// The Itakura window of `GlobalConstraint` against brute-force definitions of the parallelogram and
/// tslearn's `itakura_mask`, and DTW under it against a brute-force dynamic programme over the mask.
final class GlobalConstraintTests: XCTestCase {
    /// The Itakura parallelogram by its definition, cell by cell: the slope `i/j` is measured relative
    /// to an axis of `axisRows / axisCols` rows per column, and must lie within `[1/slope, slope]`
    /// (bounds included) seen from `(0, 0)` and from `(N-1, M-1)`. Cross-multiplied, so that the first
    /// row and column need no special case; exact in `Double` for the slopes used here (1.5, 2, 2.5, 3)
    /// and integer axes.
    static func parallelogram(_ n: Int, _ m: Int, slope: Double, axisRows: Double, axisCols: Double) -> [[Bool]] {
        func within(_ rows: Int, _ cols: Int) -> Bool {
            let u = Double(rows) * axisCols, v = Double(cols) * axisRows  // u / v = slope relative to the axis
            return u * slope >= v && u <= v * slope
        }
        return (0..<n).map { i in (0..<m).map { j in within(i, j) && within(n - 1 - i, m - 1 - j) } }
    }

    /// Refrain's documented convention: relative to the matrix diagonal, `(N-1) / (M-1)` rows per column.
    static func diagonalParallelogram(_ n: Int, _ m: Int, slope: Double) -> [[Bool]] {
        parallelogram(n, m, slope: slope, axisRows: Double(n - 1), axisCols: Double(m - 1))
    }

    /// `GlobalConstraint.window` as a boolean mask.
    static func mask(_ constraint: GlobalConstraint, _ n: Int, _ m: Int) -> [[Bool]] {
        let (lo, hi) = constraint.window(rows: n, cols: m)
        return (0..<n).map { i in (0..<m).map { j in lo[i] <= j && j <= hi[i] } }
    }

    func testItakuraWindowIsTheParallelogramAroundTheDiagonal() {
        var checked = 0
        for slope in [1.5, 2, 2.5, 3] {
            for n in 2...30 {
                for m in 2...30 {
                    let expected = Self.diagonalParallelogram(n, m, slope: slope)
                    let window = Self.mask(.itakura(slope: Float(slope)), n, m)
                    guard window != expected else { checked += 1; continue }
                    XCTFail("itakura(slope: \(slope)) \(n)x\(m): window \(window) differs from \(expected)")
                    return
                }
            }
        }
        XCTAssertEqual(checked, 4 * 29 * 29)
        // The corners, and a cell just outside the slope bound from the first corner: in a 7x7 matrix with
        // slope 2, (2, 4) is on the bound (4/2 = 2) and (2, 5) beyond it.
        let m7 = Self.mask(.itakura(slope: 2), 7, 7)
        XCTAssertEqual(m7[0], [true] + Array(repeating: false, count: 6))
        XCTAssertEqual(m7[6], Array(repeating: false, count: 6) + [true])
        XCTAssertTrue(m7[2][4])
        XCTAssertFalse(m7[2][5])
        XCTAssertFalse(m7[2][0])
    }

    func testItakuraWindowIsSymmetricUnderTransposition() {
        for (n, m) in [(9, 17), (20, 31), (12, 20)] {
            let wide = Self.mask(.itakura(slope: 2), n, m), tall = Self.mask(.itakura(slope: 2), m, n)
            for i in 0..<n { for j in 0..<m { XCTAssertEqual(wide[i][j], tall[j][i], "\(n)x\(m) cell (\(i), \(j))") } }
        }
    }

    func testItakuraWindowMatchesTslearnOnSquareMatrices() throws {
        for (name, n, slope) in [("itakura_6x6_s3", 6, 3.0), ("itakura_20x20_s2", 20, 2.0)] {
            let reference = try AlignFixtures.matrix(name)
            XCTAssertEqual(reference.rows, n); XCTAssertEqual(reference.cols, n)
            let tslearn = (0..<n).map { i in (0..<n).map { j in reference[i, j] != 0 } }
            XCTAssertEqual(Self.mask(.itakura(slope: Float(slope)), n, n), tslearn, name)
        }
    }

    /// For N != M tslearn measures slopes against N/M rows per column, Refrain against (N-1)/(M-1):
    /// each mask is its own brute-force parallelogram, and the two differ.
    func testTslearnScalesNonSquareBoundsByTheLengthRatio() throws {
        let reference = try AlignFixtures.matrix("itakura_12x20_s2")
        let tslearn = (0..<12).map { i in (0..<20).map { j in reference[i, j] != 0 } }
        XCTAssertEqual(tslearn, Self.parallelogram(12, 20, slope: 2, axisRows: 12, axisCols: 20))
        let ours = Self.mask(.itakura(slope: 2), 12, 20)
        XCTAssertEqual(ours, Self.diagonalParallelogram(12, 20, slope: 2))
        XCTAssertNotEqual(ours, tslearn)
    }

    /// Standard-step DTW (`D[0,0] = C[0,0]`, each move adds the cell's cost) over the cells `allowed`
    /// marks, in double precision; `+inf` when no path exists.
    static func bruteForceDTW(_ cost: Matrix, allowed: [[Bool]]) -> Double {
        let n = cost.rows, m = cost.cols
        var d = [[Double]](repeating: [Double](repeating: .infinity, count: m), count: n)
        for i in 0..<n {
            for j in 0..<m where allowed[i][j] {
                if i == 0 && j == 0 { d[0][0] = Double(cost[0, 0]); continue }
                var best = Double.infinity
                if i > 0 && j > 0 { best = min(best, d[i - 1][j - 1]) }
                if j > 0 { best = min(best, d[i][j - 1]) }
                if i > 0 { best = min(best, d[i - 1][j]) }
                d[i][j] = best + Double(cost[i, j])
            }
        }
        return d[n - 1][m - 1]
    }

    /// `b` is `a` with its first frame held for 15 extra frames: unconstrained DTW absorbs the hold
    /// with a free horizontal run along row 0, which the Itakura window forbids.
    func testItakuraChangesTheOptimalCostAsTheBruteForceSays() throws {
        var g = SeededGenerator(seed: 1975)
        let a = randomMatrix(20, 6, &g)
        let b = Matrix(rows: 35, cols: 6) { r, c in a[max(0, r - 15), c] }
        let cost = try CostMatrix.compute(a, b, metric: .euclidean)
        let options = DTWOptions(constraint: .itakura(slope: 2))
        let allowed = Self.diagonalParallelogram(20, 35, slope: 2)
        let expected = Self.bruteForceDTW(cost, allowed: allowed)
        let free = Self.bruteForceDTW(cost, allowed: Array(repeating: Array(repeating: true, count: 35), count: 20))
        XCTAssertEqual(free, 0, accuracy: 1e-6)
        XCTAssertEqual(try DTW.distance(cost: cost), 0, accuracy: 1e-5)
        XCTAssertGreaterThan(expected, 1, "the window must bind for this test to mean anything")
        XCTAssertTrue(expected.isFinite)

        let alignment = try DTW.align(cost: cost, options: options)
        XCTAssertEqual(Double(alignment.cost), expected, accuracy: 1e-5 * expected)
        for step in alignment.path { XCTAssertTrue(allowed[step.i][step.j], "path leaves the window at \(step)") }
        XCTAssertEqual(try DTW.distance(cost: cost, options: options), alignment.cost)
        // The streaming distance runs along the longer sequence (the transposed problem).
        XCTAssertEqual(Double(try DTW.distance(a, b, metric: .euclidean, options: options)), expected, accuracy: 1e-5 * expected)
        XCTAssertEqual(Double(try DTW.distance(b, a, metric: .euclidean, options: options)), expected, accuracy: 1e-5 * expected)
    }

    func testItakuraWithoutAdmissiblePathThrows() {
        let cost = Matrix(rows: 1, cols: 5, storage: [1, 1, 1, 1, 1])
        XCTAssertThrowsError(try DTW.align(cost: cost, options: DTWOptions(constraint: .itakura(slope: 2))))
        XCTAssertEqual(try DTW.align(cost: cost).cost, 5)
    }
}
