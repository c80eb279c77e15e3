import Foundation
import RefrainAudio
import RefrainMath
import XCTest

/// FFT convolution against the direct sum, and the synthetic room impulse responses against Schroeder's
/// reverberation-time estimate.
final class RoomAndConvolutionTests: XCTestCase {
    func testFFTConvolutionEqualsDirectConvolution() throws {
        var random = SplitMix64(seed: 5)
        for (n, k) in [(1, 1), (100, 7), (5000, 300), (20000, 2500), (3, 4000)] {
            let x = (0..<n).map { _ in Float(random.gaussian()) }, h = (0..<k).map { _ in Float(random.gaussian()) }
            let fast = try FFTConvolver(kernel: h).convolve(x)
            XCTAssertEqual(fast.count, n + k - 1)
            var worst: Float = 0
            for i in stride(from: 0, to: n + k - 1, by: max(1, (n + k) / 400)) {
                var sum = 0.0
                for j in max(0, i - n + 1)...min(i, k - 1) { sum += Double(h[j]) * Double(x[i - j]) }
                worst = max(worst, abs(fast[i] - Float(sum)))
            }
            XCTAssertLessThan(worst, 2e-3, "n \(n) k \(k)")
        }
        XCTAssertThrowsError(try FFTConvolver(kernel: []))
    }

    /// The estimator itself on an ideal exponentially decaying noise of known RT60.
    func testRT60EstimateOfAnIdealDecay() {
        var random = SplitMix64(seed: 9)
        let rate = 16000.0
        for rt60 in [0.3, 1.0, 2.0] {
            let decay = log(1000.0) / (rt60 * rate)
            let ir = (0..<Int(1.5 * rt60 * rate)).map { Float(random.gaussian() * exp(-decay * Double($0))) }
            let estimate = RoomImpulseResponse.estimateRT60(ir, sampleRate: rate)
            XCTAssertNotNil(estimate)
            XCTAssertEqual(estimate ?? 0, rt60, accuracy: 0.05 * rt60, "ideal decay \(rt60) s")
        }
    }

    func testSynthesizedRoomsHaveTheirRT60AndDirectToReverberantRatio() throws {
        for (rt60, drr, rate) in [(0.2, 5.0, 22050.0), (0.6, 0.0, 44100.0), (1.2, -3.0, 16000.0), (2.0, 10.0, 48000.0)] {
            let room = RoomImpulseResponse(rt60: rt60, directToReverberantDB: drr, seed: 3)
            let ir = try room.samples(sampleRate: rate)
            let estimate = try XCTUnwrap(RoomImpulseResponse.estimateRT60(ir, sampleRate: rate))
            XCTAssertEqual(estimate, rt60, accuracy: 0.1 * rt60, "RT60 \(rt60) s at \(rate) Hz")
            let rest = ir.dropFirst().reduce(0.0) { $0 + Double($1) * Double($1) }
            XCTAssertEqual(10 * log10(1 / rest), drr, accuracy: 0.01)
            XCTAssertEqual(try room.samples(sampleRate: rate), ir, "same seed, same response")
        }
        XCTAssertThrowsError(try RoomImpulseResponse(rt60: 0).samples(sampleRate: 22050))
    }
}
