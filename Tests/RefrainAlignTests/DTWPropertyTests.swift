import Foundation
import RefrainAlign
import RefrainMath
import XCTest

/// Properties that must hold for any input: identities, bounds, limits, derivatives.
final class DTWPropertyTests: XCTestCase {
    func testSelfAlignmentCostsNothingAndIsDiagonal() throws {
        var g = SeededGenerator(seed: 3)
        for metric in CostMetric.allCases {
            let x = randomMatrix(57, 12, &g)
            let alignment = try DTW.align(x, x, metric: metric)
            XCTAssertEqual(alignment.cost, 0, accuracy: 1e-4, "\(metric)")
            XCTAssertEqual(alignment.path, (0..<57).map { PathStep($0, $0) })
            XCTAssertEqual(try DTW.distance(x, x, metric: metric), 0, accuracy: 1e-4)
        }
    }

    func testPathIsMonotoneAndItsCostIsTheTotal() throws {
        var g = SeededGenerator(seed: 4)
        let a = randomMatrix(33, 5, &g), b = randomMatrix(71, 5, &g)
        let cost = try CostMatrix.compute(a, b)
        let alignment = try DTW.align(cost: cost)
        XCTAssertEqual(alignment.path.first, PathStep(0, 0))
        XCTAssertEqual(alignment.path.last, PathStep(32, 70))
        for (p, q) in zip(alignment.path, alignment.path.dropFirst()) {
            XCTAssertTrue([(1, 1), (0, 1), (1, 0)].contains { $0 == (q.i - p.i, q.j - p.j) })
        }
        let sum = alignment.path.reduce(Float(0)) { $0 + cost[$1.i, $1.j] }
        XCTAssertEqual(sum, alignment.cost, accuracy: 1e-4 * sum)
    }

    func testBandedIsNeverBelowUnbanded() throws {
        var g = SeededGenerator(seed: 8)
        for trial in 0..<10 {
            let a = randomMatrix(20 + trial * 3, 4, &g), b = randomMatrix(25 + trial * 2, 4, &g)
            let cost = try CostMatrix.compute(a, b)
            let free = try DTW.distance(cost: cost)
            for constraint in [GlobalConstraint.sakoeChiba(radiusFraction: 0.1), .band(radius: 3), .itakura(slope: 2)] {
                let banded = (try? DTW.distance(cost: cost, options: DTWOptions(constraint: constraint))) ?? .infinity
                XCTAssertGreaterThanOrEqual(banded, free * (1 - 1e-6), "\(constraint)")
            }
        }
    }

    func testLowerBoundsNeverExceedTheDistance() throws {
        var g = SeededGenerator(seed: 9)
        for trial in 0..<30 {
            let q = randomMatrix(40, 3, &g), c = randomMatrix(25 + 2 * trial, 3, &g)  // shorter and longer than the query
            for metric in [CostMetric.squaredEuclidean, .euclidean] {
                for constraint in [GlobalConstraint.none, .sakoeChiba(radiusFraction: 0.25), .band(radius: 5), .itakura(slope: 2)] {
                    let options = DTWOptions(constraint: constraint)
                    guard let dtw = try? DTW.distance(q, c, metric: metric, options: options), dtw.isFinite else { continue }
                    XCTAssertLessThanOrEqual(try LowerBound.kim(q, c, metric: metric), dtw * (1 + 1e-5))
                    let envelope = try LowerBound.Envelope(query: q, candidateLength: c.rows, constraint: constraint, metric: metric)
                    let keogh = try LowerBound.keogh(envelope, c)
                    XCTAssertLessThanOrEqual(keogh, dtw * (1 + 1e-5) + 1e-5, "\(metric) \(constraint)")
                    if constraint != .none { XCTAssertGreaterThan(keogh, 0) }
                }
            }
        }
    }

    func testCascadeSearchEqualsFullScanAndPrunes() throws {
        var g = SeededGenerator(seed: 10)
        // Smooth random walks, like real feature trajectories (on white noise the bounds are empty).
        func walk() -> Matrix {
            var m = Matrix(rows: 48, cols: 4)
            var state = (0..<4).map { _ in Float.random(in: -3...3, using: &g) }
            for i in 0..<48 {
                for d in 0..<4 { state[d] += Float.random(in: -0.3...0.3, using: &g); m[i, d] = state[d] }
            }
            return m
        }
        let candidates = (0..<300).map { _ in walk() }
        var query = candidates[77]
        for k in 0..<query.storage.count { query.storage[k] += Float.random(in: -0.02...0.02, using: &g) }
        let constraint = GlobalConstraint.sakoeChiba(radiusFraction: 0.1)
        let (matches, stats) = try DTWSearch.nearest(query: query, candidates: candidates, count: 3, constraint: constraint)
        let full = try candidates.enumerated().map { ($0.offset, try DTW.distance(query, $0.element, metric: .squaredEuclidean, options: DTWOptions(constraint: constraint))) }
            .sorted { $0.1 < $1.1 }.prefix(3)
        XCTAssertEqual(matches.map(\.index), full.map(\.0))
        XCTAssertEqual(matches.first?.index, 77)
        print("cascade over \(stats.candidates): LB_Kim pruned \(stats.prunedByKim), LB_Keogh \(stats.prunedByKeogh), DTW abandoned \(stats.abandonedDTW), completed \(stats.completedDTW)")
        XCTAssertGreaterThan(stats.prunedByKim + stats.prunedByKeogh + stats.abandonedDTW, 250, "\(stats)")
        XCTAssertGreaterThan(stats.prunedByKim + stats.prunedByKeogh, 150, "\(stats)")
    }

