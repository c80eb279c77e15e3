import Foundation
import Refrain
import RefrainSymbolic
import XCTest

final class NoteAlignmentTests: XCTestCase {
    /// A melody of `pitches` (MIDI), one note every 0.5 s.
    static func melody(_ pitches: [Int]) -> MelodyShape {
        MelodyShape(pitches.enumerated().map { MelodyNote(onset: 0.5 * Double($0.offset), duration: 0.45, pitch: $0.element) })
    }

    /// The reference-length correction takes exactly `c ln(n) / m` from the score per query interval (n reference
    /// intervals, m query intervals), in the scalar and the vectorised code, and leaves the span alone.
    func testTheLengthPenaltyTakesTheLogOfTheReferenceLengthOverTheQueryLength() {
        let reference = MelodyShape(HummingTests.ode), query = Self.melody([67, 65, 64, 62, 60, 62, 64])
        var plain = NoteAlignment(), corrected = NoteAlignment()
        corrected.lengthPenalty = 0.5
        let correction = 0.5 * log(Float(reference.intervals.count)) / Float(query.intervals.count)
        for gaps in [false, true] {
            (plain.referenceGaps, corrected.referenceGaps) = (gaps, gaps)
            var scratch: [Float] = [], starts: [Int32] = []
            let a = plain.best(query: query, reference: reference, scratch: &scratch, starts: &starts)
            let b = corrected.best(query: query, reference: reference, scratch: &scratch, starts: &starts)
            XCTAssertGreaterThan(a.score, 0.5)
            XCTAssertEqual(b.score, a.score - correction, accuracy: 1e-5)
            XCTAssertEqual(b.first, a.first)
            XCTAssertEqual(b.last, a.last)
        }
    }

    /// A short query found whole in a short melody and in a long one scores the same in both without the correction,
    /// and higher in the short one with it: the long melody's many other places to start no longer count for it.
    func testTheLengthPenaltyPrefersTheShorterOfTwoEqualMatches() {
        let tune = [60, 62, 64, 65, 67, 65, 64, 62, 60]
        let wander = (0..<120).map { 55 + ($0 * 7) % 13 }
        let short = Self.melody(tune), long = Self.melody(wander + tune + wander)
        let query = Self.melody(Array(tune.prefix(7)))
        var plain = NoteAlignment(), corrected = NoteAlignment()
        corrected.lengthPenalty = 0.5
        var scratch: [Float] = [], starts: [Int32] = []
        let plainShort = plain.best(query: query, reference: short, scratch: &scratch, starts: &starts).score
        let plainLong = plain.best(query: query, reference: long, scratch: &scratch, starts: &starts).score
        XCTAssertEqual(plainShort, plainLong, accuracy: 1e-5)
        let correctedShort = corrected.best(query: query, reference: short, scratch: &scratch, starts: &starts).score
        let correctedLong = corrected.best(query: query, reference: long, scratch: &scratch, starts: &starts).score
        XCTAssertGreaterThan(correctedShort, correctedLong + 0.2)
        plain.referenceGaps = true
        XCTAssertEqual(plain.best(query: query, reference: long, scratch: &scratch, starts: &starts).score, plainLong, accuracy: 1e-5)
    }
}
