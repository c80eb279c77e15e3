import Foundation
@testable import Refrain
import RefrainFeatures
import RefrainSymbolic
import XCTest

/// pYIN's settings for hums (`PYINParameters.hummed`) and what a noise floor (`NoiseFloor`) does for a woman's high
/// sung notes in the development set's room noise.
final class HummedPitchTests: XCTestCase {
    /// A tune rising to a high climax: with a woman's register its top notes lie near MIDI 76-79.
    static let climbing: [MelodyNote] = [60, 62, 64, 67, 69, 72, 71, 69, 67, 72, 74, 76, 74, 72, 71, 72, 74, 77, 76, 74, 72, 69, 67, 64]
        .enumerated().map { MelodyNote(onset: Double($0.offset) * 0.5, duration: 0.45, pitch: $0.element) }

    /// Share of the sung frames (the generator's intended f0 defined) that `track` calls voiced.
    static func voicingRecall(_ query: HumQuery, track: PitchTrack) -> Double {
        var sung = 0, voiced = 0
        for t in 0..<track.frameCount {
            let i = Int((track.times[t] * query.sampleRate / Double(query.f0Hop)).rounded())
            guard query.intendedF0.indices.contains(i), query.intendedF0[i].isFinite else { continue }
            sung += 1
            if track.voiced[t] { voiced += 1 }
        }
        return Double(voiced) / Double(max(sung, 1))
    }

    func testHumsAreTrackedWithTheHumSettings() {
        XCTAssertEqual(PYINParameters.hummed().noiseFloor, PYINParameters.hummedNoiseFloor)
        XCTAssertEqual(HummingSearch().pitch, .hummed())
        XCTAssertEqual(PYINParameters.hummed(sampleRate: 16000).yin.sampleRate, 16000)
        XCTAssertEqual(PYINParameters.hummed(sampleRate: 16000).yin.fmin, YINParameters.voiceFmin)
        XCTAssertNil(PYINParameters().noiseFloor)  // librosa's pYIN is the default elsewhere
    }

    /// Sung syllables of a climbing tune by a woman in room noise, four seeds: with a noise floor subtracted pYIN voices
    /// more of the sung frames than librosa's pYIN does.
    func testANoiseFloorKeepsAWomansHighNotesInRoomNoiseVoiced() throws {
        var plain = 0.0, subtracted = 0.0
        var parameters = PYINParameters.hummed()
        parameters.noiseFloor = NoiseFloor()
        for seed in 0..<4 {
            let query = try HumQueryGenerator().query(Self.climbing, seed: UInt64(70 + seed), start: .songStart, style: .syllables,
                                                      register: .female, noise: .room)
            plain += Self.voicingRecall(query, track: try pyin(query.samples)) / 4
            subtracted += Self.voicingRecall(query, track: try pyin(query.samples, parameters: parameters)) / 4
        }
        print("women's syllables in room noise, voicing recall of sung frames: librosa's pYIN \(plain), with the noise floor \(subtracted)")
        XCTAssertGreaterThan(subtracted, plain + 0.02)
    }

    /// The product's gate (`hummedNoiseFloor.belowSNR`): the development set's clean hums (noise 40 dB down) are read
    /// exactly as by librosa's pYIN, whereas the ungated floor changes their tracks; room-noise hums whose estimated SNR
    /// is under the gate get the floor.
    func testTheGateLeavesCleanHumsAloneAndSubtractsInRoomNoise() throws {
        let floor = try XCTUnwrap(PYINParameters.hummedNoiseFloor), gate = try XCTUnwrap(floor.belowSNR)
        let plain = PYINParameters(yin: YINParameters(sampleRate: 22050))
        var ungated = plain
        ungated.noiseFloor = NoiseFloor()
        var changedByUngated = 0, opened = 0
        for seed in 0..<4 {
            let clean = try HumQueryGenerator().query(Self.climbing, seed: UInt64(80 + seed), style: .hummed, register: .female, noise: .clean)
            let reference = try pyin(clean.samples, parameters: plain), hummed = try pyin(clean.samples, parameters: .hummed())
            XCTAssertGreaterThan(try XCTUnwrap(floor.signalToNoise(clean.samples, yin: plain.yin)), gate)
            XCTAssertEqual(hummed.voicedProbability, reference.voicedProbability)
            XCTAssertEqual(hummed.f0.map(\.bitPattern), reference.f0.map(\.bitPattern))
            if try pyin(clean.samples, parameters: ungated).voicedProbability != reference.voicedProbability { changedByUngated += 1 }
            let room = try HumQueryGenerator().query(Self.climbing, seed: UInt64(80 + seed), style: .syllables, register: .female, noise: .room)
            guard try XCTUnwrap(floor.signalToNoise(room.samples, yin: plain.yin)) < gate else { continue }
            opened += 1
            XCTAssertNotEqual(try pyin(room.samples, parameters: .hummed()).voicedProbability, try pyin(room.samples, parameters: plain).voicedProbability)
        }
        print("clean hums changed by the ungated floor: \(changedByUngated) of 4; room hums the gate opens for: \(opened) of 4")
        XCTAssertGreaterThan(changedByUngated, 0)
        XCTAssertGreaterThan(opened, 0)
    }
}
