import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

/// The named features the CLI offers: onset, beats and beat-synchronous pooling are the library's own pieces put
/// together (those pieces are checked against librosa in their own tests).
final class AudioFeatureKindTests: XCTestCase {
    /// 12 s of decaying 440 Hz notes every 0.5 s (120 BPM) over faint noise, at 22050 Hz.
    private func pulses() -> AudioSignal {
        let sr = 22050.0, count = Int(12 * sr)
        var y = [Float](repeating: 0, count: count)
        var state: UInt32 = 12345
        for i in 0..<count {
            state = state &* 1_664_525 &+ 1_013_904_223
            y[i] = 0.005 * (Float(state >> 8) / Float(1 << 24) - 0.5)
        }
        for k in 0..<24 {
            let start = Int((0.25 + 0.5 * Double(k)) * sr)
            for n in 0..<min(4000, count - start) {
                let t = Double(n) / sr
                y[start + n] += Float(0.4 * exp(-10 * t) * sin(2 * .pi * 440 * t))
            }
        }
        return AudioSignal(samples: y, sampleRate: sr)
    }

    func testOnsetIsTheMedianMelFluxEnvelope() throws {
        let signal = pulses()
        let onset = try AudioFeatureKind.onset.compute(signal)
        let direct = try onsetStrength(signal.samples, sampleRate: 22050, parameters: OnsetParameters(aggregate: .median))
        XCTAssertEqual(onset.values.storage, direct.strength)
        XCTAssertEqual(onset.dimension, 1)
        XCTAssertEqual(onset.times, direct.times)
    }

    func testBeatsFollowThePulses() throws {
        let analysis = try AudioFeatureKind.beats.analyze(pulses())
        let beats = try XCTUnwrap(analysis.beats)
        XCTAssertEqual(beats.bpm, 120, accuracy: 3)
        XCTAssertGreaterThan(beats.times.count, 18)
        XCTAssertEqual(analysis.features.times, beats.times)
        XCTAssertEqual(analysis.features.values.storage, beats.times.map { Float($0) })
        // Every beat lies within 60 ms of a note onset (0.25 + 0.5 k s).
        for t in beats.times {
            let k = ((t - 0.25) / 0.5).rounded()
            XCTAssertLessThan(abs(t - (0.25 + 0.5 * k)), 0.06, "beat at \(t) s")
        }
    }

    func testBeatSyncPoolsTheFeatureOverTheTrackedBeats() throws {
        let signal = pulses()
        for aggregate in FrequencyAggregate.allCases {
            let analysis = try AudioFeatureKind.chroma.analyze(signal, beatSync: aggregate)
            let beats = try XCTUnwrap(analysis.beats)
            let expected = try beatSynchronous(try AudioFeatureKind.chroma.compute(signal), frames: beats.frames,
                                               aggregate: aggregate)
            XCTAssertEqual(analysis.features, expected)
            XCTAssertEqual(analysis.features.frameCount, beats.frames.count + 1)
            // The pulses are A: pitch class 9 dominates every segment that holds a note.
            XCTAssertEqual(analysis.features.values.row(5).indices.max { analysis.features.values.row(5)[$0] < analysis.features.values.row(5)[$1] }, 9)
        }
    }

    func testBeatSyncRefusesOnsetAndBeats() {
        XCTAssertThrowsError(try AudioFeatureKind.onset.analyze(pulses(), beatSync: .mean))
        XCTAssertThrowsError(try AudioFeatureKind.beats.analyze(pulses(), beatSync: .median))
    }

    func testCENSParametersSetTheSmoothingAndTheRate() throws {
        let signal = pulses()
        let parameters = CENSParameters(smoothingLength: 9, downsampling: 3)
        let analysed = try AudioFeatureKind.cens.compute(signal, cens: parameters)
        let raw = try ChromaExtractor().chroma(signal, norm: nil)
        XCTAssertEqual(analysed, cens(fromChroma: raw, smoothingLength: 9, downsampling: 3))
        XCTAssertEqual(analysed.frameCount, (raw.frameCount + 2) / 3)
        XCTAssertEqual(analysed.times, stride(from: 0, to: raw.frameCount, by: 3).map { raw.times[$0] })
        // Out of range, or downsampled and beat-synchronous: an error, not a trap.
        for bad in [CENSParameters(downsampling: 0), CENSParameters(smoothingLength: -1)] {
            XCTAssertThrowsError(try AudioFeatureKind.cens.compute(signal, cens: bad))
        }
        XCTAssertThrowsError(try AudioFeatureKind.cens.analyze(signal, beatSync: .mean, cens: CENSParameters(downsampling: 2)))
    }
}
