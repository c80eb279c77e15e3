import RefrainMath
import XCTest

final class FeatureSequenceTests: XCTestCase {
    func testConstantRateTimesAndSlicing() {
        let seq = FeatureSequence(values: Matrix(rows: 5, cols: 2), hopLength: 512, sampleRate: 22050)
        XCTAssertEqual(seq.times[2], 1024.0 / 22050, accuracy: 1e-12)
        XCTAssertEqual(seq.frameRate, 22050.0 / 512, accuracy: 1e-9)
        let part = seq.frames(1..<3)
        XCTAssertEqual(part.frameCount, 2)
        XCTAssertEqual(part.times, Array(seq.times[1..<3]))
    }
}

final class ConcurrentlyTests: XCTestCase {
    func testReturnsBothResultsAndRethrows() throws {
        let (a, b) = try concurrently({ (0..<1000).reduce(0, +) }, { "done" })
        XCTAssertEqual(a, 499_500)
        XCTAssertEqual(b, "done")
        XCTAssertThrowsError(try concurrently({ 1 }, { () throws -> Int in throw RefrainError.invalidArgument("second") }))
        XCTAssertThrowsError(try concurrently({ () throws -> Int in throw RefrainError.invalidArgument("first") }, { 2 }))
    }
}
