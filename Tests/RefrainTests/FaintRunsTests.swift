import Foundation
@testable import Refrain
import RefrainFeatures
import RefrainSymbolic
import XCTest

/// `FaintRuns`: voiced runs that pYIN never believed are unvoiced before the notes are read.
final class FaintRunsTests: XCTestCase {
    /// 0.25 s of rumble voiced at 0.01 (pitch 37), two unvoiced frames, then a note at 52 whose probability rises to 0.8.
    static func track() -> PitchTrack {
        let step = 512 / 22050.0
        var f0: [Float] = [], voiced: [Bool] = [], probability: [Float] = []
        for t in 0..<40 {
            let faint = t < 11, gap = t == 11 || t == 12
            f0.append(gap ? .nan : Float(440 * pow(2, ((faint ? 37 : 52) - 69) / 12.0)))
            voiced.append(!gap)
            probability.append(faint || gap ? 0.01 : min(0.8, 0.01 + 0.1 * Float(t - 13)))
        }
        return PitchTrack(times: (0..<40).map { Double($0) * step }, f0: f0, voiced: voiced, voicedProbability: probability)
    }

    func testAFaintRunIsUnvoicedAndABelievedOneKept() {
        let track = Self.track(), cleaned = FaintRuns(peakBelow: 0.02).apply(track)
        XCTAssertEqual(cleaned.voiced.prefix(13).filter { $0 }.count, 0)
        XCTAssertTrue(cleaned.f0.prefix(11).allSatisfy(\.isNaN))
        XCTAssertEqual(Array(cleaned.voiced.suffix(27)), Array(track.voiced.suffix(27)))  // the note's first frame is at 0.01 too
        XCTAssertEqual(cleaned.f0.suffix(27).map(\.bitPattern), track.f0.suffix(27).map(\.bitPattern))
        XCTAssertEqual(cleaned.voicedProbability, track.voicedProbability)
        XCTAssertEqual(FaintRuns(peakBelow: 0.005).apply(track).voiced, track.voiced)
    }

    /// With `leadInOnly`, the faint run before the sung note goes and a faint run after it (a weak sung note) stays.
    func testTheLeadInOnlySettingKeepsFaintRunsAfterTheVoice() {
        var track = Self.track()
        let tail = 8
        track = PitchTrack(times: track.times + (0..<tail).map { track.times[track.frameCount - 1] + Double($0 + 1) * (512 / 22050.0) },
                           f0: track.f0 + [.nan] + [Float](repeating: 150, count: tail - 1),
                           voiced: track.voiced + [false] + [Bool](repeating: true, count: tail - 1),
                           voicedProbability: track.voicedProbability + [Float](repeating: 0.01, count: tail))
        let everywhere = FaintRuns(peakBelow: 0.02).apply(track), leadIn = FaintRuns(peakBelow: 0.02, leadInOnly: true).apply(track)
        XCTAssertEqual(everywhere.voiced.suffix(tail - 1).filter { $0 }.count, 0)
        XCTAssertEqual(leadIn.voiced.prefix(13).filter { $0 }.count, 0)
        XCTAssertEqual(Array(leadIn.voiced.suffix(27 + tail)), Array(track.voiced.suffix(27 + tail)))
        XCTAssertEqual(leadIn.f0.suffix(tail - 1).map(\.bitPattern), track.f0.suffix(tail - 1).map(\.bitPattern))
    }

    /// The note model reads the faint run as a first note at 37 without it, and only the sung note with it.
    func testTheNoteModelNoLongerHearsTheRumbleAsANote() {
        let plain = NoteHMM().notes(from: Self.track()), cleaned = NoteHMM().notes(from: FaintRuns(peakBelow: 0.02).apply(Self.track()))
        XCTAssertEqual(plain.first.map { Int($0.pitch.rounded()) }, 37)
        XCTAssertEqual(cleaned.map { Int($0.pitch.rounded()) }, [52])
    }

    func testHumsAreReadWithTheProductsSetting() {
        XCTAssertEqual(HummingSearch().faintRuns, FaintRuns.standard)
    }
}
