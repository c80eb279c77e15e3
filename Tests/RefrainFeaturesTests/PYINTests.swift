import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

/// pYIN and YIN against librosa 0.11 on the sung-like signals of scripts/reference/f0.py, and against the
/// known f0 of signals made here.
final class PYINTests: XCTestCase {
    static let signals = ["soprano", "baritone", "leaps"]

    func f0Signal(_ name: String) throws -> [Float] {
        try NPY.read(Fixtures.url("f0/\(name)_signal.npy")).floats().map { $0 / 32768 }
    }

    func f0Fixture(_ name: String) throws -> [Float] { try NPY.read(Fixtures.url("f0/\(name).npy")).floats() }

    func testPYINMatchesLibrosa() throws {
        for name in Self.signals {
            let track = try pyin(try f0Signal(name))
            let f0 = try f0Fixture("\(name)_pyin_f0"), voiced = try f0Fixture("\(name)_pyin_voiced")
            let probability = try f0Fixture("\(name)_pyin_prob")
            XCTAssertEqual(track.frameCount, f0.count, name)
            var agree = 0, both = 0, close = 0, probClose = 0
            for t in f0.indices {
                if track.voiced[t] == (voiced[t] != 0) { agree += 1 }
                if track.voiced[t] && voiced[t] != 0 {
                    both += 1
                    if abs(1200 * log2(track.f0[t] / f0[t])) <= 10 { close += 1 }
                }
                if abs(track.voicedProbability[t] - probability[t]) <= 0.02 { probClose += 1 }
            }
            let voicing = Double(agree) / Double(f0.count), pitch = Double(close) / Double(max(both, 1))
            let prob = Double(probClose) / Double(f0.count)
            print("pyin \(name): voicing agreement \(voicing), f0 within 10 cents \(pitch) of \(both) frames, voiced probability within 0.02 \(prob)")
            XCTAssertGreaterThanOrEqual(voicing, 0.97, name)
            XCTAssertGreaterThanOrEqual(pitch, 0.97, name)
            XCTAssertGreaterThanOrEqual(prob, 0.95, name)
            XCTAssertGreaterThan(both, f0.count / 2, name)
        }
    }

    func testYINMatchesLibrosa() throws {
        for name in Self.signals {
            let track = try yin(try f0Signal(name))
            let reference = try f0Fixture("\(name)_yin_f0")
            XCTAssertEqual(track.f0.count, reference.count)
            let close = zip(track.f0, reference).filter { abs(1200 * log2($0 / $1)) <= 10 }.count
            let rate = Double(close) / Double(reference.count)
            print("yin \(name): within 10 cents of librosa on \(rate) of frames")
            XCTAssertGreaterThanOrEqual(rate, 0.97, name)
            XCTAssertEqual(track.times[2], 2 * 512 / 22050, accuracy: 1e-12)
        }
    }

    /// A sung-like harmonic tone whose f0 is known per sample: a glide over two octaves with vibrato.
    static func knownF0Signal(snrDB: Double?, seed: UInt64) -> (samples: [Float], f0: (Double) -> Double) {
        let sr = 22050.0, seconds = 4.0
        let f0: (Double) -> Double = { t in
            110 * pow(2, 2 * (0.5 - 0.5 * cos(Double.pi * t / seconds))) * pow(2, 0.3 / 12 * sin(2 * Double.pi * 5.5 * t))
        }
        let n = Int(sr * seconds)
        var samples = [Float](repeating: 0, count: n)
        var phase = 0.0
        for i in 0..<n {
            let t = Double(i) / sr
            phase += 2 * Double.pi * f0(t) / sr
            var x = 0.0
            for h in 1...12 where Double(h) * f0(t) < 8000 { x += sin(Double(h) * phase) / Double(h) }
            samples[i] = Float(0.3 * x)
        }
        if let snrDB {
            let power = samples.reduce(0.0) { $0 + Double($1 * $1) } / Double(n)
            let sigma = (power / pow(10, snrDB / 10)).squareRoot()
            var state = seed
            func uniform() -> Double {
                state = state &+ 0x9E37_79B9_7F4A_7C15
                var z = state
                z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                return (Double((z ^ (z >> 31)) >> 11) + 0.5) / 9007199254740992
            }
            for i in 0..<n {
                let g = (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform())
                samples[i] += Float(sigma * g)
            }
        }
        return (samples, f0)
    }

    /// Raw pitch accuracy (50 cents), frames whose true f0 is defined, a frame counting only when pYIN calls it voiced.
    func rawPitchAccuracy(snrDB: Double?) throws -> Double {
        let (samples, f0) = Self.knownF0Signal(snrDB: snrDB, seed: 7)
        let track = try pyin(samples)
        var hit = 0, total = 0
        for t in 0..<track.frameCount where track.times[t] > 0.05 && track.times[t] < 3.95 {
            total += 1
            if track.voiced[t] && abs(1200 * log2(Double(track.f0[t]) / f0(track.times[t]))) < 50 { hit += 1 }
        }
        return Double(hit) / Double(total)
    }

