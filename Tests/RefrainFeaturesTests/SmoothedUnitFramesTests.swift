import Foundation
import RefrainFeatures
import RefrainMath
import XCTest

final class SmoothedUnitFramesTests: XCTestCase {
    func testWithoutSmoothingFramesAreOnlyScaled() {
        let values = Matrix(rowArrays: [[3, 4], [0, 2], [-1, 0]])
        let out = smoothedUnitFrames(values, times: [0, 1, 2], smoothingLength: 0, downsampling: 1)
        XCTAssertEqual(out.values.row(0), [0.6, 0.8])
        XCTAssertEqual(out.values.row(1), [0, 1])
        XCTAssertEqual(out.values.row(2), [-1, 0])
        XCTAssertEqual(out.times, [0, 1, 2])
    }

    /// A one-frame impulse spreads over `smoothingLength` frames (the Hann window's two end points are 0),
    /// symmetrically about its frame.
    func testAnImpulseSpreadsOverTheWindow() {
        var values = Matrix(rows: 11, cols: 2)
        values[5, 0] = 1
        for t in 0..<11 { values[t, 1] = 0.01 }
        let out = smoothedUnitFrames(values, times: (0..<11).map(Double.init), smoothingLength: 3, downsampling: 1)
        XCTAssertGreaterThan(out.values[4, 0], 0.5)
        XCTAssertEqual(out.values[4, 0], out.values[6, 0], accuracy: 1e-6)
        XCTAssertLessThan(out.values[3, 0], 1e-6)
        XCTAssertLessThan(out.values[7, 0], 1e-6)
    }

    func testDownsamplingKeepsEveryNthFrameAndItsTime() {
        let values = Matrix(rows: 7, cols: 1) { r, _ in Float(r + 1) }
        let out = smoothedUnitFrames(values, times: (0..<7).map { Double($0) * 0.5 }, smoothingLength: 0, downsampling: 3)
        XCTAssertEqual(out.frameCount, 3)
        XCTAssertEqual(out.times, [0, 1.5, 3])
    }
}
