import Foundation
import RefrainAlign
import XCTest

final class ScratchCyclesTests: XCTestCase {
    func testAlignLoop() throws {
        var g = SeededGenerator(seed: 1)
        let a = randomMatrix(1000, 12, &g), b = randomMatrix(1000, 12, &g)
        for _ in 0..<30 { _ = try DTW.align(a, b, metric: .squaredEuclidean) }
        let ha = (0..<1000).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        for _ in 0..<30 { _ = try DTW.distance(cost: CostMatrix.hamming(ha, ha)) }
    }
}
