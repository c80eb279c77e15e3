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

    /// Even sizes go through a half-size complex FFT and the split into the real spectrum (eight bins at a time,
    /// scalar at the ends): every bin, at the sizes the CQT and the STFT use, against a direct DFT in Double.
    func testEvenSizesMatchDirectDFT() {
        for n in [2, 4, 6, 18, 34, 256, 1024, 2048] {
            let x = (0..<n).map { Float(sin(Double($0) * 0.37) + 0.5 * cos(Double($0 * $0) * 0.011)) }
            let spectrum = RealFFT(size: n).forward(x)
            let reference = directDFT(x)
            let peak = reference.map { hypot($0.0, $0.1) }.max()!
            for k in 0...(n / 2) {
                XCTAssertEqual(Double(spectrum[2 * k]), reference[k].0, accuracy: 2e-6 * peak, "n=\(n) k=\(k)")
                XCTAssertEqual(Double(spectrum[2 * k + 1]), reference[k].1, accuracy: 2e-6 * peak, "n=\(n) k=\(k)")
            }
            // Bins 0 and n/2 of a real signal are real.
            XCTAssertEqual(spectrum[1], 0, "n=\(n)")
            XCTAssertEqual(spectrum[2 * (n / 2) + 1], 0, "n=\(n)")
        }
    }

    /// `forward(_:bins:into:)` writes the asked bins, equal to the full transform's, and nothing else; from memory
    /// aligned as FFTW wants and from memory that is not (copied first).
    func testBandOfBinsEqualsFullTransform() {
        let n = 1024
        let x = (0..<(n + 1)).map { Float(sin(Double($0) * 0.05) * cos(Double($0) * 0.31)) }
        let fft = RealFFT(size: n)
        let full = fft.forward(Array(x[0..<n]))
        for (band, offset) in [(100..<190, 0), (0..<13, 0), (500..<513, 0), (97..<185, 1), (0..<513, 1)] {
            let source = Array(x[offset..<(offset + n)])
            let expected = offset == 0 ? full : fft.forward(source)
            var out = [Float](repeating: .nan, count: 2 * fft.binCount)
            x.withUnsafeBufferPointer { p in
                out.withUnsafeMutableBufferPointer { fft.forward(p.baseAddress! + offset, bins: band, into: $0.baseAddress!) }
            }
            for k in 0..<fft.binCount {
                if band.contains(k) {
                    XCTAssertEqual(out[2 * k], expected[2 * k], "bin \(k) of \(band), offset \(offset)")
                    XCTAssertEqual(out[2 * k + 1], expected[2 * k + 1], "bin \(k) of \(band), offset \(offset)")
                } else {
                    XCTAssertTrue(out[2 * k].isNaN && out[2 * k + 1].isNaN, "bin \(k) outside \(band) was written")
                }
            }
        }
    }

    private func directDFT(_ x: [Float]) -> [(Double, Double)] {
        let n = x.count
        return (0...(n / 2)).map { k in
            var re = 0.0, im = 0.0
            for t in 0..<n {
                let phase = -2 * Double.pi * Double(k * t % n) / Double(n)
                re += Double(x[t]) * cos(phase)
                im += Double(x[t]) * sin(phase)
            }
            return (re, im)
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
