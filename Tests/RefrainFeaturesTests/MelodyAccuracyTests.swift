import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

/// The MIREX melody measures against mir_eval 0.8 on the fixtures of scripts/reference/melody_accuracy.py
/// (octave errors, detuning, voicing errors, pitch guesses in unvoiced frames).
final class MelodyAccuracyTests: XCTestCase {
    struct Meta: Decodable { var cases: [String: [String: Double]] }

    func testMeasuresMatchMirEval() throws {
        let meta = try JSONDecoder().decode(Meta.self, from: Data(contentsOf: Fixtures.url("melody/meta.json")))
        XCTAssertEqual(meta.cases.count, 4)
        for (name, expected) in meta.cases {
            let times = try NPY.read(Fixtures.url("melody/\(name)_times.npy")).floats().map(Double.init)
            let reference = try NPY.read(Fixtures.url("melody/\(name)_ref.npy")).floats()
            let estimate = try NPY.read(Fixtures.url("melody/\(name)_est.npy")).floats()
            let a = MelodyAccuracy(referenceTimes: times, reference: reference, estimateTimes: times, estimate: estimate)
            // Same frames on both sides, so the counts are mir_eval's: within one frame in 10,000.
            let tolerance = 1e-4
            XCTAssertEqual(a.voicingRecall, expected["Voicing Recall"]!, accuracy: tolerance, name)
            XCTAssertEqual(a.voicingFalseAlarm, expected["Voicing False Alarm"]!, accuracy: tolerance, name)
            XCTAssertEqual(a.rawPitch, expected["Raw Pitch Accuracy"]!, accuracy: tolerance, name)
            XCTAssertEqual(a.rawChroma, expected["Raw Chroma Accuracy"]!, accuracy: tolerance, name)
            XCTAssertEqual(a.overall, expected["Overall Accuracy"]!, accuracy: tolerance, name)
        }
    }

    func testEstimateOnOtherFramesIsReadAtTheNearestFrame() {
        // Reference at 10 ms; the estimate at 5 ms, one octave high in its second half.
        let refTimes = (0..<100).map { Double($0) * 0.01 }
        let reference = [Float](repeating: 220, count: 100)
        let estTimes = (0..<200).map { Double($0) * 0.005 }
        let estimate = (0..<200).map { $0 < 100 ? Float(220) : Float(440) }
        let a = MelodyAccuracy(referenceTimes: refTimes, reference: reference, estimateTimes: estTimes, estimate: estimate)
        XCTAssertEqual(a.rawPitch, 0.5, accuracy: 1e-9)
        XCTAssertEqual(a.rawChroma, 1, accuracy: 1e-9)
        XCTAssertEqual(a.voicingRecall, 1, accuracy: 1e-9)
        let pooled = MelodyAccuracy.pooled([a, a])!
        XCTAssertEqual(pooled.rawPitch, 0.5, accuracy: 1e-9)
        XCTAssertEqual(pooled.frames, 200)
    }
}
