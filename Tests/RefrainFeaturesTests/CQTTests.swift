import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import XCTest

final class CQTTests: XCTestCase {
    static let signals = ["chords", "notes", "chirp", "noise"]

    /// Raffel & Ellis (2015) CQT against |librosa.cqt(fmin=midi 36, n_bins=48)|.
    func testRaffelEllisCQTMatchesLibrosa() throws {
        let cqt = try CQT(.raffelEllis2015)
        for name in Self.signals {
            try assertMatchesReference(try cqt.magnitude(try signalFixture(name)), signal: name, suffix: "cqt48")
        }
    }

    /// librosa's default CQT (84 bins from C1, 12 per octave, no early downsampling at hop 512).
    func testDefaultCQTMatchesLibrosa() throws {
        try assertMatchesReference(try CQT(CQTConfiguration()).magnitude(try signalFixture("chords")),
                                   signal: "chords", suffix: "cqt84")
    }

    func testAmplitudeToDBMatchesLibrosa() throws {
        let ours = try CQT(.raffelEllis2015).magnitude(try signalFixture("chords"))
        let db = amplitudeToDB(ours.values, reference: .maximum)
        let reference = try featureFixture("chords_cqt48_db.npy")
        var maxDiff: Float = 0
        for i in reference.storage.indices { maxDiff = max(maxDiff, abs(db.storage[i] - reference.storage[i])) }
        print("amplitude_to_db chords: max |difference| \(maxDiff) dB")
        XCTAssertLessThanOrEqual(maxDiff, 0.05)
    }

    /// Two threads sharing one CQT get identical results.
    func testConcurrentUseGivesIdenticalResults() throws {
        let cqt = try CQT(.raffelEllis2015)
        let signal = try signalFixture("notes")
        let expected = try cqt.magnitude(signal)
        let results = UnsafeSendableBox<[FeatureSequence?]>([nil, nil])
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let r = try? cqt.magnitude(signal)
            results.lock.lock(); results.value[i] = r; results.lock.unlock()
        }
        XCTAssertEqual(results.value[0], expected)
        XCTAssertEqual(results.value[1], expected)
    }

    func testBadInputThrows() throws {
        XCTAssertThrowsError(try CQT(CQTConfiguration(fmin: 5000, binCount: 84)))  // beyond Nyquist
        XCTAssertThrowsError(try CQT(CQTConfiguration(hopLength: 0)))
        let cqt = try CQT(.raffelEllis2015)
        XCTAssertThrowsError(try cqt.magnitude([Float]()))
        XCTAssertThrowsError(try cqt.magnitude([0, .nan, 0, 0, 0, 0]))
        XCTAssertThrowsError(try cqt.magnitude(AudioSignal(samples: [Float](repeating: 0, count: 1000), sampleRate: 44100)))
    }

    /// Raffel & Ellis's 48 bins at hop 1024 (the learned encoders' input) are every second frame of the same
    /// bins at hop 512 (`cqt_beats`), value for value and as many as the transform at hop 1024 gives; other
    /// settings are not related.
    func testATwiceLongerHopTakesEverySecondFrame() throws {
        var coarse = CQTConfiguration.raffelEllis2015
        coarse.hopLength = 1024
        let fine = try CQT(.raffelEllis2015), wide = try CQT(coarse)
        XCTAssertEqual(wide.frameStride(within: fine), 2)
        XCTAssertNil(fine.frameStride(within: wide))
        XCTAssertNil(try CQT(CQTConfiguration(hopLength: 1024)).frameStride(within: fine), "other bins")
        for name in ["chords", "noise"] {
            let signal = try signalFixture(name)
            let all = try fine.magnitude(signal).values, every = try wide.magnitude(signal).values
            XCTAssertEqual(every.rows, wide.frameCount(sampleCount: signal.samples.count))
            XCTAssertLessThan((every.rows - 1) * 2, all.rows)
            var largest: Float = 0, peak: Float = 0
            for r in 0..<every.rows {
                for b in 0..<48 {
                    largest = max(largest, abs(every[r, b] - all[2 * r, b]))
                    peak = max(peak, all[2 * r, b])
                }
            }
            print("\(name): every second frame at hop 512 against hop 1024, largest difference \(largest) of \(peak)")
            XCTAssertGreaterThan(peak, 0)
            XCTAssertEqual(largest, 0, name)
        }
    }

    func testFrameCountFormula() throws {
        let cqt = try CQT(.raffelEllis2015)
        for n in [4, 1000, 22050, 30001] {
            XCTAssertEqual(try cqt.magnitude([Float](repeating: 0.1, count: n)).frameCount, cqt.frameCount(sampleCount: n), "\(n)")
        }
    }
}

final class UnsafeSendableBox<T>: @unchecked Sendable {
    var value: T
    let lock = NSLock()
    init(_ value: T) { self.value = value }
}
