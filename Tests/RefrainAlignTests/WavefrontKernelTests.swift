@testable import RefrainAlign
import RefrainMath
import XCTest

/// The striped DTW kernel under a global constraint: it makes and advances only the columns of each
/// stripe's windows, and its costs are still those of the whole recurrence, bit for bit.
final class WavefrontKernelTests: XCTestCase {
    /// The DTW cost by the textbook recurrence over the whole cost matrix, one cell at a time, with every
    /// cell outside `window` forbidden: `D[0,0] = C[0,0]`, each move adds `mul * C + add` of its weights.
    /// Rows run along the longer sequence, as `DTW.distance` orients the problem.
    static func reference(_ a: Matrix, _ b: Matrix, _ options: DTWOptions) throws -> Float {
        let transpose = a.rows < b.rows
        let (x, y) = transpose ? (b, a) : (a, b)
        let w = transpose
            ? StepWeights(diagonalMul: options.weights.diagonalMul, horizontalMul: options.weights.verticalMul,
                          verticalMul: options.weights.horizontalMul, diagonalAdd: options.weights.diagonalAdd,
                          horizontalAdd: options.weights.verticalAdd, verticalAdd: options.weights.horizontalAdd)
            : options.weights
        let cost = try CostMatrix.compute(x, y, metric: .cosine)
        let n = x.rows, m = y.rows
        let window = options.constraint.window(rows: n, cols: m)
        var d = [[Float]](repeating: [Float](repeating: .infinity, count: m), count: n)
        for i in 0..<n {
            for j in window.lo[i]...max(window.lo[i], window.hi[i]) where j <= window.hi[i] {
                let c = cost[i, j]
                if i == 0 && j == 0 { d[0][0] = c; continue }
                var best = Float.infinity
                if i > 0 && j > 0 { best = min(best, d[i - 1][j - 1] + (w.diagonalMul * c + w.diagonalAdd)) }
                if j > 0 { best = min(best, d[i][j - 1] + (w.horizontalMul * c + w.horizontalAdd)) }
                if i > 0 { best = min(best, d[i - 1][j] + (w.verticalMul * c + w.verticalAdd)) }
                d[i][j] = best
            }
        }
        return d[n - 1][m - 1]
    }

    /// Random 12-d frames, with a few silent (zero) ones, as CENS has.
    static func frames(_ rows: Int, _ g: inout SeededGenerator) -> Matrix {
        var m = randomMatrix(rows, 12, &g)
        for r in stride(from: 5, to: rows, by: 17) { for c in 0..<12 { m[r, c] = 0 } }
        return m
    }

    func testBandedDistanceIsTheWholeRecurrenceBitForBit() throws {
        var g = SeededGenerator(seed: 20)
        let constraints: [GlobalConstraint] = [.band(radius: 4), .band(radius: 20), .sakoeChiba(radiusFraction: 0.1),
                                               .itakura(slope: 2), .none]
        var compared = 0
        for (n, m) in [(37, 53), (53, 37), (64, 64), (200, 180), (9, 120), (121, 8)] {
            let a = Self.frames(n, &g), b = Self.frames(m, &g)
            for constraint in constraints {
                for weights in [StepWeights.standard, .nonDiagonalPenalty(0.1)] {
                    let options = DTWOptions(weights: weights, constraint: constraint)
                    let expected = try Self.reference(a, b, options)
                    let got = try DTW.distance(a, b, metric: .cosine, options: options)
                    XCTAssertEqual(got.bitPattern, expected.bitPattern, "\(n)x\(m) \(constraint) \(weights): \(got) vs \(expected)")
                    compared += expected.isFinite ? 1 : 0
                    // Abandoning above the cost changes nothing; below it, the answer is +inf.
                    if expected.isFinite {
                        XCTAssertEqual(try DTW.distance(a, b, metric: .cosine, options: options, abandonAbove: expected), expected)
                        XCTAssertEqual(try DTW.distance(a, b, metric: .cosine, options: options, abandonAbove: expected * 0.5),
                                       .infinity)
                    }
                    if expected.isFinite && n >= m {  // align keeps the given orientation, so its window is distance's
                        let aligned = try DTW.align(a, b, metric: .cosine, options: options)
                        XCTAssertEqual(aligned.cost.bitPattern, got.bitPattern, "\(n)x\(m) \(constraint): align's cost")
                    }
                }
            }
        }
        XCTAssertGreaterThan(compared, 40)
    }

    func testStripesAskOnlyForTheirWindowsColumns() {
        let n = 161, m = 200
        let window = GlobalConstraint.band(radius: 10).window(rows: n, cols: m)
        var asked: [(rows: Range<Int>, columns: Range<Int>)] = []
        let acc = StripedAccumulation.compute(rows: n, cols: m, weights: .standard, window: window, subsequence: false,
                                              keepAll: true) { r0, h, columns, dst, stride in
            asked.append((r0..<(r0 + h), columns))
            for k in 0..<h { for j in 0..<m { dst[k * stride + j] = 1 } }
        }
        XCTAssertEqual(asked.count, 1 + (n - 1 + 7) / 8)
        for call in asked.dropFirst() {
            // The union of the rows' windows, no wider: about 2 * 10 + 8 * 200 / 160 columns, not 200.
            let first = call.rows.map { window.lo[$0] }.min()!, last = call.rows.map { window.hi[$0] }.max()!
            XCTAssertEqual(call.columns, first..<(last + 1))
            XCTAssertLessThanOrEqual(call.columns.count, 31)
        }
        // All-ones costs: the diagonal-most path costs max(n, m) cells; every cell outside a window is +inf.
        XCTAssertEqual(acc.value(n - 1, m - 1), Float(m))
        for i in [1, 40, 100, 160] {
            for j in 0..<m where j < window.lo[i] || j > window.hi[i] { XCTAssertEqual(acc.value(i, j), .infinity, "(\(i), \(j))") }
            XCTAssertTrue(acc.value(i, window.lo[i]).isFinite)
        }
    }
}
