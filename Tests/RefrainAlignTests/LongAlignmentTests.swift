import Foundation
import RefrainAlign
import RefrainMath
import XCTest

/// Raffel & Ellis matching and multiscale DTW on warped copies of a sequence.
final class LongAlignmentTests: XCTestCase {
    /// A smooth random walk (`frames x dims`) and a copy of it played at a varying tempo.
    static func warpedPair(frames: Int, dims: Int, seed: UInt64) -> (Matrix, Matrix, [Double]) {
        var g = SeededGenerator(seed: seed)
        var a = Matrix(rows: frames, cols: dims)
        var state = [Float](repeating: 0, count: dims)
        for i in 0..<frames {
            for d in 0..<dims { state[d] = 0.97 * state[d] + Float.random(in: -1...1, using: &g); a[i, d] = state[d] }
        }
        // Tempo between 0.8 and 1.25, changing slowly: B frame k shows A at position pos[k].
        var positions: [Double] = [], pos = 0.0, k = 0
        while pos < Double(frames - 1) {
            positions.append(pos)
            pos += 1 + 0.22 * sin(Double(k) / 97)
            k += 1
        }
        var b = Matrix(rows: positions.count, cols: dims)
        for (r, p) in positions.enumerated() {
            let lo = Int(p), hi = min(lo + 1, frames - 1), w = Float(p - Double(lo))
            for d in 0..<dims { b[r, d] = (1 - w) * a[lo, d] + w * a[hi, d] }
        }
        return (a, b, positions)
    }

    func testMultiscalePathStaysNextToTheExactPath() throws {
        let (a, b, _) = Self.warpedPair(frames: 1600, dims: 12, seed: 21)
        let exact = try DTW.align(a, b)
        let fast = try MultiscaleDTW.align(a, b, radius: 8, exactBelow: 200)
        XCTAssertGreaterThan(fast.levels, 1)
        // Deviation: for every frame of A, the distance between the mean matched frames of B.
        func meanJ(_ path: [PathStep]) -> [Double] {
            var sum = [Double](repeating: 0, count: a.rows), count = [Double](repeating: 0, count: a.rows)
            for s in path { sum[s.i] += Double(s.j); count[s.i] += 1 }
            return zip(sum, count).map { $0 / $1 }
        }
        let deviation = zip(meanJ(exact.path), meanJ(fast.alignment.path)).map { abs($0 - $1) }
        let mean = deviation.reduce(0, +) / Double(deviation.count), worst = deviation.max()!
        print("multiscale 1600x\(b.rows): levels \(fast.levels), cells \(fast.cellsAtFinestLevel) of \(a.rows * b.rows), mean deviation \(mean) frames, max \(worst), cost ratio \(fast.alignment.cost / exact.cost)")
        XCTAssertLessThan(mean, 0.5)
        XCTAssertLessThanOrEqual(fast.alignment.cost, exact.cost * 1.01)
        XCTAssertGreaterThanOrEqual(fast.alignment.cost, exact.cost * (1 - 1e-5))
        XCTAssertLessThan(fast.cellsAtFinestLevel, a.rows * b.rows / 10)
    }

    func testTwentyMinutesAtTenHertzInBoundedMemory() throws {
        let (a, b, positions) = Self.warpedPair(frames: 12000, dims: 12, seed: 22)
        let fast = try MultiscaleDTW.align(a, b)
        XCTAssertLessThan(fast.cellsAtFinestLevel, 12000 * 200)  // vs 1.4e8 cells for the full matrix
        // The path follows the true warp: B frame k shows A frame positions[k].
        var errors: [Double] = []
        for s in fast.alignment.path { errors.append(abs(Double(s.i) - positions[s.j])) }
        let mean = errors.reduce(0, +) / Double(errors.count)
        print("multiscale 12000x\(b.rows): levels \(fast.levels), cells \(fast.cellsAtFinestLevel), mean error vs true warp \(mean) frames")
        XCTAssertLessThan(mean, 2)
    }

    func testRaffelEllisFindsAnExcerptAndScoresItBetterThanNoise() throws {
        let (a, b, _) = Self.warpedPair(frames: 400, dims: 12, seed: 23)
        // B without its first and last 3% (inside the default gully of 0.96).
        let excerpt = b.rows(12..<(b.rows - 12))
        let match = try RaffelEllis.align(a, excerpt, metric: .euclidean)
        XCTAssertEqual(match.path.last?.j, excerpt.rows - 1)
        XCTAssertGreaterThan(match.path.first!.i, 5)
        XCTAssertEqual(match.penalty, CostMatrix.median(of: try CostMatrix.compute(a, excerpt)))
        var g = SeededGenerator(seed: 24)
        let noise = randomMatrix(excerpt.rows, 12, &g)
        let bad = try RaffelEllis.align(a, noise, metric: .euclidean)
        XCTAssertLessThan(match.score, 0.3)
        XCTAssertGreaterThan(bad.score, 0.6)
        for (p, q) in zip(match.path, match.path.dropFirst()) {
            XCTAssertTrue(q.i - p.i >= 0 && q.j - p.j >= 0 && q.i - p.i + q.j - p.j >= 1 && q.i - p.i <= 1 && q.j - p.j <= 1)
        }
    }
}
