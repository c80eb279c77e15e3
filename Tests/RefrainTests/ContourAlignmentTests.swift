import Foundation
@testable import Refrain
import RefrainFeatures
import RefrainMath
import XCTest

/// The contour stage of query by humming: the hum's frame-wise pitch against a melody's notes (key and tempo
/// followed), its fusion with the note stage, and its place in the `melody` encoder's array.
final class ContourAlignmentTests: XCTestCase {
    /// "Ode to joy"'s first phrases as (onset, duration, pitch), quarter notes of 0.5 s.
    static let ode: [(onset: Double, duration: Double, pitch: Double)] = {
        let pitches: [Double] = [64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, 64, 62, 62, 64, 64, 65, 67, 67, 65, 64, 62, 60, 60, 62, 64, 62, 60, 60]
        return pitches.enumerated().map { (Double($0.offset) * 0.5, 0.45, $0.element) }
    }()

    /// A hum of `notes` from note `from` on: `transpose` semitones up, `tempo` times slower, with a 5.5 Hz vibrato of
    /// `vibrato` semitones, as a pYIN-like track (hop 512 at 22,050 Hz), 40 ms unvoiced between notes.
    static func track(_ notes: [(onset: Double, duration: Double, pitch: Double)], from: Int = 0, count: Int = 14,
                      transpose: Double, tempo: Double, vibrato: Double = 0.3, octaveErrorAt: Double? = nil) -> PitchTrack {
        let sung = Array(notes[from..<min(notes.count, from + count)])
        let t0 = sung[0].onset
        let hop = 512.0 / 22050
        let end = (sung.last!.onset - t0 + sung.last!.duration) * tempo + 0.3
        var times: [Double] = [], f0: [Float] = [], voiced: [Bool] = [], prob: [Float] = []
        var t = 0.0
        while t < end {
            let score = t / tempo + t0
            let note = sung.last { $0.onset <= score }
            var pitch = Double.nan
            if let note, score < note.onset + note.duration - 0.04 {
                pitch = note.pitch + transpose + vibrato * sin(2 * Double.pi * 5.5 * t)
                if let e = octaveErrorAt, abs(t - e) < 0.05 { pitch += 12 }
            }
            times.append(t)
            f0.append(pitch.isNaN ? .nan : Float(440 * pow(2, (pitch - 69) / 12)))
            voiced.append(!pitch.isNaN)
            prob.append(pitch.isNaN ? 0.1 : 0.9)
            t += hop
        }
        return PitchTrack(times: times, f0: f0, voiced: voiced, voicedProbability: prob)
    }

    /// The contour bins follow the sung pitch (10 a second, unvoiced bins left out) and fold an octave error.
    func testContourPoolsFramesAndFoldsOctaveErrors() throws {
        let track = Self.track(Self.ode, transpose: 3, tempo: 1, vibrato: 0, octaveErrorAt: 1.0)
        let contour = QueryContour(track: track)
        XCTAssertEqual(contour.rate, 10)
        XCTAssertGreaterThan(contour.pitches.count, 55)
        XCTAssertLessThanOrEqual(contour.pitches.count, Int(track.times.last! * 10) + 1)
        XCTAssertEqual(contour.times.first, 0)
        for (p, t) in zip(contour.pitches, contour.times) {
            let note = Self.ode.last { $0.onset <= Double(t) + 0.05 }!
            XCTAssertEqual(Double(p), note.pitch + 3, accuracy: 0.01, "bin at \(t) s")
        }
        XCTAssert(zip(contour.times.dropFirst(), contour.times).allSatisfy { $0 > $1 })
    }

    /// Frames pYIN calls voiced with a voiced probability under `QueryContour.voicedFloor` (room noise read as
    /// pitch) are left out of the contour, unless too few frames would remain.
    func testContourLeavesOutFramesPYINDoubts() {
        var track = Self.track(Self.ode, transpose: 0, tempo: 1, vibrato: 0)
        let noisy = track.times.indices.filter { track.times[$0] >= 2.0 && track.times[$0] < 2.5 }
        for t in noisy {
            track.f0[t] = Float(440 * pow(2, (71.0 - 69) / 12))
            track.voiced[t] = true
            track.voicedProbability[t] = 0.05
        }
        let gated = QueryContour(track: track, voicedFloor: 0.2)
        XCTAssert(gated.pitches.allSatisfy { $0 < 70 }, "the doubted frames at MIDI 71 are left out")
        XCTAssertFalse(gated.times.contains { $0 >= 2.0 && $0 < 2.5 })
        let ungated = QueryContour(track: track, voicedFloor: 0)
        XCTAssertEqual(ungated.times.filter { $0 >= 2.0 && $0 < 2.5 }.count, 5, "without the gate they make five bins")
        XCTAssert(ungated.pitches.contains { $0 > 70 })
        var doubted = track
        for t in doubted.times.indices { doubted.voicedProbability[t] = 0.05 }
        XCTAssertEqual(QueryContour(track: doubted, voicedFloor: 0.2), ungated, "a track pYIN doubts throughout keeps its voiced frames")
        XCTAssertEqual(QueryContour(track: track), ungated, "the default keeps every voiced frame")
    }