    func testEarlyAbandoningReturnsInfinityOnlyAboveTheThreshold() throws {
        var g = SeededGenerator(seed: 12)
        let a = randomMatrix(100, 6, &g), b = randomMatrix(90, 6, &g)
        let exact = try DTW.distance(a, b)
        XCTAssertEqual(try DTW.distance(a, b, abandonAbove: exact * 1.01), exact)
        XCTAssertEqual(try DTW.distance(a, b, abandonAbove: exact * 0.5), .infinity)
    }

    /// Subsequence matches abandoned row by row: nothing comes back when the limit is below the best match,
    /// the same matches when it is above, with and without a non-diagonal penalty.
    func testSubsequenceEarlyAbandoningKeepsEveryMatchUnderTheLimit() throws {
        var g = SeededGenerator(seed: 31)
        let query = randomMatrix(40, 12, &g), database = randomMatrix(300, 12, &g)
        let cost = try CostMatrix.compute(query, database, metric: .cosine)
        for weights in [StepWeights.standard, .nonDiagonalPenalty(0.1)] {
            let all = try SubsequenceDTW.bestMatches(cost: cost, count: 3, weights: weights)
            XCTAssertEqual(all.count, 3)
            let best = all[0].cost
            XCTAssertEqual(try SubsequenceDTW.bestMatches(cost: cost, count: 3, weights: weights, abandonAbove: best * 1.001), all)
            XCTAssertEqual(try SubsequenceDTW.bestMatches(cost: cost, count: 3, weights: weights, abandonAbove: best * 0.999), [])
            // A limit far below the best stops within the first stripes; still nothing comes back.
            XCTAssertEqual(try SubsequenceDTW.bestMatches(cost: cost, count: 3, weights: weights, abandonAbove: best * 0.1), [])
        }
    }

    /// `SubsequenceSearch` (lazy costs, a distance-only pass first) finds exactly what `bestMatches` finds on
    /// each version's full cost matrix, for limits that abandon some versions, all of them, or none.
    func testSubsequenceSearchEqualsBestMatchesOnTheFullCostMatrix() throws {
        var g = SeededGenerator(seed: 44)
        let database = randomMatrix(260, 12, &g)
        // Three "versions" stacked: an excerpt of the database (cheap), and two unrelated queries.
        let excerpt = database.rows(100..<140)
        let stacked = Matrix(rowArrays: (0..<40).map { excerpt.row($0) } + (0..<90).map { _ in randomMatrix(1, 12, &g).row(0) })
        let versions = [0..<40, 40..<85, 85..<130]
        let search = try SubsequenceSearch(database: database, metric: .cosine)
        let weights = StepWeights.nonDiagonalPenalty(0.1)
        let full = try versions.map { rows in
            try SubsequenceDTW.bestMatches(cost: CostMatrix.compute(stacked.rows(rows), database, metric: .cosine), count: 3, weights: weights)
        }
        let excerptBest = full[0][0].cost, otherBest = min(full[1][0].cost, full[2][0].cost)
        XCTAssertLessThan(excerptBest, 0.5 * otherBest)
        for limit in [Float.infinity, (excerptBest + otherBest) / 2, excerptBest * 0.5] {
            for (v, rows) in versions.enumerated() {
                let lazy = try search.bestMatches(stacked, rows: rows, count: 3, weights: weights, abandonAbove: limit)
                let expected = full[v][0].cost <= limit ? full[v] : []
                XCTAssertEqual(lazy.map(\.start), expected.map(\.start), "version \(v), limit \(limit)")
                XCTAssertEqual(lazy.map(\.end), expected.map(\.end), "version \(v), limit \(limit)")
                for (a, b) in zip(lazy, expected) { XCTAssertEqual(a.cost, b.cost, accuracy: 1e-4 * max(1, b.cost)) }
            }
        }
        XCTAssertThrowsError(try search.bestMatches(Matrix(rows: 5, cols: 7), rows: 0..<5))
        // `bestCost`: the best match's cost without its path, nil past the limit.
        for limit in [Float.infinity, (excerptBest + otherBest) / 2, excerptBest * 0.5] {
            for (v, rows) in versions.enumerated() {
                let cost = try search.bestCost(stacked, rows: rows, weights: weights, abandonAbove: limit)
                if full[v][0].cost <= limit {
                    XCTAssertEqual(try XCTUnwrap(cost, "version \(v), limit \(limit)"), full[v][0].cost, accuracy: 1e-4 * max(1, full[v][0].cost))
                } else {
                    XCTAssertNil(cost, "version \(v), limit \(limit)")
                }
            }
        }
        XCTAssertThrowsError(try search.bestCost(Matrix(rows: 5, cols: 7), rows: 0..<5))
    }

