import Foundation
@testable import Refrain
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

/// `crp`: the CRP feature (Müller & Ewert 2010) of the constant-Q magnitude that `cens` folds, smoothed and
/// downsampled as `cens_fine`; its settings round-trip through an index's record.
final class CRPEncoderTests: XCTestCase {
    /// Three seconds of a C major triad (sines) at 22050 Hz.
    private static let triad: AudioSignal = {
        let rate = 22050.0
        let samples = (0..<Int(3 * rate)).map { i -> Float in
            let t = Double(i) / rate
            return Float([60.0, 64, 67].reduce(0) { $0 + sin(2 * .pi * 440 * pow(2, ($1 - 69) / 12) * t) } / 3)
        }
        return AudioSignal(samples: samples, sampleRate: rate)
    }()

    func testEncodesTheFeatureFunctionsCRPAtTheFineRate() throws {
        let encoder = try CRPEncoder()
        let source = AnalysisSource(signal: Self.triad, name: "triad", threads: 2)
        guard case .features(let encoded) = try encoder.encode(source) else { return XCTFail("CRP is a feature sequence") }
        // As the feature functions give it: CRP of the shared constant-Q magnitude, then smoothed and downsampled.
        let extractor = try ChromaExtractor(sampleRate: 22050, hopLength: 2048)
        let frames = crp(fromCQT: try extractor.cqt.magnitude(Self.triad, threads: 2), binsPerOctave: 36)
        XCTAssertEqual(encoded, smoothedUnitFrames(frames.values, times: frames.times, smoothingLength: 9, downsampling: 2))
        XCTAssertEqual(encoded.dimension, 12)
        // C, E and G lead every frame of the steady middle.
        let middle = encoded.values.row(encoded.frameCount / 2)
        let top = middle.indices.sorted { middle[$0] > middle[$1] }.prefix(3)
        XCTAssertEqual(Set(top), [0, 4, 7], "\(middle)")
        // `cens` encoding the same source afterwards reads the constant-Q magnitude CRP computed.
        var computed = 0
        _ = source.sharedFeature("cqt_chroma sr=22050.0 hop=2048") { computed += 1; return frames }
        XCTAssertEqual(computed, 0)
    }

    func testSettingsRoundTripAndUnknownOnesAreRefused() throws {
        var custom = CRPEncoder.Settings()
        custom.crp.firstKept = 40
        custom.chroma.smoothing = 21
        let record = try CRPEncoder(settings: custom).record
        XCTAssertEqual(record.name, "crp")
        XCTAssertEqual(try CRPEncoder.Settings(record.settings), custom)
        XCTAssertEqual(try CRPEncoder.Settings([:]), CRPEncoder.Settings())
        XCTAssertThrowsError(try CRPEncoder.Settings(["crp_shape": "x"])) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("encoder crp: unknown setting 'crp_shape'") ?? false, "\(error)")
        }
        var bad = CRPEncoder.Settings()
        bad.crp.firstKept = 0
        XCTAssertThrowsError(try CRPEncoder(settings: bad))
    }
}
