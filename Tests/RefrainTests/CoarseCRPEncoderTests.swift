import Foundation
@testable import Refrain
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

/// `crp_coarse`: the CRP feature (Müller & Ewert 2010) at `cens`'s time scale (smoothed over 21 frames,
/// downsampled by 5); its settings round-trip through an index's record and default to that scale.
final class CoarseCRPEncoderTests: XCTestCase {
    /// Six seconds of an A minor triad (sines) at 22050 Hz.
    private static let triad = AudioSignal(samples: FineRescoreStageTests.chords([[57, 60, 64]], seconds: 6, total: 6), sampleRate: 22050)

    func testEncodesTheFeatureFunctionsCRPAtTheCENSRate() throws {
        let encoder = try CoarseCRPEncoder.make()
        let source = AnalysisSource(signal: Self.triad, name: "triad", threads: 2)
        guard case .features(let encoded) = try encoder.encode(source) else { return XCTFail("CRP is a feature sequence") }
        let extractor = try ChromaExtractor(sampleRate: 22050, hopLength: 2048)
        let frames = crp(fromCQT: try extractor.cqt.magnitude(Self.triad, threads: 2), binsPerOctave: 36)
        XCTAssertEqual(encoded, smoothedUnitFrames(frames.values, times: frames.times, smoothingLength: 21, downsampling: 5))
        // About 2.15 frames per second, as `cens`: 6 s of 10.8 chroma frames per second, every fifth kept.
        XCTAssertEqual(encoded.frameCount, (frames.values.rows + 4) / 5)
        XCTAssertEqual(encoded.frameRate, 22050 / 2048 / 5, accuracy: 1e-6)
        // A, C and E lead the steady middle.
        let middle = encoded.values.row(encoded.frameCount / 2)
        let top = middle.indices.sorted { middle[$0] > middle[$1] }.prefix(3)
        XCTAssertEqual(Set(top), [9, 0, 4], "\(middle)")
        // Not the fine-rate `crp` of the same source.
        guard case .features(let fine) = try CRPEncoder().encode(source) else { return XCTFail("CRP is a feature sequence") }
        XCTAssertGreaterThan(fine.frameCount, 2 * encoded.frameCount)
    }

    func testRecordsItsOwnNameAndTheCoarseSettingsByDefault() throws {
        let record = try CoarseCRPEncoder.make().record
        XCTAssertEqual(record.name, "crp_coarse")
        XCTAssertEqual(record.settings["cens_smoothing"], "21")
        XCTAssertEqual(record.settings["cens_downsampling"], "5")
        // Recorded settings without the smoothing keys read as this encoder's defaults, not `crp`'s.
        XCTAssertEqual(try CoarseCRPEncoder.make(recorded: [:]).settings, CoarseCRPEncoder.defaultSettings)
        var custom = CoarseCRPEncoder.defaultSettings
        custom.crp.firstKept = 40
        XCTAssertEqual(try CoarseCRPEncoder.make(recorded: try CoarseCRPEncoder.make(custom).record.settings).settings, custom)
        XCTAssertThrowsError(try CoarseCRPEncoder.make(recorded: ["crp_shape": "x"]))
        // The standard registry makes it for a new index.
        XCTAssertTrue(EncoderRegistry.standard.names.contains("crp_coarse"))
    }
}
