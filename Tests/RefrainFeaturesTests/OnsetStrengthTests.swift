import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

final class OnsetStrengthTests: XCTestCase {
    private func check(_ name: String, _ parameters: OnsetParameters, fixture: String,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let y = try OnsetFixtures.signal(name)
        let ours = try onsetStrength(y, sampleRate: 22050, parameters: parameters)
        let ref = try OnsetFixtures.vector("\(name)_\(fixture)")
        XCTAssertEqual(ours.strength.count, ref.count, file: file, line: line)
        let r = correlation(ours.strength, ref)
        XCTAssertGreaterThanOrEqual(r, 0.999, "\(name) \(fixture): correlation \(r)", file: file, line: line)
        XCTAssertLessThan(relativeMaxError(ours.strength, ref), 1e-4, "\(name) \(fixture)", file: file, line: line)
        XCTAssertTrue(ours.strength.allSatisfy { $0.isFinite }, file: file, line: line)
    }

    /// The median flux skips the bins that do not rise; against `np.median` semantics done by sorting, on
    /// spectrograms where no bin, every bin, about half of them or exactly half of them rise, for odd and even
    /// bin counts.
    func testMedianFluxEqualsSortedMedian() throws {
        var state: UInt64 = 7
        func next() -> Float {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Float(state >> 40) / Float(1 << 24)
        }
        for bins in [1, 2, 7, 128, 129] {
            let frames = 40
            var s = Matrix(rows: frames, cols: bins)
            for t in 0..<frames {
                for f in 0..<bins {
                    switch t % 5 {
                    case 0: s[t, f] = 0                                // flat: nothing rises
                    case 1: s[t, f] = 1 + next()                       // everything rises from the row before
                    case 2: s[t, f] = f % 2 == 0 ? 5 : -5              // exactly every other bin rises next
                    default: s[t, f] = (next() * 8).rounded() / 4      // ties and random rises
                    }
                }
            }
            let ours = try onsetStrength(spectrogram: s, hopLength: 512, sampleRate: 22050,
                                         parameters: OnsetParameters(center: false, aggregate: .median))
            XCTAssertEqual(ours.strength.count, frames)
            XCTAssertEqual(ours.strength[0], 0)
            for t in 1..<frames {
                let rises = (0..<bins).map { max(0, s[t, $0] - s[t - 1, $0]) }.sorted()
                let expected = bins % 2 == 1 ? rises[bins / 2] : 0.5 * (rises[bins / 2 - 1] + rises[bins / 2])
                XCTAssertEqual(ours.strength[t], expected, "bins \(bins), frame \(t)")
            }
        }
    }

    func testMeanMatchesLibrosa() throws {
        for name in OnsetFixtures.signalNames { try check(name, OnsetParameters(), fixture: "onset_mean") }
    }

    func testMedianMatchesLibrosa() throws {
        for name in OnsetFixtures.signalNames {
            try check(name, OnsetParameters(aggregate: .median), fixture: "onset_median")
        }
    }

    func testDetrendLagAndMaxFilterMatchLibrosa() throws {
        for name in OnsetFixtures.signalNames {
            try check(name, OnsetParameters(lag: 2, maxSize: 3, detrend: true), fixture: "onset_detrend_lag2_max3")
        }
    }

    /// From a given log spectrogram (amplitude_to_db of |STFT|, ref = max), median aggregate.
    func testFromGivenSpectrogramMatchesLibrosa() throws {
        let y = try OnsetFixtures.signal("bursts")
        let mag = try stft(y, sampleRate: 22050)
        let db = amplitudeToDB(mag.values, reference: .maximum)
        let ours = try onsetStrength(spectrogram: db, hopLength: 512, sampleRate: 22050,
                                     parameters: OnsetParameters(aggregate: .median))
        let ref = try OnsetFixtures.vector("bursts_onset_from_logstft_median")
        XCTAssertEqual(ours.strength.count, ref.count)
        XCTAssertGreaterThanOrEqual(correlation(ours.strength, ref), 0.999)
        // The FeatureSequence overload reads the hop from the frame times.
        let viaSequence = try onsetStrength(FeatureSequence(values: db, hopLength: 512, sampleRate: 22050),
                                            sampleRate: 22050, parameters: OnsetParameters(aggregate: .median))
        XCTAssertEqual(viaSequence, ours)
        XCTAssertLessThan(relativeMaxError(ours.strength, ref), 1e-4)
    }

    /// The centring shift: lag 1 + 2048 / (2 * 512) = 3 leading zeros; the envelope peaks at the plucks.
    func testAlignmentAndPeaks() throws {
        let y = try OnsetFixtures.signal("clicks100")
        let env = try onsetStrength(y, sampleRate: 22050)
        XCTAssertEqual(Array(env.strength.prefix(3)), [0, 0, 0])
        // Plucks start at 0.25 s + k * 0.6 s; the strongest frame near each is within 2 frames (46 ms).
        for k in 0..<12 {
            let t = 0.25 + 0.6 * Double(k)
            let centre = Int((t * env.frameRate).rounded())
            let range = max(0, centre - 6)...min(env.strength.count - 1, centre + 6)
            let peak = range.max { env.strength[$0] < env.strength[$1] }!
            XCTAssertLessThanOrEqual(abs(Double(peak) / env.frameRate - t), 2.5 / env.frameRate, "pluck \(k)")
        }
        XCTAssertEqual(env.featureSequence.dimension, 1)
        XCTAssertEqual(env.times[10], 10 * 512 / 22050, accuracy: 1e-12)
    }

    /// Parallel dB conversion and flux give exactly the sequential result.
    func testThreadsAgree() throws {
        let y = try OnsetFixtures.signal("notes128")
        for aggregate in FrequencyAggregate.allCases {
            let p = OnsetParameters(aggregate: aggregate)
            let one = try onsetStrength(y, sampleRate: 22050, parameters: p, threads: 1)
            let two = try onsetStrength(y, sampleRate: 22050, parameters: p, threads: 2)
            XCTAssertEqual(one, two, aggregate.rawValue)
        }
    }

    func testSilenceShortAndBadInput() throws {
        let silent = try onsetStrength([Float](repeating: 0, count: 22050), sampleRate: 22050)
        XCTAssertTrue(silent.strength.allSatisfy { $0 == 0 })
        let short = try onsetStrength([Float](repeating: 0.1, count: 2205), sampleRate: 22050,
                                      parameters: OnsetParameters(aggregate: .median))
        XCTAssertEqual(short.strength.count, 5)
        XCTAssertTrue(short.strength.allSatisfy { $0.isFinite })
        XCTAssertThrowsError(try onsetStrength([0, 1], sampleRate: 22050, parameters: OnsetParameters(lag: 0)))
        XCTAssertThrowsError(try onsetStrength([0, .infinity], sampleRate: 22050))
        let empty = try onsetStrength(spectrogram: Matrix(rows: 0, cols: 12), hopLength: 512, sampleRate: 22050)
        XCTAssertEqual(empty.strength.count, 0)
    }
}
