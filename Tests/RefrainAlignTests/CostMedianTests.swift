import Foundation
@testable import RefrainAlign
import RefrainMath
import XCTest

/// `CostMatrix.median(of:)` (a radix histogram, then a selection within one bin) against a full sort and against
/// the plain copy-and-select path it replaced (`medianBySelection`).
final class CostMedianTests: XCTestCase {
    /// The median of a full sort: the middle finite value, or the mean of the two middle ones.
    private func sortedMedian(_ values: [Float]) -> Float {
        let sorted = values.filter(\.isFinite).sorted()
        guard !sorted.isEmpty else { return 0 }
        let n = sorted.count
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2])
    }

    private func check(_ values: [Float], _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        let matrix = Matrix(rows: 1, cols: values.count, storage: values)
        let median = CostMatrix.median(of: matrix)
        XCTAssertEqual(median, sortedMedian(values), label, file: file, line: line)
        XCTAssertEqual(median, CostMatrix.medianBySelection(of: matrix), label, file: file, line: line)
    }

    /// Odd and even counts, with and without ties, negative values.
    func testMedianMatchesSortedMedian() {
        var random = SystemRandomNumberGenerator()
        for count in [1, 2, 3, 10, 11, 100, 1001] {
            for ties in [false, true] {
                let values = (0..<count).map { _ in ties ? Float(Int.random(in: 0...4, using: &random)) : Float.random(in: -5...5, using: &random) }
                check(values, "count \(count) ties \(ties)")
            }
        }
        XCTAssertEqual(CostMatrix.median(of: Matrix(rows: 1, cols: 3, storage: [.nan, 2, .infinity])), 2)
    }

    /// Cosine cost matrices as the exact stage makes them (values in [0, 2], most of them in a narrow range, so
    /// that the middle's bin holds many entries), with infinite and NaN entries mixed in, and edge cases: no
    /// finite entry, all equal, the two middles in different bins, the lower middle the only entry below its bin.
    func testMedianOfCostMatricesEqualsThePlainPath() throws {
        var random = SystemRandomNumberGenerator()
        for (rows, cols) in [(300, 451), (128, 128), (97, 13), (2, 2)] {
            let a = Matrix(rows: rows, cols: 24) { _, _ in Float.random(in: 0...1, using: &random) }
            let b = Matrix(rows: cols, cols: 24) { _, _ in Float.random(in: 0...1, using: &random) }
            var cost = try CostMatrix.compute(a, b, metric: .cosine)
            check(cost.storage, "\(rows) x \(cols)")
            for k in stride(from: 0, to: cost.storage.count, by: 7) { cost.storage[k] = k % 2 == 0 ? .nan : .infinity }
            check(cost.storage, "\(rows) x \(cols) with NaN and infinity")
        }
        check([], "empty")
        check([.nan, .infinity, -.infinity], "nothing finite")
        check([Float](repeating: 0.25, count: 1000), "all equal")
        check([1, 1000], "two bins")
        check([1, 2, 1000, 1001], "lower middle the largest entry of the bins below the upper middle's")
        check([1, 1000, 1000.5, 1001], "both middles in one bin")
        check([-3, -1e-30, 1e-30, 3, 0.5, -0.5], "around zero")
        check((0..<4097).map { Float($0 % 5) * 1e-3 + 0.7 }, "one bin, many ties")
    }
}
