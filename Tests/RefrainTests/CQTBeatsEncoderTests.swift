import Foundation
@testable import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import XCTest

final class CQTBeatsEncoderTests: XCTestCase {
    /// Four seconds of a C major arpeggio (one note per half second) at 22050 Hz.
    func arpeggio() -> AudioSignal {
        let rate = 22050.0
        let notes: [Double] = [60, 64, 67, 72, 60, 64, 67, 72]
        let samples = (0..<Int(4 * rate)).map { n -> Float in
            let t = Double(n) / rate
            let f = 440 * pow(2, (notes[min(Int(t / 0.5), 7)] - 69) / 12)
            return Float(0.3 * sin(2 * .pi * f * t))
        }
        return AudioSignal(samples: samples, sampleRate: rate)
    }

    func testBeatAndBlockPooling() throws {
        let signal = arpeggio()
        let encoder = try CQTBeatsEncoder()
        let beats = try encoder.beatPooled(try encoder.cqt.magnitude(signal), beatTimes: [0.5, 1, 1.5, 2, 2.5, 3, 3.5])
        XCTAssertEqual(beats.dimension, 48)
        XCTAssertEqual(beats.frameCount, 8, "the span before the first beat, seven beats")
        XCTAssertEqual(beats.times[1], 0.5, accuracy: 512 / 22050)
        var settings = CQTBeatsEncoder.Settings()
        settings.blockSeconds = 0.25
        let source = AnalysisSource(signal: signal, name: "arpeggio", threads: 2)
        guard case .features(let byBlocks) = try CQTBeatsEncoder(settings: settings).encode(source) else {
            return XCTFail("cqt_beats is a feature sequence")
        }
        let block = (0.25 * 22050 / 512).rounded() * 512 / 22050  // whole CQT frames
        XCTAssertEqual(byBlocks.frameCount, Int((4 / block).rounded(.up)))
        XCTAssertEqual(byBlocks.times[1] - byBlocks.times[0], block, accuracy: 1e-9)
        for r in 0..<byBlocks.frameCount {
            XCTAssertEqual(byBlocks.values.row(r).reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4, "unit rows")
        }
        // The note of each half second is the loudest bin of its blocks (bin 0 is MIDI 36).
        let notes = [60, 64, 67, 72, 60, 64, 67, 72]
        var checked = 0
        for r in 0..<byBlocks.frameCount - 1 {
            let start = byBlocks.times[r], end = start + block - 1e-6
            guard Int(start / 0.5) == Int(end / 0.5) else { continue }  // skip blocks across a note change
            let note = notes[min(Int(start / 0.5), 7)]
            let t = start
            checked += 1
            let row = byBlocks.values.row(r)
            XCTAssertEqual(row.indices.max { row[$0] < row[$1] }, note - 36, "block at \(t) s")
        }
        XCTAssertGreaterThan(checked, 4)
    }
}
