import Foundation
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// `MIDIScore.renderingParts`: the parts hold every note once, keep what makes voices interact together, and
/// render (at the whole score's length) to samples whose sum is close to the whole score's rendering.
final class RenderingPartsTests: XCTestCase {
    /// Two pitched instruments (one with a sustain pedal and a bend, a key struck twice) and a drum kit.
    func band() -> MIDIScore {
        func note(_ pitch: Int, _ start: Double, _ end: Double) -> MIDINote {
            MIDINote(start: start, end: end, pitch: pitch, velocity: 90, startTick: 0, endTick: 0)
        }
        let piano = MIDIInstrument(program: 0, name: "piano",
                                   notes: [60, 64, 67, 72, 60, 65, 69].enumerated().map { note($1, 0.25 * Double($0), 0.25 * Double($0) + 0.6) },
                                   controlChanges: [MIDIControlChange(number: 64, value: 127, time: 0.5, tick: 0),
                                                    MIDIControlChange(number: 64, value: 0, time: 1.4, tick: 0)],
                                   pitchBends: [MIDIPitchBend(pitch: 1200, time: 1.0, tick: 0)])
        let bass = MIDIInstrument(program: 33, channel: 1, notes: [36, 43, 41].enumerated().map { note($1, 0.5 * Double($0), 0.5 * Double($0) + 0.45) })
        let drums = MIDIInstrument(program: 0, isDrum: true, channel: 9,
                                   notes: [36, 42, 46, 42, 38].enumerated().map { note($1, 0.3 * Double($0), 0.3 * Double($0) + 0.1) })
        return MIDIScore(instruments: [piano, bass, drums])
    }

    func testPartsHoldEveryNoteOnceWithDrumsAndKeysTogether() throws {
        let score = band()
        let parts = score.renderingParts(2)
        XCTAssertEqual(parts.count, 2)
        XCTAssertEqual(parts.map(\.noteCount).reduce(0, +), score.noteCount, "every note in one part")
        XCTAssertEqual(parts.filter { $0.instruments.contains(where: \.isDrum) }.count, 1, "the drum kit stays whole")
        for instrument in score.instruments where !instrument.isDrum {
            for pitch in Set(instrument.notes.map(\.pitch)) {
                let holding = parts.filter { part in
                    part.instruments.contains { $0.name == instrument.name && $0.program == instrument.program && $0.notes.contains { $0.pitch == pitch } }
                }
                XCTAssertEqual(holding.count, 1, "key \(pitch) of \(instrument.program) is struck in one part")
            }
        }
        for part in parts {
            for instrument in part.instruments {
                let whole = try XCTUnwrap(score.instruments.first { $0.program == instrument.program && $0.isDrum == instrument.isDrum })
                XCTAssertEqual(instrument.controlChanges.count, whole.controlChanges.count, "controls go with every part of an instrument")
                XCTAssertEqual(instrument.pitchBends.count, whole.pitchBends.count)
            }
        }
        XCTAssertEqual(score.renderingParts(1).count, 1)
        let lone = MIDIScore(instruments: [MIDIInstrument(program: 0, notes: [MIDINote(start: 0, end: 1, pitch: 60, velocity: 80, startTick: 0, endTick: 0)])])
        XCTAssertEqual(lone.renderingParts(2).count, 1, "a single group is not cut")
    }

    /// The parts, each rendered as long as the whole, sum to nearly the whole score's rendering, for the band
    /// above and for the fixture with every event kind: the largest difference was 1.2-1.7 % of the peak when
    /// this was written (not float rounding alone; the cause was not found), so the bound is 5 %, well below what
    /// a note lost or doubled in a part gives.
    func testThePartsRenderingsSumToTheWholeRendering() throws {
        let renderer = try MIDIRenderer(sampleRate: 16000, interpolation: .linear)
        for score in [band(), try MIDIScore(contentsOf: Fixtures.url("midi/format1_everything.mid"))] {
            let whole = try renderer.render(score)
            let parts = score.renderingParts(2)
            XCTAssertEqual(parts.count, 2)
            var sum = [Float](repeating: 0, count: whole.count)
            for part in parts {
                let samples = try renderer.render(part, end: MIDIRenderer.soundingEnd(of: score))
                XCTAssertEqual(samples.count, whole.count, "a part renders as long as the whole")
                XCTAssertGreaterThan(samples.map(abs).max() ?? 0, 1e-3, "each part sounds")
                for i in 0..<min(sum.count, samples.count) { sum[i] += samples[i] }
            }
            let peak = whole.map(abs).max() ?? 0
            let error = zip(sum, whole).map { abs($0 - $1) }.max() ?? 0
            XCTAssertGreaterThan(peak, 0.01)
            let rms = { (x: [Float]) in (x.reduce(0) { $0 + $1 * $1 } / Float(max(x.count, 1))).squareRoot() }
            print("parts' sum against the whole: largest difference \(error) of peak \(peak), rms difference \(rms(zip(sum, whole).map { $0 - $1 })) of rms \(rms(whole))")
            XCTAssertLessThan(error, 0.05 * peak, "largest difference \(error), peak \(peak)")
        }
    }

    func testARenderEndBeforeZeroIsRefused() throws {
        XCTAssertThrowsError(try MIDIRenderer(sampleRate: 16000).render(band(), end: -1))
    }
}
