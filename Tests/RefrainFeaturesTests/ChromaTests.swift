import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

final class ChromaTests: XCTestCase {
    func testChromaCQTMatchesLibrosa() throws {
        let extractor = try ChromaExtractor()
        for name in CQTTests.signals {
            let ours = try extractor.chroma(try signalFixture(name))
            let reference = try featureFixture("\(name)_chroma.npy")
            XCTAssertEqual(ours.frameCount, reference.rows)
            var agree = 0
            for t in 0..<reference.rows {
                let a = ours.values.row(t), b = reference.row(t)
                if a.indices.max(by: { a[$0] < a[$1] }) == b.indices.max(by: { b[$0] < b[$1] }) { agree += 1 }
            }
            let rate = Double(agree) / Double(reference.rows)
            print("chroma \(name): argmax agreement \(rate)")
            XCTAssertGreaterThanOrEqual(rate, 0.98, name)
            try assertMatchesReference(ours, signal: name, suffix: "chroma")
        }
    }

    func testCENSMatchesLibrosa() throws {
        let extractor = try ChromaExtractor()
        for name in CQTTests.signals {
            try assertMatchesReference(try extractor.cens(try signalFixture(name)), signal: name, suffix: "cens")
        }
    }

    /// The comparison is sensitive: CENS with another smoothing window does not pass it.
    func testCENSComparisonDetectsAnotherSmoothing() throws {
        let other = cens(fromChroma: try ChromaExtractor().chroma(try signalFixture("chords"), norm: nil), smoothingLength: 21)
        XCTAssertGreaterThan(Agreement(other.values, try featureFixture("chords_cens.npy")).maxRelativeError, 1e-2)
    }

    func testCENSDownsamplingKeepsEveryNthFrame() throws {
        let extractor = try ChromaExtractor()
        let signal = try signalFixture("chords")
        let full = try extractor.cens(signal)
        let reduced = try extractor.cens(signal, downsampling: 5)
        XCTAssertEqual(reduced.frameCount, (full.frameCount + 4) / 5)
        XCTAssertEqual(reduced.values.row(3), full.values.row(15))
        XCTAssertEqual(reduced.times[3], full.times[15])
    }

    func testCQToChromaFoldsCentredBins() {
        let fold = cqToChroma(cqtBins: 72, binsPerOctave: 36)
        // Bin 0 (C1) and bins 1, 35 (a third of a semitone either side of C) belong to C.
        XCTAssertEqual(fold[0, 0], 1); XCTAssertEqual(fold[0, 1], 1); XCTAssertEqual(fold[0, 35], 1)
        XCTAssertEqual(fold[1, 2], 1)  // C# takes bins 2, 3, 4
        for c in 0..<72 { XCTAssertEqual((0..<12).map { fold[$0, c] }.reduce(0, +), 1) }
    }

    func testNormalizationFollowsLibrosa() {
        let m = Matrix(rowArrays: [[3, -4, 0], [0, 0, 0], [1, 1, 2]])
        XCTAssertEqual(normalizeFrames(m, norm: .l2).row(0), [0.6, -0.8, 0])
        XCTAssertEqual(normalizeFrames(m, norm: .l2).row(1), [0, 0, 0])  // below threshold: left as is
        XCTAssertEqual(normalizeFrames(m, norm: .l1).row(2), [0.25, 0.25, 0.5])
        XCTAssertEqual(normalizeFrames(m, norm: .max).row(0), [0.75, -1, 0])
        let tiny = Matrix(rowArrays: [[1e-3, 0]])
        XCTAssertEqual(normalizeFrames(tiny, norm: .l1, threshold: 1e-2).row(0), [1e-3, 0])
        let seq = FeatureSequence(values: m, hopLength: 1, sampleRate: 1).zScored(mean: [1, 0, 0], std: [2, 1, 0])
        XCTAssertEqual(seq.values.row(0), [1, -4, 0])
    }
}
