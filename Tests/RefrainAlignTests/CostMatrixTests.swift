import Foundation
import RefrainAlign
import RefrainMath
import XCTest

/// `CostMatrix.compute` above its direct-pass limit of 32 dimensions, where costs come from one BLAS
/// product `a * b^T` and the row norms, against a naive double-precision loop.
final class CostMatrixTests: XCTestCase {
    /// `a` (`37 x dims`) and `b` (`53 x dims`): random frames in `[0, 1)`, with in `b` a copy of `a[0]`, a
    /// near-copy of `a[1]` (offsets of 1e-3: the expansion cancels there), a frame 1000 times larger than
    /// `a[2]`, and zero frames in both (`a[3]`, `b[4]`, `b[5]`).
    static func frames(dims: Int, seed: UInt64) -> (a: Matrix, b: Matrix) {
        var g = SeededGenerator(seed: seed)
        var a = randomMatrix(37, dims, &g), b = randomMatrix(53, dims, &g)
        for d in 0..<dims {
            b[0, d] = a[0, d]
            b[1, d] = a[1, d] + (d % 2 == 0 ? 1e-3 : -1e-3)
            b[2, d] = 1000 * a[2, d]
            a[3, d] = 0; b[4, d] = 0; b[5, d] = 0
        }
        return (a, b)
    }

    /// The naive cost of two frames in double precision, and their squared norms.
    static func naive(_ a: Matrix, _ i: Int, _ b: Matrix, _ j: Int, _ metric: CostMetric) -> (cost: Double, norms: Double) {
        var dot = 0.0, na = 0.0, nb = 0.0, sq = 0.0
        for d in 0..<a.cols {
            let x = Double(a[i, d]), y = Double(b[j, d])
            dot += x * y; na += x * x; nb += y * y; sq += (x - y) * (x - y)
        }
        switch metric {
        case .euclidean: return (sq.squareRoot(), na + nb)
        case .squaredEuclidean: return (sq, na + nb)
        case .cosine:
            // The documented convention: a zero frame is at cost 1 from every frame but another zero frame.
            if na == 0 || nb == 0 { return (na == 0 && nb == 0 ? 0 : 1, na + nb) }
            return (1 - dot / (na.squareRoot() * nb.squareRoot()), na + nb)
        }
    }

    /// Tolerances, absolute: squared Euclidean within `2e-6 * (|a|^2 + |b|^2)` (the scale of the
    /// expansion `|a|^2 + |b|^2 - 2 a.b` in float32), and within `1e-4` relative where that expansion
    /// cancels (squared distance below `1e-3 * (|a|^2 + |b|^2)`), which the code recomputes directly;
    /// Euclidean: the same bounds on its square; cosine within `1e-5`.
    func checkAgainstNaive(dims: Int, seed: UInt64) throws {
        let (a, b) = Self.frames(dims: dims, seed: seed)
        for metric in CostMetric.allCases {
            let cost = try CostMatrix.compute(a, b, metric: metric)
            XCTAssertEqual(cost.rows, 37); XCTAssertEqual(cost.cols, 53)
            var worst = 0.0
            for i in 0..<a.rows {
                for j in 0..<b.rows {
                    let (exact, norms) = Self.naive(a, i, b, j, metric)
                    let got = Double(cost[i, j])
                    let error: Double
                    switch metric {
                    case .cosine:
                        error = abs(got - exact) / 1e-5
                    case .euclidean, .squaredEuclidean:
                        let (g2, e2) = metric == .euclidean ? (got * got, exact * exact) : (got, exact)
                        let cancels = e2 < 1e-3 * norms
                        let bound = cancels ? 1e-4 * e2 : 2e-6 * norms
                        error = abs(g2 - e2) / max(bound, .leastNonzeroMagnitude)  // 0 for exact zeros
                    }
                    if !(error <= 1) {
                        XCTFail("\(metric) \(dims)-d cell (\(i), \(j)): \(got), naive \(exact)")
                        return
                    }
                    worst = max(worst, error)
                }
            }
            print("\(metric) \(dims)-d: worst error \(worst) of the tolerance")
            // A frame is at cost exactly 0 from its copy (Euclidean), and zero frames follow the convention.
            if metric != .cosine { XCTAssertEqual(cost[0, 0], 0, "\(metric)") }
            XCTAssertEqual(cost[3, 4], 0, "\(metric): zero frame to zero frame")
            if metric == .cosine {
                XCTAssertEqual(cost[3, 0], 1, "a zero frame is at cosine cost 1 from a non-zero one")
                XCTAssertEqual(cost[0, 5], 1, "a non-zero frame is at cosine cost 1 from a zero one")
                XCTAssertEqual(cost[2, 2], 0, accuracy: 1e-5, "cosine ignores scale")
            }
            if metric != .cosine { XCTAssertGreaterThan(cost[1, 1], 0, "\(metric): the near-copy is not a copy") }
        }
    }

    /// Below the BLAS limit the direct pass runs; cosine takes its blocked kernel (four query frames by
    /// eight item frames at a time): 37 rows leave a group of one, 53 columns a block of five.
    func testDirectCostsMatchNaiveLoopAt12Dimensions() throws {
        try checkAgainstNaive(dims: 12, seed: 12)
    }

    func testDirectCostsMatchNaiveLoopAt5Dimensions() throws {
        try checkAgainstNaive(dims: 5, seed: 5)
    }

    func testBLASCostsMatchNaiveLoopAt48Dimensions() throws {
        try checkAgainstNaive(dims: 48, seed: 48)
    }

    func testBLASCostsMatchNaiveLoopAt100Dimensions() throws {
        try checkAgainstNaive(dims: 100, seed: 100)
    }
}