    /// The track's candidates (pYIN's observations before Viterbi) carry its voiced probability (their sum, clipped
    /// to 1) and, where pYIN is sure, the decoded f0 is among them (within half a semitone).
    func testCandidatesCarryTheVoicedProbability() throws {
        for name in Self.signals {
            let track = try pyin(try f0Signal(name))
            let c = try XCTUnwrap(track.candidates, name)
            XCTAssertEqual(c.frameCount, track.frameCount, name)
            let midi = track.midiPitch
            var sure = 0, found = 0
            for t in 0..<track.frameCount {
                let range = c.range(ofFrame: t)
                let sum = range.reduce(Float(0)) { $0 + c.probability[$1] }
                XCTAssertEqual(min(sum, 1), track.voicedProbability[t], accuracy: 1e-4, "\(name) frame \(t)")
                XCTAssertTrue(range.allSatisfy { c.probability[$0] > 0 && c.pitch[$0] >= 35.9 && c.pitch[$0] <= 84.1 }, "\(name) frame \(t)")
                guard track.voiced[t], track.voicedProbability[t] >= 0.5 else { continue }
                sure += 1
                if range.contains(where: { abs(c.pitch[$0] - midi[t]) <= 0.5 }) { found += 1 }
            }
            print("pyin \(name): decoded f0 among the candidates in \(found) of \(sure) sure voiced frames")
            XCTAssertGreaterThanOrEqual(sure, 25, name)  // measured: 134, 71 and 31 sure voiced frames
            XCTAssertGreaterThanOrEqual(Double(found), 0.95 * Double(sure), name)
        }
    }

    func testRawPitchAccuracyOnKnownF0() throws {
        let clean = try rawPitchAccuracy(snrDB: nil), noisy = try rawPitchAccuracy(snrDB: 10)
        print("pyin raw pitch accuracy (50 cents): clean \(clean), 10 dB SNR \(noisy)")
        XCTAssertGreaterThanOrEqual(clean, 0.98)
        XCTAssertGreaterThanOrEqual(noisy, 0.9)
    }

    func testSilenceIsUnvoiced() throws {
        let track = try pyin([Float](repeating: 0, count: 22050))
        XCTAssertEqual(track.frameCount, 1 + 22050 / 512)
        XCTAssertFalse(track.voiced.contains(true))
        XCTAssertTrue(track.f0.allSatisfy { $0.isNaN })
        XCTAssertEqual(track.voicedSeconds, 0)
    }

    func testBadInputIsRefusedWithASentence() {
        XCTAssertThrowsError(try pyin([])) { XCTAssertTrue("\($0)".contains("empty")) }
        XCTAssertThrowsError(try pyin([0, .nan, 0] + [Float](repeating: 0, count: 4000))) { XCTAssertTrue("\($0)".contains("NaN")) }
        XCTAssertThrowsError(try pyin([Float](repeating: 0, count: 4000), parameters: PYINParameters(yin: YINParameters(fmin: 5)))) {
            XCTAssertTrue("\($0)".contains("too low"))
        }
        XCTAssertThrowsError(try yin([Float](repeating: 0, count: 4000), parameters: YINParameters(fmin: 500, fmax: 400)))
        XCTAssertThrowsError(try pyin([Float](repeating: 0, count: 4000), parameters: PYINParameters(betaParameters: (0.5, 18))))
    }

    func testBetaPriorMatchesClosedForm() {
        // For integer shapes, I_x(2, 18) = P(Binomial(19, x) >= 2) = 1 - (1-x)^19 - 19 x (1-x)^18.
        let xs = stride(from: 0.0, through: 1.0, by: 0.05).map { $0 }
        let ours = betaCDFForTesting(xs, a: 2, b: 18)
        for (x, v) in zip(xs, ours) {
            XCTAssertEqual(v, 1 - pow(1 - x, 19) - 19 * x * pow(1 - x, 18), accuracy: 1e-9)
        }
    }
}

final class PitchPictureTests: XCTestCase {
    func testContourIsDrawnAtItsPitch() throws {
        // A steady A3 (220 Hz): the cyan contour sits 45 semitones above C2 (65.4 Hz) at 4 pixels per semitone.
        let samples = (0..<22050).map { Float(0.3 * sin(2 * Double.pi * 220 * Double($0) / 22050)) }
        let track = try pyin(samples)
        let image = try pitchPicture(samples, track: track)
        XCTAssertEqual(image.height, Int((4 * 12 * log2(YINParameters.voiceFmax / YINParameters.voiceFmin)).rounded()))
        XCTAssertEqual(image.width, 2 * track.frameCount)
        let expectedRow = image.height - 1 - Int((4 * 12 * log2(220 / YINParameters.voiceFmin)).rounded())
        let x = 2 * (track.frameCount / 2), i = 3 * (expectedRow * image.width + x)
        XCTAssertEqual(Array(image.pixels[i..<(i + 3)]), [0, 255, 255])
        XCTAssertFalse(try image.pngData().isEmpty)
    }
}