    func testSoftDTWTendsToDTWAsGammaVanishes() throws {
        var g = SeededGenerator(seed: 13)
        let cost = try CostMatrix.compute(randomMatrix(30, 4, &g), randomMatrix(35, 4, &g), metric: .squaredEuclidean)
        let hard = Double(try DTW.distance(cost: cost))
        var previousGap = Double.infinity
        for gamma in [1.0, 0.1, 0.01, 0.001] {
            let soft = try SoftDTW.value(cost: cost, gamma: gamma)
            XCTAssertLessThanOrEqual(soft, hard + 1e-3)  // the soft minimum never exceeds the minimum
            let gap = hard - soft
            XCTAssertLessThanOrEqual(gap, previousGap + 1e-6)
            previousGap = gap
        }
        XCTAssertEqual(try SoftDTW.value(cost: cost, gamma: 0.001), hard, accuracy: 1e-2)
    }

    func testSoftDTWGradientMatchesFiniteDifferences() throws {
        var g = SeededGenerator(seed: 14)
        let cost = try CostMatrix.compute(randomMatrix(9, 3, &g), randomMatrix(11, 3, &g), metric: .squaredEuclidean)
        let gamma = 0.5
        let (_, gradient) = try SoftDTW.valueAndGradient(cost: cost, gamma: gamma)
        // Double-precision finite differences through a Float matrix: step large enough for Float.
        for (i, j) in [(0, 0), (3, 4), (8, 10), (5, 2), (2, 9)] {
            var plus = cost, minus = cost
            let h: Float = 1e-2
            plus[i, j] += h; minus[i, j] -= h
            let numeric = (try SoftDTW.value(cost: plus, gamma: gamma) - SoftDTW.value(cost: minus, gamma: gamma)) / Double(2 * h)
            XCTAssertEqual(Double(gradient[i, j]), numeric, accuracy: 2e-3, "(\(i), \(j))")
        }
        // The expected alignment starts and ends with certainty.
        XCTAssertEqual(gradient[0, 0], 1, accuracy: 1e-5)
        XCTAssertEqual(gradient[8, 10], 1, accuracy: 1e-5)
    }

    func testHammingCostMatrixCountsDifferingBits() {
        let a: [UInt16] = [0, 0xFFFF, 0x0F0F], b: [UInt16] = [0, 1, 0xFFFF]
        let c = CostMatrix.hamming(a, b)
        XCTAssertEqual(c.rowArrays, [[0, 1, 16], [16, 15, 0], [8, 7, 8]])
        XCTAssertEqual(CostMatrix.hamming([UInt64.max], [UInt64(0)])[0, 0], 64)
        XCTAssertEqual(CostMatrix.hamming([UInt32(0b1011)], [UInt32(0)])[0, 0], 3)
    }

    func testBadInputThrows() {
        XCTAssertThrowsError(try DTW.align(cost: Matrix(rows: 0, cols: 3)))
        XCTAssertThrowsError(try DTW.distance(Matrix(rows: 2, cols: 3), Matrix(rows: 2, cols: 4)))
        XCTAssertThrowsError(try SoftDTW.value(cost: Matrix(rows: 2, cols: 2), gamma: 0))
        XCTAssertThrowsError(try RaffelEllis.align(cost: Matrix(rows: 2, cols: 2), gully: 0))
        XCTAssertThrowsError(try DTW.align(cost: Matrix(rows: 2, cols: 2), options: DTWOptions(weights: StepWeights(diagonalMul: .nan))))
    }
}

/// The Float32 wavefront soft-DTW kernel against the Double reference, on sizes that exercise partial strips.
final class SoftDTWKernelTests: XCTestCase {
    func testFloatKernelMatchesDoubleReference() throws {
        var g = SeededGenerator(seed: 21)
        for (n, m, gamma) in [(1, 1, 1.0), (1, 7, 0.5), (7, 1, 0.5), (16, 16, 1.0), (17, 33, 0.1), (40, 23, 2.0), (500, 500, 1.0), (120, 300, 0.1)] {
            let cost = try CostMatrix.compute(randomMatrix(n, 12, &g), randomMatrix(m, 12, &g), metric: .squaredEuclidean)
            let (fast, fastGradient) = try SoftDTW.valueAndGradient(cost: cost, gamma: gamma)
            let (exact, exactGradient) = try SoftDTW.valueAndGradientDouble(cost: cost, gamma: gamma)
            XCTAssertEqual(fast, exact, accuracy: 1e-5 * abs(exact) + 1e-5, "\(n)x\(m) gamma \(gamma)")
            var worst: Float = 0
            for (a, b) in zip(fastGradient.storage, exactGradient.storage) { worst = max(worst, abs(a - b)) }
            // Float32 holds R to ~6e-8 |R|; the edge weights inherit ~|R| ulp / gamma.
            let bound = Float(max(1e-4, 5e-7 * abs(exact) / gamma))
            XCTAssertLessThan(worst, bound, "\(n)x\(m) gamma \(gamma)")
        }
    }
}
