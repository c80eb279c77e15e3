import Foundation
@testable import Refrain
import RefrainFeatures
import XCTest

/// The note-level hidden Markov model that reads a hum's pYIN track as notes (Mauch et al. 2015's note tracker).
final class NoteHMMTests: XCTestCase {
    /// A pYIN-like track (hop 512 at 22,050 Hz) from a pitch function of time (NaN: unvoiced).
    static func track(seconds: Double, probability: Float = 0.6, _ pitch: (Double) -> Double) -> PitchTrack {
        let hop = 512.0 / 22050
        var times: [Double] = [], f0: [Float] = [], voiced: [Bool] = [], prob: [Float] = []
        var t = 0.0
        while t < seconds {
            let p = pitch(t)
            times.append(t)
            f0.append(p.isNaN ? .nan : Float(440 * pow(2, (p - 69) / 12)))
            voiced.append(!p.isNaN)
            prob.append(p.isNaN ? 0.01 : probability)
            t += hop
        }
        return PitchTrack(times: times, f0: f0, voiced: voiced, voicedProbability: prob)
    }

    /// Legato notes 0.45 s each, joined by 60 ms glides, a 5.5 Hz vibrato of +-0.4 semitone and a tuning 0.3
    /// semitone sharp: one note each, at the sung pitch, starting where it was sung.
    func testLegatoNotesWithVibratoAndGlides() {
        let sung: [Double] = [60, 62, 64, 62, 67, 65, 64]
        let track = Self.track(seconds: Double(sung.count) * 0.45 + 0.2) { t in
            guard t >= 0.1 else { return .nan }
            let k = min(sung.count - 1, Int((t - 0.1) / 0.45)), into = t - 0.1 - Double(k) * 0.45
            var p = sung[k]
            if into < 0.06, k > 0 { p = sung[k - 1] + (sung[k] - sung[k - 1]) * into / 0.06 }
            return p + 0.3 + 0.4 * sin(2 * Double.pi * 5.5 * t)
        }
        let notes = NoteHMM().notes(from: track)
        XCTAssertEqual(notes.count, sung.count, "\(notes)")
        for (k, note) in notes.enumerated() where k < sung.count {
            XCTAssertEqual(note.pitch, sung[k] + 0.3, accuracy: 0.25, "note \(k)")
            XCTAssertEqual(note.onset, 0.1 + Double(k) * 0.45, accuracy: 0.1, "note \(k)")
        }
    }

    /// A note that drifts 0.4 semitone while held stays one note; a 50 ms dropout inside a note (a consonant)
    /// does not split it; a repeated pitch after a 0.2 s breath is a second note.
    func testDriftDropoutsAndBreaths() {
        let drift = Self.track(seconds: 1.2) { t in t < 0.1 || t > 1.0 ? .nan : 64 + 0.4 * (t - 0.1) / 0.9 }
        XCTAssertEqual(NoteHMM().notes(from: drift).count, 1, "\(NoteHMM().notes(from: drift))")
        let dropout = Self.track(seconds: 1.2) { t in t < 0.1 || t > 1.0 || (t > 0.5 && t < 0.55) ? .nan : 64 }
        XCTAssertEqual(NoteHMM().notes(from: dropout).count, 1, "\(NoteHMM().notes(from: dropout))")
        let breath = Self.track(seconds: 1.4) { t in t < 0.1 || t > 1.3 || (t > 0.6 && t < 0.8) ? .nan : 64 }
        let two = NoteHMM().notes(from: breath)
        XCTAssertEqual(two.count, 2, "\(two)")
        XCTAssertEqual(two.last?.onset ?? 0, 0.8, accuracy: 0.05)
        XCTAssertTrue(NoteHMM().notes(from: Self.track(seconds: 1) { _ in .nan }).isEmpty)
    }

    /// The model's reading comes first among a hum's readings; it is left out when no model is given; and a
    /// query the threshold readings refuse is refused whatever the model would hear.
    func testModelReadingComesFirst() throws {
        let sung: [Double] = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let track = Self.track(seconds: Double(sung.count) * 0.4 + 0.3) { t in
            guard t >= 0.1 else { return .nan }
            let k = Int((t - 0.1) / 0.4)
            return k < sung.count ? sung[k] : .nan
        }
        let readings = try QueryMelody.usableReadings(from: track)
        XCTAssertEqual(readings.count, QueryMelody.readings.count + 1)
        XCTAssertEqual(readings.first, NoteCleanup.standard.apply(NoteHMM().notes(from: track)))
        XCTAssertEqual(try QueryMelody.usableReadings(from: track, model: nil).count, QueryMelody.readings.count)
        let short = Self.track(seconds: 1.5) { t in t < 0.1 ? .nan : 60 + Double(Int(t / 0.25)) }
        XCTAssertThrowsError(try QueryMelody.usableReadings(from: short)) { XCTAssertTrue("\($0)".contains("at least 2 s")) }
    }
    /// Tony's observation model (every pYIN candidate with its probability) hears a note whose frames pYIN's own
    /// Viterbi called unvoiced, when its candidates hold the note's pitch with little probability (a high hum in
    /// noise); the decoded observation cannot. A weak noise candidate in every frame, far below, is not a note.
    func testCandidatesHearANoteThatPYINCalledUnvoiced() {
        let sung: [Double] = [60, 62, 64, 67, 64, 62]
        let lost = 3
        func note(_ t: Double) -> Int? {
            guard t >= 0.1 else { return nil }
            let k = Int((t - 0.1) / 0.4)
            return k < sung.count ? k : nil
        }
        var track = Self.track(seconds: Double(sung.count) * 0.4 + 0.3) { t in
            guard let k = note(t), k != lost, (t - 0.1).truncatingRemainder(dividingBy: 0.4) < 0.34 else { return .nan }
            return sung[k] + 0.2 * sin(2 * Double.pi * 5 * t)
        }
        var offsets: [Int32] = [0], pitch: [Float] = [], probability: [Float] = []
        for (t, time) in track.times.enumerated() {
            if let k = note(time), (time - 0.1).truncatingRemainder(dividingBy: 0.4) < 0.34 {
                let p = Float(sung[k] + 0.2 * sin(2 * Double.pi * 5 * time))
                pitch.append(p); probability.append(k == lost ? 0.12 : 0.6)
                if k == lost { track.voicedProbability[t] = 0.12 }
            }
            pitch.append(45); probability.append(0.03)
            offsets.append(Int32(pitch.count))
        }
        track.candidates = PitchCandidates(offsets: offsets, pitch: pitch, probability: probability)
        let decoded = NoteHMM().notes(from: track)
        XCTAssertEqual(decoded.count, sung.count - 1, "\(decoded)")
        var model = NoteHMM()
        model.observation = .candidates
        let heard = model.notes(from: track)
        XCTAssertEqual(heard.count, sung.count, "\(heard)")
        for (k, n) in heard.enumerated() where k < sung.count {
            XCTAssertEqual(n.pitch, sung[k], accuracy: 0.3, "note \(k)")
            XCTAssertEqual(n.onset, 0.1 + Double(k) * 0.4, accuracy: 0.1, "note \(k)")
        }
        // Without candidates the candidate model reads the decoded track.
        track.candidates = nil
        XCTAssertEqual(model.notes(from: track), decoded)
    }
}
