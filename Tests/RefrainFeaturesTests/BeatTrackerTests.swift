import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

final class BeatTrackerTests: XCTestCase {
    private func referenceEnvelope(_ name: String) throws -> OnsetEnvelope {
        OnsetEnvelope(strength: try OnsetFixtures.vector("\(name)_onset_median"), hopLength: 512, sampleRate: 22050)
    }

    /// Tempo from librosa's own envelope: within 2 % (in practice the same lag).
    func testTempoMatchesLibrosa() throws {
        let ref = try OnsetFixtures.reference()
        for name in OnsetFixtures.signalNames {
            let tempo = try estimateTempo(try referenceEnvelope(name))
            let expected = ref.signals[name]!.tempo
            XCTAssertEqual(tempo, expected, accuracy: 0.02 * expected, name)
        }
    }

    /// Tempo and beats from our own envelope of the signal, end to end.
    func testEndToEndAgainstLibrosa() throws {
        let ref = try OnsetFixtures.reference()
        for name in OnsetFixtures.signalNames {
            let env = try onsetStrength(try OnsetFixtures.signal(name), sampleRate: 22050,
                                        parameters: OnsetParameters(aggregate: .median))
            let expected = ref.signals[name]!
            XCTAssertEqual(try estimateTempo(env), expected.tempo, accuracy: 0.02 * expected.tempo, name)
            let beats = try trackBeats(env)
            let f = beatFMeasure(beats.times, expected.beats.map { Double($0) * 512 / 22050 })
            XCTAssertGreaterThanOrEqual(f, 0.9, "\(name): F = \(f), ours \(beats.frames), librosa \(expected.beats)")
        }
    }

    /// The dynamic program, back-tracking and trimming reproduce librosa's frames exactly on its envelope.
    func testBeatFramesMatchLibrosaExactly() throws {
        let ref = try OnsetFixtures.reference()
        for name in OnsetFixtures.signalNames {
            let env = try referenceEnvelope(name)
            let expected = ref.signals[name]!
            XCTAssertEqual(try trackBeats(env).frames, expected.beats, "\(name) trimmed")
            XCTAssertEqual(try trackBeats(env, parameters: BeatTrackerParameters(trim: false)).frames,
                           expected.beats_untrimmed, "\(name) untrimmed")
            XCTAssertEqual(try trackBeats(env, parameters: BeatTrackerParameters(bpm: 100)).frames,
                           expected.beats_bpm100, "\(name) at 100 BPM")
        }
    }

    /// The signal convenience equals onset strength (median) followed by tracking.
    func testSignalConvenience() throws {
        let y = try OnsetFixtures.signal("notes128")
        let direct = try trackBeats(y, sampleRate: 22050)
        let env = try onsetStrength(y, sampleRate: 22050, parameters: OnsetParameters(aggregate: .median))
        XCTAssertEqual(direct, try trackBeats(env))
        XCTAssertEqual(direct.frames, try OnsetFixtures.reference().signals["notes128"]!.beats)
    }

    func testClickTrainTempo() throws {
        let env = try onsetStrength(try OnsetFixtures.signal("clicks100"), sampleRate: 22050,
                                    parameters: OnsetParameters(aggregate: .median))
        let beats = try trackBeats(env)
        XCTAssertEqual(beats.bpm, 100, accuracy: 2)
        let intervals = zip(beats.times.dropFirst(), beats.times).map { $0 - $1 }
        for dt in intervals { XCTAssertEqual(dt, 0.6, accuracy: 0.03) }
    }

    func testSilenceShortAndBadInput() throws {
        let silent = try onsetStrength([Float](repeating: 0, count: 44100), sampleRate: 22050)
        let none = try trackBeats(silent)
        XCTAssertEqual(none.frames, [])
        XCTAssertEqual(none.bpm, 0)
        var y = [Float](repeating: 0, count: 2205)
        for i in stride(from: 0, to: y.count, by: 300) { y[i] = 1 }
        let short = try trackBeats(try onsetStrength(y, sampleRate: 22050))
        XCTAssertTrue(short.times.allSatisfy { $0.isFinite })
        XCTAssertTrue(try estimateTempo(OnsetEnvelope(strength: [1], hopLength: 512, sampleRate: 22050)).isFinite)
        XCTAssertEqual(try trackBeats(OnsetEnvelope(strength: [3], hopLength: 512, sampleRate: 22050)).frames, [])
        XCTAssertThrowsError(try trackBeats(OnsetEnvelope(strength: [0, .nan, 1], hopLength: 512, sampleRate: 22050)))
        XCTAssertThrowsError(try trackBeats(try referenceEnvelope("clicks100"), parameters: BeatTrackerParameters(bpm: -5)))
        XCTAssertThrowsError(try estimateTempo(try referenceEnvelope("clicks100"), parameters: TempoParameters(acSize: 1e12)))
        XCTAssertThrowsError(try estimateTempo(try referenceEnvelope("clicks100"), parameters: TempoParameters(acSize: 0)))
        XCTAssertThrowsError(try trackBeats(try referenceEnvelope("clicks100"),
                                            parameters: BeatTrackerParameters(tightness: 0)))
        // Noise gives finite, increasing beats.
        var state: UInt64 = 12345
        let noise = (0..<66150).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 1000) / 1000
        }
        let beats = try trackBeats(try onsetStrength(noise, sampleRate: 22050))
        XCTAssertEqual(beats.frames, beats.frames.sorted())
    }
}