    /// A note's pitch is the voiced-probability-weighted median of its inner frames: frames pYIN doubts (here two
    /// thirds of the note's inner frames, half a semitone sharp) do not pull it; trusted, the same frames decide it.
    func testNotePitchWeighsFramesByVoicedProbability() {
        var track = Self.track(Array(Self.ode.prefix(3)), transpose: 0, tempo: 2, vibrato: 0)
        let first = track.times.indices.filter { track.voiced[$0] && track.times[$0] < 0.86 }
        let trim = first.count / 5
        let inner = Array(first[trim..<(first.count - trim)])
        let sharp = inner.enumerated().filter { $0.offset % 3 != 0 }.map(\.element)
        for t in sharp {
            track.f0[t] = Float(440 * pow(2, (64.5 - 69) / 12))
            track.voicedProbability[t] = 0.05
        }
        let notes = QueryMelody.notes(from: track)
        XCTAssertEqual(notes.count, 3)
        XCTAssertEqual(notes[0].pitch, 64, accuracy: 0.01)
        var trusted = track
        for t in sharp { trusted.voicedProbability[t] = 0.9 }
        XCTAssertEqual(QueryMelody.notes(from: trusted).first!.pitch, 64.5, accuracy: 0.01, "the same frames trusted are the majority")
    }

    /// A hum in another key, at another tempo and with vibrato, started mid-melody, costs little against its
    /// melody and far more against a melody with other intervals.
    func testAHumMatchesItsMelodyInAnyKeyAndTempo() {
        let alignment = ContourAlignment()
        var scratch = ContourAlignment.Scratch()
        let melody = MelodyShape(notes: Self.ode)
        let other = MelodyShape(notes: Self.ode.enumerated().map { ($0.element.onset, $0.element.duration, 60 + Double(($0.offset * 5) % 12)) })
        for (transpose, tempo, from) in [(3.4, 1.6, 0), (-7.0, 0.6, 8), (0.5, 1.0, 15)] {
            let contour = QueryContour(track: Self.track(Self.ode, from: from, transpose: transpose, tempo: tempo))
            let own = alignment.cost(contour, reference: melody, scratch: &scratch)
            let wrong = alignment.cost(contour, reference: other, scratch: &scratch)
            XCTAssertLessThan(own, 0.15, "transpose \(transpose), tempo \(tempo), from note \(from)")
            XCTAssertGreaterThan(wrong, 4 * own + 0.3, "transpose \(transpose), tempo \(tempo), from note \(from)")
        }
        XCTAssertEqual(alignment.cost(QueryContour(pitches: [], times: []), reference: melody, scratch: &scratch), .infinity)
    }

