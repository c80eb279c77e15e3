import Foundation
@testable import Refrain
import RefrainFeatures
import XCTest

/// The octave check of a hum's pYIN track (`SubharmonicCheck`): a voice without its fundamental reported an octave
/// up comes down; a voice reported right stays; one frame's call does not move a note.
final class SubharmonicCheckTests: XCTestCase {
    static let rate = 22050.0

    /// One second of a harmonic tone at `f0` Hz with partials `harmonics` (amplitude 1/k).
    static func tone(_ f0: Double, harmonics: ClosedRange<Int>) -> [Float] {
        (0..<Int(rate)).map { n in
            Float(harmonics.reduce(0.0) { $0 + sin(2 * Double.pi * f0 * Double($1) * Double(n) / rate) / Double($1) } * 0.2)
        }
    }

    /// A track that reports `f0` Hz in every frame (hop 512, voiced), `at` frames overriding it.
    static func track(_ f0: Float, over samples: [Float], at: [Int: Float] = [:]) -> PitchTrack {
        let count = samples.count / 512 + 1
        return PitchTrack(times: (0..<count).map { Double($0 * 512) / rate }, f0: (0..<count).map { at[$0] ?? f0 },
                          voiced: [Bool](repeating: true, count: count), voicedProbability: [Float](repeating: 0.9, count: count))
    }

    /// A 110 Hz voice without its fundamental (partials 2-10, as a telephone band leaves a man's voice) reported at
    /// 220 Hz has strong subharmonics and comes down to 110 Hz in every frame; a 220 Hz voice with its fundamental,
    /// reported right, has almost none and stays.
    func testAVoiceWithoutItsFundamentalComesDownAnOctave() {
        let check = SubharmonicCheck(ratio: 0.3)
        let window = SubharmonicCheck.hann(2048)
        let missing = Self.tone(110, harmonics: 2...10), full = Self.tone(220, harmonics: 1...10)
        let high = check.subharmonicRatio(missing, centre: 11025, f0: 220, sampleRate: Self.rate, window: window)
        let right = check.subharmonicRatio(full, centre: 11025, f0: 220, sampleRate: Self.rate, window: window)
        XCTAssertGreaterThan(high, 0.5)
        XCTAssertLessThan(right, 0.05)
        let fixed = check.apply(Self.track(220, over: missing), samples: missing, sampleRate: Self.rate, frameLength: 2048)
        XCTAssertEqual(fixed.f0, [Float](repeating: 110, count: fixed.frameCount))
        let kept = check.apply(Self.track(220, over: full), samples: full, sampleRate: Self.rate, frameLength: 2048)
        XCTAssertEqual(kept.f0, [Float](repeating: 220, count: kept.frameCount))
        XCTAssertEqual(fixed.voiced, kept.voiced)
    }

    /// One frame reported an octave up inside a note is outvoted by its neighbours (the running majority of
    /// `smoothing` frames) and stays; with no smoothing it comes down. Halving below `minimumHz` never happens.
    func testOneFrameDoesNotMoveANoteAndNothingGoesBelowTheRange() {
        let full = Self.tone(220, harmonics: 1...10)
        let track = Self.track(220, over: full, at: [20: 440])
        var check = SubharmonicCheck(ratio: 0.3)
        XCTAssertEqual(check.apply(track, samples: full, sampleRate: Self.rate, frameLength: 2048).f0[20], 440)
        check.smoothing = 1
        let single = check.apply(track, samples: full, sampleRate: Self.rate, frameLength: 2048)
        XCTAssertEqual(single.f0[20], 220)
        XCTAssertEqual(single.f0.filter { $0 == 220 }.count, single.frameCount)
        let low = Self.tone(50, harmonics: 2...10)
        XCTAssertEqual(check.apply(Self.track(100, over: low), samples: low, sampleRate: Self.rate, frameLength: 2048).f0,
                       [Float](repeating: 100, count: Self.track(100, over: low).frameCount))
    }

    /// The band gate measures the energy below 250 Hz: a man's voice with its fundamental keeps much of it and is left
    /// alone; the same voice without its partials below 330 Hz (as a telephone band leaves it) keeps almost none and
    /// is checked. Without a gate the check always runs.
    func testTheBandGateOpensOnlyForAVoiceWithoutItsLowBand() {
        var check = SubharmonicCheck(ratio: 0.3)
        let full = Self.tone(110, harmonics: 1...10), band = Self.tone(110, harmonics: 3...10)
        XCTAssertTrue(check.opens(for: full, sampleRate: Self.rate))
        check.gateShare = 0.05
        let fullShare = check.lowBandShare(full, sampleRate: Self.rate), bandShare = check.lowBandShare(band, sampleRate: Self.rate)
        XCTAssertGreaterThan(fullShare, 0.5)
        XCTAssertLessThan(bandShare, 0.05)
        XCTAssertFalse(check.opens(for: full, sampleRate: Self.rate))
        XCTAssertTrue(check.opens(for: band, sampleRate: Self.rate))
        XCTAssertEqual(check.lowBandShare([Float](repeating: 0, count: 100), sampleRate: Self.rate), 0)
    }
}
