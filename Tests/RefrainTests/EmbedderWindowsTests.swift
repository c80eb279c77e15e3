import Foundation
@testable import Refrain
import RefrainMath
import XCTest

/// The embedder's windows of varied lengths (`EmbedderWindows`): lengths, each modality on its own clock,
/// standardisation and padding, and whole short pieces.
final class EmbedderWindowsTests: XCTestCase {
    /// A piece whose score has `scoreFrames` frames (frame `t` holds the value `t` in every bin) and one rendition
    /// `slowdown` times as long (frame `i` is score frame `i / slowdown`, holding `1000 + i`).
    static func piece(scoreFrames: Int, slowdown: Double) -> TrainingPiece {
        let d = LearnedInput.bins
        var synth = Matrix(rows: scoreFrames, cols: d)
        for t in 0..<scoreFrames { for c in 0..<d { synth.storage[t * d + c] = Float(t) } }
        let n = Int(Double(scoreFrames) * slowdown)
        var audio = Matrix(rows: n, cols: d)
        var times = [Float](repeating: 0, count: n)
        for i in 0..<n {
            times[i] = Float(Double(min(scoreFrames - 1, Int(Double(i) / slowdown))) / LearnedInput.frameRate)
            for c in 0..<d { audio.storage[i * d + c] = Float(1000 + i) }
        }
        return TrainingPiece(key: "p", semitones: 0, roll: synth, synth: synth,
                             renditions: [.init(audio: audio, referenceTimes: times, plan: nil)])
    }

    static let identity = (audio: InputStandardization(mean: [Float](repeating: 0, count: LearnedInput.bins),
                                                       deviation: [Float](repeating: 1, count: LearnedInput.bins)),
                           synth: InputStandardization(mean: [Float](repeating: 0, count: LearnedInput.bins),
                                                       deviation: [Float](repeating: 1, count: LearnedInput.bins)))

    /// A rendition twice as slow as its score: every audio window is 64...128 frames (a multiple of 4) of
    /// consecutive rendition frames, its score window the contiguous score frames from the one aligned to its
    /// first frame to the one aligned to its last (half as many, within a frame), both zero beyond their lengths.
    func testEachModalityKeepsItsOwnClock() throws {
        var random = SplitMix64(seed: 7)
        let d = LearnedInput.bins
        let batch = try XCTUnwrap(EmbedderWindows.batch([Self.piece(scoreFrames: 400, slowdown: 2)], count: 20, shortest: 64,
                                                        longest: 128, random: &random, standardization: Self.identity))
        XCTAssertEqual(batch.audio.shape, [20, 1, 128, d])
        XCTAssertEqual(batch.synth.shape, [20, 1, 128, d])
        let audioLengths = try XCTUnwrap(batch.audio.lengths), synthLengths = try XCTUnwrap(batch.synth.lengths)
        XCTAssertGreaterThan(Set(audioLengths).count, 3, "lengths vary")
        for b in 0..<20 {
            let length = audioLengths[b], scoreLength = synthLengths[b]
            XCTAssertTrue((64...128).contains(length) && length % 4 == 0, "audio length \(length)")
            XCTAssertEqual(Double(scoreLength), Double(length) / 2, accuracy: 1.01, "score length of a window of \(length)")
            let a = Array(batch.audio.data[(b * 128 * d)..<((b + 1) * 128 * d)])
            let s = Array(batch.synth.data[(b * 128 * d)..<((b + 1) * 128 * d)])
            let start = Int(a[0]) - 1000, first = Int(s[0])
            XCTAssertEqual(first, start / 2, "the score window starts at the frame aligned to the audio window's first")
            for t in 0..<128 {
                XCTAssertEqual(a[t * d + 5], t < length ? Float(1000 + start + t) : 0)
                XCTAssertEqual(s[t * d + 5], t < scoreLength ? Float(first + t) : 0)
            }
        }
    }

    /// A rendition shorter than the drawn length gives its whole self (rounded down to a multiple of 4); one
    /// shorter than the shortest window gives nothing; values are standardised before the zero padding.
    func testShortPiecesAreWholeAndStandardisedBeforePadding() throws {
        var random = SplitMix64(seed: 3)
        let d = LearnedInput.bins
        let shifted = (audio: InputStandardization(mean: [Float](repeating: 1000, count: d), deviation: [Float](repeating: 2, count: d)),
                       synth: Self.identity.synth)
        let batch = try XCTUnwrap(EmbedderWindows.batch([Self.piece(scoreFrames: 90, slowdown: 1)], count: 8, shortest: 64,
                                                        longest: 256, random: &random, standardization: shifted))
        let lengths = try XCTUnwrap(batch.audio.lengths)
        XCTAssertTrue(lengths.allSatisfy { $0 >= 64 && $0 <= 88 && $0 % 4 == 0 }, "\(lengths)")
        XCTAssertTrue(lengths.contains(88), "a draw longer than the piece takes all of it: \(lengths)")
        for b in 0..<8 {
            let row = { (t: Int) in batch.audio.data[(b * 256 + t) * d] }
            XCTAssertEqual(row(1) - row(0), 0.5, "standardised: (x - 1000) / 2")
            XCTAssertEqual(row(lengths[b]), 0, "padding is zero after standardisation")
        }
        XCTAssertNil(EmbedderWindows.batch([Self.piece(scoreFrames: 40, slowdown: 1)], count: 4, shortest: 64, longest: 128,
                                           random: &random, standardization: Self.identity))
    }
}
