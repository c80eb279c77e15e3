import Foundation
import RefrainFeatures
import RefrainMath
import XCTest

final class CRPTests: XCTestCase {
    /// A constant-Q magnitude made by scripts/reference/crp.py, as a 36-bins-per-octave CQT from C1 gives it.
    func input() throws -> FeatureSequence {
        FeatureSequence(values: try featureFixture("crp_cqt252.npy"), hopLength: 2048, sampleRate: 22050)
    }

    func testMatchesTheNumpyDefinition() throws {
        let ours = crp(fromCQT: try input(), binsPerOctave: 36)
        let agreement = Agreement(ours.values, try featureFixture("crp_default.npy"))
        XCTAssertLessThan(agreement.maxRelativeError, 1e-4, "\(agreement)")
    }

    func testParametersMatchTheNumpyDefinition() throws {
        let ours = crp(fromCQT: try input(), binsPerOctave: 36, parameters: CRPParameters(compression: 100, firstKept: 25))
        let agreement = Agreement(ours.values, try featureFixture("crp_k25_eta100.npy"))
        XCTAssertLessThan(agreement.maxRelativeError, 1e-4, "\(agreement)")
    }

    /// The comparison is sensitive: dropping coefficient 56 (0-based 55) too does not pass it. (Dropping 55 alone
    /// changes nothing: folding 120 pitches into 12 classes cancels every even coefficient that is not a multiple of 20.)
    func testComparisonDetectsAnotherCut() throws {
        let other = crp(fromCQT: try input(), binsPerOctave: 36, parameters: CRPParameters(firstKept: 57))
        XCTAssertGreaterThan(Agreement(other.values, try featureFixture("crp_default.npy")).maxRelativeError, 1e-3)
    }

    func testSilenceIsTheFlatUnitVector() throws {
        let silent = FeatureSequence(values: Matrix(rows: 2, cols: 252), hopLength: 2048, sampleRate: 22050)
        let out = crp(fromCQT: silent, binsPerOctave: 36)
        for value in out.values.row(1) { XCTAssertEqual(value, Float(1 / Double(12).squareRoot()), accuracy: 1e-6) }
    }

    /// Timbre invariance, the point of the feature: the same pitch with a brighter spectrum (stronger
    /// upper partials) keeps its pitch class on top, and its CRP moves less than its chroma does.
    func testABrighterToneKeepsItsPitchClass() throws {
        func tone(_ partials: [Float]) -> FeatureSequence {
            var values = Matrix(rows: 1, cols: 252)
            // A (MIDI 57) and its partials at +12, +19, +24, +28 semitones; three bins per semitone from C1.
            for (offset, amplitude) in zip([0, 12, 19, 24, 28], partials) { values[0, 3 * (57 - 24 + offset)] = amplitude }
            return FeatureSequence(values: values, hopLength: 2048, sampleRate: 22050)
        }
        let dull = tone([1, 0.3, 0.1, 0.05, 0.02]), bright = tone([0.3, 1, 0.8, 0.7, 0.6])
        let a = crp(fromCQT: dull, binsPerOctave: 36).values.row(0), b = crp(fromCQT: bright, binsPerOctave: 36).values.row(0)
        XCTAssertEqual(b.indices.max { b[$0] < b[$1] }, 9)
        XCTAssertEqual(a.indices.max { a[$0] < a[$1] }, 9)
        let folded = { (s: FeatureSequence) in chroma(fromCQT: s, binsPerOctave: 36, norm: nil).normalized(.l2).values.row(0) }
        let ca = folded(dull), cb = folded(bright)
        let crpSimilarity = zip(a, b).map { $0 * $1 }.reduce(0, +), chromaSimilarity = zip(ca, cb).map { $0 * $1 }.reduce(0, +)
        XCTAssertGreaterThan(crpSimilarity, chromaSimilarity)
    }

    func testInvalidParametersAreRefused() {
        XCTAssertThrowsError(try CRPParameters(compression: 0).validate())
        XCTAssertThrowsError(try CRPParameters(firstKept: 121).validate())
        XCTAssertNoThrow(try CRPParameters().validate())
    }
}
