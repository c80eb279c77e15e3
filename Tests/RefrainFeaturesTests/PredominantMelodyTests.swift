import Foundation
import RefrainFeatures
import RefrainMath
import XCTest

/// The predominant-melody estimate (Salamon & Gómez 2012) on a synthetic melody over an accompaniment, with
/// its f0 known frame by frame.
final class PredominantMelodyTests: XCTestCase {
    static let sampleRate = 22050.0

    /// A harmonic tone: `harmonics` partials with amplitude `level / h^rolloff`, added into `out` from
    /// `start` for `count` samples, with a 30 ms fade in and out; `midi(t)` gives its pitch at sample t.
    static func addTone(_ out: inout [Float], start: Int, count: Int, level: Float, harmonics: Int, rolloff: Float,
                        midi: (Int) -> Double) {
        var phase = 0.0
        let fade = Int(0.03 * sampleRate)
        for i in 0..<count where start + i < out.count {
            let f = 440 * pow(2, (midi(i) - 69) / 12)
            phase += 2 * Double.pi * f / sampleRate
            let envelope = Float(min(1, Double(min(i, count - 1 - i)) / Double(fade)))
            var sum: Float = 0
            for h in 1...harmonics where Double(h) * f < sampleRate / 2 {
                sum += Float(sin(Double(h) * phase)) / pow(Float(h), rolloff)
            }
            out[start + i] += level * envelope * sum
        }
    }

    /// Twelve melody notes (MIDI 62-79, 0.45 s each, 0.05 s rests, 5.5 Hz vibrato of ±20 cents) over sustained
    /// three-note chords two octaves lower at 0.6 of the melody's level, with low noise; and the true f0
    /// (Hz, 0 in rests) on a 10 ms grid.
    static func melodyOverChords() -> (samples: [Float], times: [Double], f0: [Float]) {
        let notes = [67, 72, 71, 69, 67, 64, 62, 65, 69, 74, 79, 76]
        let chords = [[43, 47, 50], [48, 52, 55], [45, 48, 52], [43, 47, 50]]
        let noteSamples = Int(0.45 * sampleRate), step = Int(0.5 * sampleRate), lead = Int(0.3 * sampleRate)
        var samples = [Float](repeating: 0, count: lead + notes.count * step + lead)
        for (k, chord) in chords.enumerated() {
            for note in chord {
                addTone(&samples, start: lead + k * 3 * step, count: 3 * step, level: 0.6 / 3, harmonics: 10, rolloff: 1) { _ in Double(note) }
            }
        }
        for (k, note) in notes.enumerated() {
            addTone(&samples, start: lead + k * step, count: noteSamples, level: 0.25, harmonics: 12, rolloff: 1) {
                Double(note) + 0.2 * sin(2 * Double.pi * 5.5 * Double($0) / sampleRate)
            }
        }
        var seed: UInt64 = 7
        for i in samples.indices {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            samples[i] += 0.002 * (Float(seed >> 40) / Float(1 << 24) - 0.5)
        }
        let times = (0..<Int(Double(samples.count) / sampleRate * 100)).map { Double($0) * 0.01 }
        let f0: [Float] = times.map { t in
            let s = Int(t * sampleRate) - lead
            guard s >= 0, s / step < notes.count, s % step < noteSamples else { return 0 }
            return Float(440 * pow(2, (Double(notes[s / step]) + 0.2 * sin(2 * Double.pi * 5.5 * Double(s % step) / sampleRate) - 69) / 12))
        }
        return (samples, times, f0)
    }

    func testMelodyOverChordsIsFound() throws {
        let (samples, times, truth) = Self.melodyOverChords()
        let melody = try predominantMelody(samples)
        XCTAssertEqual(melody.frameCount, melody.f0.count)
        XCTAssertEqual(melody.times[1], 256 / Self.sampleRate, accuracy: 1e-12)
        let a = MelodyAccuracy(referenceTimes: times, reference: truth, estimateTimes: melody.times, estimate: melody.f0)
        // Measured (hop 256, the default settings): raw pitch 0.531, raw chroma 0.774, voicing recall 0.791,
        // overall 0.588. The chords are as loud as the melody and two octaves below it, so the accompaniment
        // and octave errors take about half the frames; the bounds sit just under the measurement.
        XCTAssertGreaterThanOrEqual(a.rawPitch, 0.5, "raw pitch accuracy \(a.rawPitch)")
        XCTAssertGreaterThanOrEqual(a.rawChroma, 0.7, "raw chroma accuracy \(a.rawChroma)")
        XCTAssertGreaterThanOrEqual(a.voicingRecall, 0.75, "voicing recall \(a.voicingRecall)")
        XCTAssertGreaterThanOrEqual(a.overall, 0.55, "overall accuracy \(a.overall)")
        print("synthetic melody over chords: RPA \(a.rawPitch), RCA \(a.rawChroma), VR \(a.voicingRecall), VFA \(a.voicingFalseAlarm), OA \(a.overall)")
    }

    func testSalienceAtTheFundamentalOfAHarmonicTone() throws {
        // A 220 Hz tone with 10 partials: the salience peaks within 10 cents of 220 Hz, above its octaves.
        var samples = [Float](repeating: 0, count: Int(Self.sampleRate))
        Self.addTone(&samples, start: 0, count: samples.count, level: 0.3, harmonics: 10, rolloff: 1) { _ in 57 }
        let parameters = PredominantMelodyParameters()
        let cqt = try CQT(parameters.cqt).magnitude(samples)
        var salience = [Float](repeating: 0, count: parameters.salienceBins)
        let t = cqt.frameCount / 2
        cqt.values.storage.withUnsafeBufferPointer { all in
            salience.withUnsafeMutableBufferPointer { s in
                harmonicSalience(frame: UnsafeBufferPointer(rebasing: all[(t * cqt.dimension)..<((t + 1) * cqt.dimension)]),
                                 parameters: parameters, into: s)
            }
        }
        let best = salience.indices.max { salience[$0] < salience[$1] }!
        let expected: Double = 1200 * log2(220.0 / 55.0) / 10
        XCTAssertEqual(Double(best), expected, accuracy: 1)
        XCTAssertGreaterThan(salience[best], 1.2 * salience[best - 120])
        XCTAssertGreaterThan(salience[best], 1.2 * salience[best + 120])
    }

    func testBadInputIsRefused() {
        XCTAssertThrowsError(try predominantMelody([]))
        XCTAssertThrowsError(try predominantMelody([Float](repeating: .nan, count: 22050)))
        var p = PredominantMelodyParameters()
        p.hopLength = 100
        XCTAssertThrowsError(try predominantMelody([Float](repeating: 0, count: 22050), parameters: p))
        // Silence: no melody, no crash.
        let silent = try? predominantMelody([Float](repeating: 0, count: 22050))
        XCTAssertEqual(silent?.f0.filter(\.isFinite).count, 0)
    }
}
