import Foundation
@testable import Refrain
import RefrainLearn
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// Training the piano-roll network (`PianoRollHasherTraining`): the piano roll on a rendition's clock, and a
/// seeded run against a frozen audio network.
final class PianoRollHasherTrainingTests: XCTestCase {
    /// Two notes at 120 qpm, 480 ticks per quarter: pitch 60 (bin 24), velocity 127, ticks 960-1920 (1-2 s), and
    /// pitch 30 (folded up an octave to 42, bin 6), velocity 64, ticks 0-480 (0-0.5 s).
    static func twoNotes() -> MIDIScore {
        var score = MIDIScore(resolution: 480, instruments: [MIDIInstrument(program: 0, notes: [
            MIDINote(start: 0, end: 0, pitch: 60, velocity: 127, startTick: 960, endTick: 1920),
            MIDINote(start: 0, end: 0, pitch: 30, velocity: 64, startTick: 0, endTick: 480),
        ])])
        score.retime()
        return score
    }

    static func plan(tempo: Double, depth: Double) -> RenditionPlan {
        RenditionPlan(soundfont: "none", tempo: tempo, curveDepth: depth, curvePeriod: 10, curvePhase: 1, programs: [:], doubled: nil,
                      doublingOctaves: 1, dropped: nil, condition: nil)
    }

    /// At twice the tempo the notes sound at 0.5-1 s and 0-0.25 s of the rendition. Frames (1024 samples at
    /// 22050 Hz, 21.533 per second) whose centre lies in a note: ceil(0.5 x 21.533) = 11 to ceil(1.0 x 21.533) - 1
    /// = 21 in bin 24 at 1.0, and 0 to ceil(0.25 x 21.533) - 1 = 5 in bin 6 at 64 / 127; every other cell 0.
    func testRollOnARenditionsClockIsTheHandComputedOne() throws {
        let score = Self.twoNotes()
        let piece = TrainingPiece(key: "two", semitones: 0, roll: LearnedInput.rollFrames(score), synth: Matrix(rows: 50, cols: 48),
                                  renditions: [.init(audio: Matrix(rows: 30, cols: 48), referenceTimes: [Float](repeating: 0, count: 30),
                                                     plan: Self.plan(tempo: 2, depth: 0))])
        let roll = try XCTUnwrap(try piece.withRenditionRolls(reference: score).renditions[0].roll)
        XCTAssertEqual(roll.rows, 30)
        for t in 0..<30 {
            for c in 0..<48 {
                let expected: Float = c == 24 && (11...21).contains(t) ? 1 : c == 6 && (0...5).contains(t) ? 64 / 127 : 0
                XCTAssertEqual(roll.storage[t * 48 + c], expected, "frame \(t), bin \(c)")
            }
        }
    }

    /// With a tempo curve, a rendition frame sounds the note exactly when the frame's time in the reference (as
    /// `TrainingPiece.rendered` aligns it, through the tempo maps) lies within the note's 1-2 s.
    func testRollOnACurvedClockAgreesWithTheAlignment() throws {
        let score = Self.twoNotes()
        let plan = Self.plan(tempo: 0.9, depth: 0.08)
        let performance = try plan.performance(of: score)
        let roll = TrainingPiece.roll(of: score, onClockOf: performance, frames: 80)
        var sounding = 0
        for t in 0..<80 {
            let tick = performance.tempoMap.fractionalTick(atSeconds: Double(t) / LearnedInput.frameRate)
            let reference = score.tempoMap.seconds(atFractionalTick: tick)
            guard abs(reference - 1) > 1e-6, abs(reference - 2) > 1e-6 else { continue }
            XCTAssertEqual(roll.storage[t * 48 + 24], reference >= 1 && reference < 2 ? 1 : 0, "frame \(t) at \(reference) s of the reference")
            if roll.storage[t * 48 + 24] == 1 { sounding += 1 }
        }
        XCTAssertGreaterThan(sounding, 15, "about 1 s / 0.9 at 21.5 frames per second")
    }

    /// Synthetic pieces whose score side is a piano roll: the chord notes of `LearnedHasherTests.syntheticPieces`
    /// (cells above 0.7) at 1, all else 0.
    static func rollPieces(_ count: Int, seed: UInt64) -> [TrainingPiece] {
        LearnedHasherTests.syntheticPieces(count, seed: seed).map { piece in
            var piece = piece
            piece.roll = piece.synth.map { $0 > 0.7 ? 1 : 0 }
            return piece
        }
    }

    /// A piano-roll network trained from a fixed seed on 12 synthetic pieces against a frozen audio hasher
    /// (itself trained on them) brings matching piano-roll / audio codes of 6 held-out pieces closer than
    /// non-matching ones: Bhattacharyya coefficient below 0.75 and under the untrained network's, matching pairs
    /// at least 2 bits closer on average; the audio network is left as it was, and the same seed gives the same
    /// model bit for bit.
    func testSeededTrainingBringsMatchingRollAndAudioCodesCloser() throws {
        let train = Self.rollPieces(12, seed: 1), validation = Self.rollPieces(4, seed: 2), test = Self.rollPieces(6, seed: 3)
        var options = LearnedHasherTests.smallOptions(seed: 5)
        let hasher = try HasherTraining.train(train: train, validation: validation, options: options).model
        options.seed = 6
        let result = try PianoRollHasherTraining.train(train: train, validation: validation, audioHasher: hasher, options: options)
        let again = try PianoRollHasherTraining.train(train: train, validation: validation, audioHasher: hasher, options: options)
        XCTAssertEqual(result.model.sha256, again.model.sha256, "same seed, same model")
        XCTAssertEqual(result.model.metadata[PianoRollHasherTraining.audioHasherKey], hasher.sha256)
        XCTAssertNotNil(result.model.metadata[PianoRollHasherTraining.synthBCKey])
        let untrained = try XCTUnwrap(result.curve.first).validationBC

        let encoder = try HashEncoder(model: hasher, source: "test", pianoRoll: try PianoRollHasher(model: result.model, source: "test",
                                                                                                    audioHasher: hasher))
        var audioCodes: [[UInt16]] = [], rollCodes: [[UInt16]] = []
        for piece in test {
            let rendition = piece.renditions[0]
            audioCodes.append(try encoder.codes(frames: rendition.audio, role: "audio"))
            rollCodes.append(try encoder.codes(frames: rendition.rollFrames(referenceRoll: piece.roll), role: PianoRollHasherTraining.role))
        }
        let (matching, nonMatching) = LearnedHasherTests.heldOutDistances(audioCodes, rollCodes)
        let bc = HasherTraining.bhattacharyya(matching: matching, nonMatching: nonMatching, bits: 16)
        XCTAssertLessThan(bc, 0.75, "held-out Bhattacharyya coefficient (validation best \(result.bestBC), untrained \(untrained))")
        XCTAssertLessThan(bc, untrained)
        let mean = { (v: [Int]) in Double(v.reduce(0, +)) / Double(max(v.count, 1)) }
        XCTAssertLessThan(mean(matching) + 2, mean(nonMatching), "bits apart: matching \(mean(matching)), non-matching \(mean(nonMatching))")
    }
}