    /// The match names the melody's notes its path covers: a hum of fourteen notes from the ninth (a repeated note
    /// merged in the shape), in another key and tempo, spans from the shape's note of its first sung note to that of
    /// its last; over several lines, `ContourFusion.matches` keeps the cheapest line and says which.
    func testMatchNamesTheNotesItSpans() {
        let melody = MelodyShape(notes: Self.ode)
        let other = MelodyShape(notes: Self.ode.enumerated().map { ($0.element.onset, $0.element.duration, 60 + Double(($0.offset * 5) % 12)) })
        var scratch = ContourAlignment.Scratch()
        for (from, transpose, tempo) in [(8, -4.3, 1.4), (0, 2.0, 0.7), (15, 0.0, 1.0)] {
            let contour = QueryContour(track: Self.track(Self.ode, from: from, count: 14, transpose: transpose, tempo: tempo))
            let first = melody.onsets.lastIndex { $0 <= Self.ode[from].onset + 1e-9 }!
            let last = melody.onsets.lastIndex { $0 <= Self.ode[min(Self.ode.count - 1, from + 13)].onset + 1e-9 }!
            let match = ContourAlignment().match(contour, reference: melody, scratch: &scratch)
            XCTAssertEqual(match.first, first, "hum from note \(from)")
            XCTAssertEqual(match.last, last, "hum from note \(from)")
            XCTAssertEqual(match.cost, ContourAlignment().cost(contour, reference: melody, scratch: &scratch))
            let found = ContourFusion().matches(contour, lines: [[other, melody], [other], []], threads: 2)
            XCTAssertEqual(found[0].line, 1)
            XCTAssertEqual(found[0].first, first)
            XCTAssertEqual(found[0].cost, Double(match.cost), accuracy: 1e-6)
            XCTAssertGreaterThan(found[1].cost, found[0].cost)
            XCTAssertEqual(found[2].cost, .infinity, "no lines")
            // Aligned only around the notes the hum covers (a window), the match names the same notes of the whole line.
            var windowed = ContourFusion()
            windowed.window = 0.2
            let span = (start: melody.onsets[first], end: melody.ends[last])
            let near = windowed.matches(contour, lines: [[melody]], threads: 1, around: [span])
            XCTAssertEqual(near[0].first, first, "hum from note \(from), windowed")
            XCTAssertEqual(near[0].last, last, "hum from note \(from), windowed")
            let notes = melody.notes(around: span.start, span.end, pad: 0.2)
            XCTAssertLessThan(notes.count, melody.noteCount, "the window leaves notes out")
            XCTAssertEqual(melody.slice(notes).intervals.count, notes.count - 1)
        }
    }

    /// The logs of the time between frames are tabled once per query in the scratch: a match through the table is
    /// the match without it, bit for bit, and a scratch reused for another query (other frame times) retables them.
    func testTabledFrameGapsGiveTheSameMatch() {
        let melody = MelodyShape(notes: Self.ode)
        let alignment = ContourAlignment()
        var reused = ContourAlignment.Scratch()
        for (from, transpose, tempo) in [(8, -4.3, 1.4), (0, 2.0, 0.7), (15, 0.0, 1.0), (3, 1.1, 2.2)] {
            let contour = QueryContour(track: Self.track(Self.ode, from: from, count: 14, transpose: transpose, tempo: tempo))
            var fresh = ContourAlignment.Scratch()
            let direct = alignment.match(contour, reference: melody, scratch: &fresh, abandonAt: .infinity, tableFrames: 0)
            XCTAssert(fresh.logGaps.isEmpty, "no table when the query is longer than tableFrames")
            let tabled = alignment.match(contour, reference: melody, scratch: &reused)
            XCTAssertEqual(reused.logGaps.count, contour.times.count * contour.times.count, "hum from note \(from)")
            XCTAssertEqual(tabled.cost.bitPattern, direct.cost.bitPattern, "hum from note \(from)")
            XCTAssertEqual(tabled.first, direct.first)
            XCTAssertEqual(tabled.last, direct.last)
        }
    }

    /// A line that cannot beat the line before it gives up: under its own cost as the bound it returns +inf, at or
    /// above it the full match; over a candidate's lines, `ContourFusion.matches` keeps what matching every line
    /// whole keeps (cost bit for bit, line and notes).
    func testALineThatCannotWinGivesUp() {
        let melody = MelodyShape(notes: Self.ode)
        let other = MelodyShape(notes: Self.ode.enumerated().map { ($0.element.onset, $0.element.duration, 60 + Double(($0.offset * 5) % 12)) })
        let alignment = ContourAlignment()
        var scratch = ContourAlignment.Scratch()
        for (from, transpose, tempo) in [(8, -4.3, 1.4), (0, 2.0, 0.7), (15, 0.0, 1.0)] {
            let contour = QueryContour(track: Self.track(Self.ode, from: from, count: 14, transpose: transpose, tempo: tempo))
            let own = alignment.match(contour, reference: melody, scratch: &scratch)
            let wrong = alignment.match(contour, reference: other, scratch: &scratch)
            XCTAssertGreaterThan(wrong.cost, own.cost)
            let given = alignment.match(contour, reference: other, scratch: &scratch, abandonAt: own.cost, tableFrames: ContourAlignment.gapTableFrames)
            XCTAssertEqual(given.cost, .infinity, "hum from note \(from): the wrong melody cannot beat its own")
            let kept = alignment.match(contour, reference: other, scratch: &scratch, abandonAt: wrong.cost.nextUp, tableFrames: ContourAlignment.gapTableFrames)
            XCTAssertEqual(kept.cost.bitPattern, wrong.cost.bitPattern, "hum from note \(from): a bound above its cost keeps the match")
            XCTAssertEqual(kept.first, wrong.first)
            XCTAssertEqual(kept.last, wrong.last)
            for lines in [[melody, other], [other, melody], [other, melody, melody, other]] {
                let found = ContourFusion().matches(contour, lines: [lines], threads: 1)[0]
                var best = (cost: Double.infinity, line: 0, first: 0, last: 0)
                for (l, line) in lines.enumerated() {
                    let m = alignment.match(contour, reference: line, scratch: &scratch)
                    if Double(m.cost) < best.cost { best = (Double(m.cost), l, m.first, m.last) }
                }
                XCTAssertEqual(found.cost.bitPattern, best.cost.bitPattern)
                XCTAssertEqual(found.line, best.line)
                XCTAssertEqual(found.first, best.first)
                XCTAssertEqual(found.last, best.last)
            }
        }
    }

