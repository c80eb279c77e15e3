import Foundation
@testable import Refrain
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

/// `cens` and `cens_fine` smooth one chroma: computed once per source, and each encoder's output is what it
/// gives alone.
final class CENSEncoderTests: XCTestCase {
    /// Four seconds of a C major then an A minor triad (sines), at 22050 Hz.
    private static func chords() -> AudioSignal {
        let rate = 22050.0
        let samples = (0..<Int(4 * rate)).map { i -> Float in
            let t = Double(i) / rate
            let notes: [Double] = t < 2 ? [60, 64, 67] : [57, 60, 64]
            return Float(notes.reduce(0) { $0 + sin(2 * .pi * 440 * pow(2, ($1 - 69) / 12) * t) } / 3)
        }
        return AudioSignal(samples: samples, sampleRate: rate)
    }

    private func features(_ array: EncodedArray, file: StaticString = #filePath, line: UInt = #line) -> FeatureSequence? {
        guard case .features(let sequence) = array else {
            XCTFail("a CENS encoder gives a feature sequence", file: file, line: line)
            return nil
        }
        return sequence
    }

    func testBothEncodersShareOneChromaAndGiveWhatEachGivesAlone() throws {
        let signal = Self.chords()
        let shared = AnalysisSource(signal: signal, name: "chords", threads: 2)
        let coarse = try CENSEncoder()
        let fine = try FineCENSEncoder()
        guard let coarseShared = features(try coarse.encode(shared)),
              let fineShared = features(try fine.encode(shared)),
              let coarseAlone = features(try coarse.encode(AnalysisSource(signal: signal, name: "chords", threads: 2))),
              let fineAlone = features(try fine.encode(AnalysisSource(signal: signal, name: "chords", threads: 2)))
        else { return }
        XCTAssertEqual(coarseShared, coarseAlone)
        XCTAssertEqual(fineShared, fineAlone)
        XCTAssertNotEqual(coarseShared.values.rows, fineShared.values.rows, "the two encoders keep other rates")
        // The encoder's CENS is the feature function's (librosa's chroma_cens), unchanged by the sharing.
        let direct = try coarse.chroma.cens(signal, smoothingLength: 21, downsampling: 5, threads: 2)
        XCTAssertEqual(coarseShared, direct)
        // Both read one chroma: asked again under the encoders' key, the source does not compute it.
        var computed = 0
        let key = "chroma_cqt sr=\(coarse.settings.sampleRate) hop=\(coarse.settings.chromaHop)"
        _ = shared.sharedFeature(key) { computed += 1; return direct }
        XCTAssertEqual(computed, 0, "the chroma was computed by the first encoder and kept")
        _ = shared.sharedFeature("another feature") { computed += 1; return direct }
        _ = shared.sharedFeature("another feature") { computed += 1; return direct }
        XCTAssertEqual(computed, 1, "a new key is computed once")
    }
}
