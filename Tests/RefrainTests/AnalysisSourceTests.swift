import Foundation
@testable import Refrain
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

/// `AnalysisSource.cqtMagnitude`: a CQT computed once per source and shared; the learned encoders' frames
/// taken from `cqt_beats`' CQT (every second frame) are the ones computed from the audio, value for value.
final class AnalysisSourceTests: XCTestCase {
    func signal() -> AudioSignal {
        // Two seconds of two partials gliding apart, with a little noise, at 22050 Hz.
        var generator = SystemRandomNumberGenerator()
        let samples = (0..<44_100).map { n -> Float in
            let t = Double(n) / 22050
            return Float(0.4 * sin(2 * .pi * (220 + 40 * t) * t) + 0.2 * sin(2 * .pi * (660 - 60 * t) * t)) + Float.random(in: -0.01...0.01, using: &generator)
        }
        return AudioSignal(samples: samples, sampleRate: 22050)
    }

    func testLearnedFramesAfterCQTBeatsEqualTheFramesComputedAlone() throws {
        let audio = signal()
        let input = try LearnedInput()
        let alone = try input.audioFrames(audio, threads: 1)

        let source = AnalysisSource(signal: audio, name: "glide", threads: 2)
        let beats = try CQTBeatsEncoder()
        _ = try beats.encode(source)
        XCTAssertEqual(try source.cqtMagnitude(beats.cqt), try beats.cqt.magnitude(audio, threads: 1), "computed once, the same")
        let shared = try input.audioFrames(of: source)
        XCTAssertEqual(shared.rows, alone.rows)
        XCTAssertEqual(shared.cols, LearnedInput.bins)
        XCTAssertEqual(shared, alone, "value for value")

        // Without cqt_beats first, the learned frames are computed from the audio, as alone.
        let fresh = AnalysisSource(signal: audio, name: "glide", threads: 1)
        XCTAssertEqual(try input.audioFrames(of: fresh), alone)
    }
}
