import Foundation
import RefrainMath
import XCTest

final class FFTTests: XCTestCase {
    func testRealFFTMatchesDirectDFT() {
        for n in [8, 15, 64, 100] {
            let x = (0..<n).map { Float(sin(Double($0) * 0.7) + 0.3 * cos(Double($0) * 2.1)) }
            let spectrum = RealFFT(size: n).forward(x)
            for k in 0...(n / 2) {
                var re = 0.0, im = 0.0
                for t in 0..<n {
                    let phase = -2 * Double.pi * Double(k * t) / Double(n)
                    re += Double(x[t]) * cos(phase)
                    im += Double(x[t]) * sin(phase)
                }
                XCTAssertEqual(Double(spectrum[2 * k]), re, accuracy: 1e-4, "n=\(n) k=\(k)")
                XCTAssertEqual(Double(spectrum[2 * k + 1]), im, accuracy: 1e-4, "n=\(n) k=\(k)")
            }
        }
    }

    func testComplexFFTRoundTrip() {
        let n = 32
        var data = (0..<(2 * n)).map { Float(($0 * 7919) % 13) - 6 }
        let original = data
        data.withUnsafeMutableBufferPointer { ComplexFFT(size: n).transform($0) }
        data.withUnsafeMutableBufferPointer { ComplexFFT(size: n, inverse: true).transform($0) }
        for i in 0..<(2 * n) { XCTAssertEqual(data[i] / Float(n), original[i], accuracy: 1e-4) }
    }
}
