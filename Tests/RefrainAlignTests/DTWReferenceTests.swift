import Foundation
import RefrainAlign
import RefrainMath
import XCTest

/// DTW, subsequence DTW, soft-DTW and cost matrices against librosa, tslearn and dtaidistance.
final class DTWReferenceTests: XCTestCase {
    func testCostMatricesMatchSciPy() throws {
        let x = try AlignFixtures.matrix("X"), y = try AlignFixtures.matrix("Y")
        assertClose(try CostMatrix.compute(x, y, metric: .cosine), try AlignFixtures.matrix("cost_cosine"))
        assertClose(try CostMatrix.compute(x, y, metric: .squaredEuclidean), try AlignFixtures.matrix("cost_sqeuclidean"))
        let euclid = try CostMatrix.compute(x, y, metric: .euclidean)
        let sq = try AlignFixtures.matrix("cost_sqeuclidean")
        assertClose(euclid, sq.map { $0.squareRoot() })
    }

    func testPlainDTWMatchesLibrosa() throws {
        let cost = try CostMatrix.compute(AlignFixtures.matrix("X"), AlignFixtures.matrix("Y"))
        let expectedD = try AlignFixtures.matrix("plain_D")
        assertClose(try DTW.accumulatedCost(cost: cost), expectedD)
        let alignment = try DTW.align(cost: cost)
        XCTAssertEqual(alignment.path, try AlignFixtures.path("plain_path"))
        XCTAssertEqual(alignment.cost, expectedD[cost.rows - 1, cost.cols - 1], accuracy: 1e-4 * alignment.cost)
        XCTAssertEqual(try DTW.distance(cost: cost), alignment.cost)
        let direct = try DTW.distance(AlignFixtures.matrix("X"), AlignFixtures.matrix("Y"))
        XCTAssertEqual(direct, alignment.cost, accuracy: 1e-4 * alignment.cost)
    }

    func testWeightedDTWMatchesLibrosa() throws {
        let cost = try CostMatrix.compute(AlignFixtures.matrix("X"), AlignFixtures.matrix("Y"))
        let meta = try AlignFixtures.meta()
        let mul = (meta["weights_mul"] as! [Double]).map(Float.init), add = (meta["weights_add"] as! [Double]).map(Float.init)
        // librosa's order: diagonal, (0,1) = horizontal, (1,0) = vertical.
        let weights = StepWeights(diagonalMul: mul[0], horizontalMul: mul[1], verticalMul: mul[2],
                                  diagonalAdd: add[0], horizontalAdd: add[1], verticalAdd: add[2])
        let options = DTWOptions(weights: weights)
        assertClose(try DTW.accumulatedCost(cost: cost, options: options), try AlignFixtures.matrix("weighted_D"))
        XCTAssertEqual(try DTW.align(cost: cost, options: options).path, try AlignFixtures.path("weighted_path"))
        let x = try AlignFixtures.matrix("X"), y = try AlignFixtures.matrix("Y")
        XCTAssertEqual(try DTW.distance(x, y, options: options), try DTW.distance(cost: cost, options: options), accuracy: 1e-3)
    }

    func testSakoeChibaBandMatchesLibrosa() throws {
        for name in ["band_wide", "band_tall"] {
            let cost = try AlignFixtures.matrix(name + "_C")
            let options = DTWOptions(constraint: .sakoeChiba(radiusFraction: 0.25))
            assertClose(try DTW.accumulatedCost(cost: cost, options: options), try AlignFixtures.matrix(name + "_D"))
            XCTAssertEqual(try DTW.align(cost: cost, options: options).path, try AlignFixtures.path(name + "_path"), name)
        }
    }

    func testSubsequenceDTWMatchesLibrosa() throws {
        let cost = try AlignFixtures.matrix("subseq_C")
        let expected = try AlignFixtures.matrix("subseq_lastrow").storage
        let mf = try SubsequenceDTW.matchingFunction(cost: cost)
        assertClose(Matrix(rows: 1, cols: mf.count, storage: mf), Matrix(rows: 1, cols: expected.count, storage: expected))
        let best = try SubsequenceDTW.bestMatches(cost: cost, count: 3)
        let path = try AlignFixtures.path("subseq_path")
        XCTAssertEqual(best[0].path, path)
        XCTAssertEqual(best[0].start, path.first!.j)
        XCTAssertEqual(best[0].end, path.last!.j)
        XCTAssertTrue((95...105).contains(best[0].start) && (124...134).contains(best[0].end))
        // Later matches never overlap earlier ones and are no better.
        for k in 1..<best.count {
            XCTAssertGreaterThanOrEqual(best[k].cost, best[k - 1].cost)
            for p in 0..<k { XCTAssertTrue(best[k].end < best[p].start || best[k].start > best[p].end) }
        }
    }

    func testSoftDTWMatchesTslearn() throws {
        let a = try AlignFixtures.matrix("soft_a"), b = try AlignFixtures.matrix("soft_b")
        let meta = try AlignFixtures.meta()
        for (gamma, key) in [(1.0, "1p0"), (0.1, "0p1")] {
            let expected = meta["soft_value_" + key] as! Double
            XCTAssertEqual(try SoftDTW.value(a, b, gamma: gamma), expected, accuracy: 1e-4 * abs(expected))
            let cost = try CostMatrix.compute(a, b, metric: .squaredEuclidean)
            let (value, gradient) = try SoftDTW.valueAndGradient(cost: cost, gamma: gamma)
            XCTAssertEqual(value, expected, accuracy: 1e-4 * abs(expected))
            let expectedGradient = try AlignFixtures.matrix("soft_grad_" + key)
            var worst: Float = 0
            for (x, y) in zip(gradient.storage, expectedGradient.storage) { worst = max(worst, abs(x - y)) }
            XCTAssertLessThan(worst, 1e-4, "gamma \(gamma)")
        }
    }

    func testDtaidistanceConventions() throws {
        let meta = try AlignFixtures.meta()
        // distance_fast: squared differences accumulated, square root of the total.
        let s1 = try AlignFixtures.matrix("dtai_s1"), s2 = try AlignFixtures.matrix("dtai_s2")
        let d1 = try DTW.distance(s1, s2, metric: .squaredEuclidean).squareRoot()
        XCTAssertEqual(Double(d1), meta["dtai_1d"] as! Double, accuracy: 1e-4 * (meta["dtai_1d"] as! Double))
        let m1 = try AlignFixtures.matrix("dtai_m1"), m2 = try AlignFixtures.matrix("dtai_m2")
        let dn = try DTW.distance(m1, m2, metric: .squaredEuclidean).squareRoot()
        XCTAssertEqual(Double(dn), meta["dtai_nd"] as! Double, accuracy: 1e-4 * (meta["dtai_nd"] as! Double))
    }
}