    /// Fusion standardises both opinions: a melody second by notes but far first by contour comes first; equal
    /// contour costs leave the note order; too few candidates (a small index) keep the note order.
    func testFusionWeighsBothOpinions() {
        let notes = [1.0, 0.9, 0.5, 0.4], costs = [1.2, 0.2, 1.3, 1.25]
        let few = ContourFusion().fused(noteScores: notes, contourCosts: costs)
        XCTAssertEqual(few.indices.sorted { few[$0] > few[$1] }, [0, 1, 2, 3], "4 candidates are under the 20 fused")
        var fusion = ContourFusion()
        fusion.minimumCandidates = 2
        let fused = fusion.fused(noteScores: notes, contourCosts: costs)
        XCTAssertEqual(fused.indices.max { fused[$0] < fused[$1] }, 1)
        let flat = fusion.fused(noteScores: [1.0, 0.9, 0.5], contourCosts: [1, 1, 1])
        XCTAssertEqual(flat.indices.sorted { flat[$0] > flat[$1] }, [0, 1, 2])
        let missing = fusion.fused(noteScores: [1.0, 0.9, 0.8], contourCosts: [.infinity, 0.3, 0.5])
        XCTAssert(missing.allSatisfy(\.isFinite), "a melody without a contour cost counts as the worst finite one")
        XCTAssertGreaterThan(missing[1], missing[0])
    }

    /// A query with fewer than `shortNotes` notes fuses with `shortWeight`: here the contour's favourite (second by
    /// notes) wins only at the larger weight (it needs a weight above about 0.62).
    func testShortQueriesUseTheirOwnContourWeight() {
        let notes = [1.0, 0.9, 0.5, 0.4], costs = [0.5, 0.2, 1.3, 1.25]
        var fusion = ContourFusion()
        fusion.minimumCandidates = 2
        fusion.weight = 0.5
        let top = { (f: [Double]) in f.indices.max { f[$0] < f[$1] } }
        XCTAssertEqual(top(fusion.fused(noteScores: notes, contourCosts: costs, queryNotes: 8)), 0, "no short weight: 0.5 for all")
        fusion.shortWeight = 2
        fusion.shortNotes = 12
        XCTAssertEqual(fusion.weight(notes: 11), 2)
        XCTAssertEqual(fusion.weight(notes: 12), 0.5)
        XCTAssertEqual(top(fusion.fused(noteScores: notes, contourCosts: costs, queryNotes: 8)), 1)
        XCTAssertEqual(top(fusion.fused(noteScores: notes, contourCosts: costs, queryNotes: 12)), 0)
        XCTAssertEqual(top(fusion.fused(noteScores: notes, contourCosts: costs)), 0, "without a note count: the weight")
    }

    /// A hummed query's array holds its readings and its contour (line -1); the lines read back without it.
    func testEncoderArrayCarriesTheContour() {
        let contour = QueryContour(pitches: [60.2, 62.1, 64.0], times: [0, 0.1, 0.3])
        let lines = [Self.ode.prefix(6).map { $0 }, Self.ode.prefix(5).map { $0 }]
        let sequence = MelodyEncoder.array(lines, contour: contour)
        XCTAssertEqual(sequence.values.rows, 14)
        XCTAssertEqual(MelodyEncoder.shapes(sequence.values).map(\.noteCount), [MelodyShape(notes: lines[0]).noteCount, MelodyShape(notes: lines[1]).noteCount])
        XCTAssertEqual(MelodyEncoder.contour(sequence.values), contour)
        XCTAssertNil(MelodyEncoder.contour(MelodyEncoder.array(lines).values))
    }
}
