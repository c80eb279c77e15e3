import Foundation
import RefrainFeatures
import RefrainMath
import XCTest

/// pYIN with `NoiseFloor` (spectral subtraction before YIN's difference function) on a high voice in low rumble.
final class NoiseFloorTests: XCTestCase {
    static let sampleRate = 22050.0

    /// 1 s of rumble, a 3 s harmonic tone (f0 from 494 to 587 Hz, a woman's high notes, with vibrato) in the rumble,
    /// then 1 s of rumble: white noise low-passed by one pole at about 175 Hz, `snrDB` below the tone's power.
    static func highVoiceInRumble(snrDB: Double) -> (samples: [Float], f0: (Double) -> Double) {
        let sr = sampleRate, n = Int(5 * sr)
        let f0: (Double) -> Double = { t in 494 * pow(2, (t - 1) / 3 * 3 / 12) * pow(2, 0.3 / 12 * sin(2 * Double.pi * 5.5 * t)) }
        var tone = [Float](repeating: 0, count: n)
        var phase = 0.0
        for i in Int(sr)..<Int(4 * sr) {
            let t = Double(i) / sr
            phase += 2 * Double.pi * f0(t) / sr
            var x = 0.0
            for h in 1...8 where Double(h) * f0(t) < 8000 { x += sin(Double(h) * phase) / Double(h) }
            tone[i] = Float(0.3 * x)
        }
        var random = SplitMix64(seed: 11)
        func gaussian() -> Double {
            let u = max(Double(random.next() >> 11) / 9_007_199_254_740_992, 1e-12), v = Double(random.next() >> 11) / 9_007_199_254_740_992
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        var rumble = [Float](repeating: 0, count: n)
        var low = 0.0
        for i in 0..<n {
            low += 0.05 * (gaussian() - low)
            rumble[i] = Float(low)
        }
        let tonePower = tone.reduce(0.0) { $0 + Double($1 * $1) } / (3 * sr)
        let rumblePower = rumble.reduce(0.0) { $0 + Double($1 * $1) } / Double(n)
        let gain = Float((tonePower / pow(10, snrDB / 10) / rumblePower).squareRoot())
        return (zip(tone, rumble).map { $0 + gain * $1 }, f0)
    }

    /// Share of the tone's frames called voiced, share of them within 50 cents, and share of the rumble's frames called voiced.
    func scores(_ track: PitchTrack, f0: (Double) -> Double) -> (recall: Double, accuracy: Double, falseAlarm: Double) {
        var tone = 0, voiced = 0, right = 0, rumble = 0, alarms = 0
        for t in 0..<track.frameCount {
            let time = track.times[t]
            if time > 1.1 && time < 3.9 {
                tone += 1
                if track.voiced[t] { voiced += 1 }
                if track.voiced[t] && abs(1200 * log2(Double(track.f0[t]) / f0(time))) < 50 { right += 1 }
            } else if time < 0.9 || time > 4.1 {
                rumble += 1
                if track.voiced[t] { alarms += 1 }
            }
        }
        return (Double(voiced) / Double(tone), Double(right) / Double(max(voiced, 1)), Double(alarms) / Double(rumble))
    }

    func testSubtractionVoicesAHighToneInRumble() throws {
        let (samples, f0) = Self.highVoiceInRumble(snrDB: -3)
        let plain = scores(try pyin(samples), f0: f0)
        var parameters = PYINParameters()
        parameters.noiseFloor = NoiseFloor()
        let subtracted = scores(try pyin(samples, parameters: parameters), f0: f0)
        print("high tone in rumble at -3 dB: plain pYIN recall \(plain.recall), accuracy \(plain.accuracy), false alarm \(plain.falseAlarm); " +
              "with the noise floor \(subtracted.recall), \(subtracted.accuracy), \(subtracted.falseAlarm)")
        XCTAssertLessThan(plain.recall, 0.5)
        XCTAssertGreaterThanOrEqual(subtracted.recall, 0.9)  // measured 0.94; librosa's pYIN 0
        XCTAssertGreaterThanOrEqual(subtracted.accuracy, 0.98)
        XCTAssertLessThanOrEqual(subtracted.falseAlarm, 0.1)
    }

    /// Without noise (digital silence around the tone) there is nothing to subtract, and the track is librosa's pYIN.
    func testNothingIsSubtractedFromSilence() throws {
        var (samples, _) = Self.highVoiceInRumble(snrDB: 200)
        for i in samples.indices where i < Int(Self.sampleRate) || i >= Int(4 * Self.sampleRate) { samples[i] = 0 }
        var parameters = PYINParameters()
        parameters.noiseFloor = NoiseFloor()
        let subtracted = try pyin(samples, parameters: parameters), plain = try pyin(samples)
        XCTAssertEqual(subtracted.voiced, plain.voiced)
        XCTAssertEqual(subtracted.voicedProbability, plain.voicedProbability)
        XCTAssertEqual(subtracted.f0.map(\.bitPattern), plain.f0.map(\.bitPattern))  // NaN where unvoiced
        XCTAssertGreaterThan(plain.voiced.filter { $0 }.count, plain.frameCount / 2)
    }

    /// The gate's estimate follows the rumble's level: a tone 30 dB above the rumble reads about 30 dB, one 10 dB
    /// above it about 10 dB (the quietest blocks are rumble alone, the louder half the tone).
    func testTheGateEstimatesTheSignalToNoiseRatio() throws {
        let floor = NoiseFloor(belowSNR: 20), yin = YINParameters()
        let high = try XCTUnwrap(floor.signalToNoise(Self.highVoiceInRumble(snrDB: 30).samples, yin: yin))
        let low = try XCTUnwrap(floor.signalToNoise(Self.highVoiceInRumble(snrDB: 10).samples, yin: yin))
        print("gate's SNR estimate: \(high) dB for a tone 30 dB above the rumble, \(low) dB for one 10 dB above it")
        XCTAssertEqual(high, 30, accuracy: 6)
        XCTAssertEqual(low, 10, accuracy: 6)
        XCTAssertEqual(floor.signalToNoise([Float](repeating: 0, count: 4096), yin: yin), .infinity)
        XCTAssertNil(floor.signalToNoise([Float](repeating: 0.1, count: 600), yin: yin))  // one block
    }

    /// With the gate, a tone in faint rumble (40 dB below it) is read exactly as by librosa's pYIN, although the
    /// ungated floor changes its track; in loud rumble (-3 dB) the gate opens and the tone is heard.
    func testTheGateLeavesAQuietRecordingAloneAndOpensInNoise() throws {
        var gated = PYINParameters(), ungated = PYINParameters()
        gated.noiseFloor = NoiseFloor(belowSNR: 20)
        ungated.noiseFloor = NoiseFloor()
        let quiet = Self.highVoiceInRumble(snrDB: 40).samples
        let plain = try pyin(quiet), left = try pyin(quiet, parameters: gated)
        XCTAssertEqual(left.voiced, plain.voiced)
        XCTAssertEqual(left.voicedProbability, plain.voicedProbability)
        XCTAssertEqual(left.f0.map(\.bitPattern), plain.f0.map(\.bitPattern))
        XCTAssertNotEqual(try pyin(quiet, parameters: ungated).voicedProbability, plain.voicedProbability)
        let (loud, f0) = Self.highVoiceInRumble(snrDB: -3)
        XCTAssertGreaterThanOrEqual(scores(try pyin(loud, parameters: gated), f0: f0).recall, 0.9)
    }

    func testBadSettingsAreRefusedWithASentence() {
        for floor in [NoiseFloor(quantile: 0), NoiseFloor(quantile: 1), NoiseFloor(overSubtraction: -1), NoiseFloor(spectralFloor: 2), NoiseFloor(frames: 0),
                      NoiseFloor(belowSNR: .nan), NoiseFloor(quietShare: 0), NoiseFloor(quietShare: 0.5)] {
            var parameters = PYINParameters()
            parameters.noiseFloor = floor
            XCTAssertThrowsError(try pyin([Float](repeating: 0.1, count: 8000), parameters: parameters)) {
                XCTAssertTrue("\($0)".contains("noise floor"), "\($0)")
            }
        }
    }
}
