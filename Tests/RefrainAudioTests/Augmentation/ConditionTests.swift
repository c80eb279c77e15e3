import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// Codecs keep the length and reach their bitrate; conditions are reproducible, serialisable, cover their
/// ranges, and reach their SNR after the other effects.
final class ConditionTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    /// Two seconds of a chord with a slow tremolo.
    func music(rate: Double, seconds: Double = 2) -> [Float] {
        (0..<Int(seconds * rate)).map { i in
            let t = Double(i) / rate
            return Float(0.2 * (sin(2 * .pi * 220 * t) + sin(2 * .pi * 277.2 * t) + sin(2 * .pi * 329.6 * t)) * (0.7 + 0.3 * sin(2 * .pi * 2 * t)))
        }
    }

    func testCodecsKeepTheLengthAndReachTheirBitrate() throws {
        for (codec, rate, channels) in [(LossyCodec.mp3(kbps: 128), 44100, 2), (.mp3(kbps: 64), 22050, 1), (.mp3(kbps: 160), 8000, 1),
                                        (.vorbis(quality: 0.1), 22050, 2), (.vorbis(quality: 0), 48000, 1)] {
            let mono = music(rate: Double(rate), seconds: 4)
            let samples = channels == 1 ? mono : mono.flatMap { [$0, 0.5 * $0] }
            let decoded = try codec.roundTrip(samples, sampleRate: rate, channels: channels)
            XCTAssertEqual(decoded.samples.count, mono.count, "\(codec) at \(rate) Hz")
            XCTAssertEqual(decoded.sampleRate, Double(rate))
            let url = directory.appendingPathComponent("c.\(codec.fileExtension)")
            try codec.write(samples, sampleRate: rate, channels: channels, to: url)
            let kbps = Double(try FileManager.default.attributesOfItem(atPath: url.path)[.size] as! Int) * 8 / 4 / 1000
            let info = try AudioDecoder(targetSampleRate: nil).decode(url).info
            XCTAssertEqual(info.frames, mono.count, accuracy: 2 * 1152, "\(codec): the file decodes to the right length")
            if let expected = codec.effectiveKbps(sampleRate: rate) {
                XCTAssertEqual(kbps, Double(expected), accuracy: 0.1 * Double(expected) + 2, "\(codec) at \(rate) Hz: \(kbps) kb/s")
            } else {
                XCTAssertLessThan(kbps, 96, "low-quality Vorbis")
            }
            // The decoded audio is the music, not noise: strongly correlated at the best small lag.
            var best = -1.0
            for lag in stride(from: -2400, through: 2400, by: 1) {
                var ab = 0.0, aa = 0.0, bb = 0.0
                for i in stride(from: 3000, to: mono.count - 3000, by: 5) {
                    let a = Double(mono[i]) * (channels == 1 ? 1 : 0.75), b = Double(decoded.samples[i + lag])
                    ab += a * b; aa += a * a; bb += b * b
                }
                best = max(best, ab / (aa * bb).squareRoot())
            }
            XCTAssertGreaterThan(best, 0.9, "\(codec) at \(rate) Hz")
        }
    }

    func testSamplerIsSeededSerialisableAndCoversItsRanges() throws {
        let sampler = ConditionSampler.realistic
        XCTAssertEqual(sampler.draw(seed: 42), sampler.draw(seed: 42))
        let conditions = (0..<400).map { sampler.draw(seed: UInt64($0)) }
        XCTAssertGreaterThan(Set(conditions.map(\.description)).count, 390)
        for condition in conditions.prefix(50) {
            let decoded = try JSONDecoder().decode(AudioCondition.self, from: Data(try condition.json().utf8))
            XCTAssertEqual(decoded, condition)
        }
        XCTAssertEqual(Set(conditions.compactMap(\.noise?.kind)), Set(NoiseKind.allCases))
        XCTAssertEqual(Set(conditions.map(\.sampleRate)), Set(sampler.sampleRates))
        XCTAssertTrue(conditions.contains { if case .mp3 = $0.codec { return true } else { return false } })
        XCTAssertTrue(conditions.contains { if case .vorbis = $0.codec { return true } else { return false } })
        XCTAssertEqual(Double(conditions.filter { $0.channels == 2 }.count) / 400, 0.5, accuracy: 0.1)
        for condition in conditions {
            if let room = condition.room { XCTAssertTrue((0.2...2.0).contains(room.rt60)) }
            if let noise = condition.noise { XCTAssertTrue((10...30).contains(noise.snrDB)) }
            if let hz = condition.lowPassHz { XCTAssertTrue(hz >= 2500 && hz < Double(condition.sampleRate) / 2) }
            for band in condition.equalizer { XCTAssertLessThanOrEqual(abs(band.gainDB), 6) }
        }
        XCTAssertEqual(ConditionSampler.clean.draw(seed: 3).description, "22050 Hz mono, pcm")
    }

    /// After room, equaliser and low-pass, the noise sits at the asked SNR relative to the processed signal:
    /// the noisy render projected on the noiseless one leaves the scaled noise as the residual.
    func testConditionReachesItsSNRAfterTheOtherEffects() throws {
        let signal = AudioSignal(samples: music(rate: 44100, seconds: 3), sampleRate: 44100)
        for (snr, kind) in [(10.0, NoiseKind.pink), (20.0, .babble), (15.0, .white)] {
            var condition = AudioCondition(sampleRate: 16000, channels: 1, room: RoomImpulseResponse(rt60: 0.8, seed: 4),
                                           equalizer: [.init(.lowShelf, hz: 200, gainDB: 4), .init(.peaking, hz: 1500, gainDB: -5, q: 1.5)],
                                           lowPassHz: 3000)
            let clean = try condition.render(signal)[0]
            condition.noise = .init(kind: kind, snrDB: snr, seed: 8)
            let noisy = try condition.render(signal)[0]
            XCTAssertEqual(noisy.count, 48000)
            var cn = 0.0, cc = 0.0
            for i in clean.indices { cn += Double(clean[i]) * Double(noisy[i]); cc += Double(clean[i]) * Double(clean[i]) }
            let a = cn / cc
            var ps = 0.0, pr = 0.0
            for i in clean.indices {
                ps += a * a * Double(clean[i]) * Double(clean[i])
                let r = Double(noisy[i]) - a * Double(clean[i])
                pr += r * r
            }
            XCTAssertEqual(10 * log10(ps / pr), snr, accuracy: 0.5, "\(kind)")
        }
    }

    func testWriteUsesTheCodecsContainerAndKeepsTheDuration() throws {
        let signal = AudioSignal(samples: music(rate: 22050, seconds: 3), sampleRate: 22050)
        for codec in [LossyCodec?.none, .mp3(kbps: 96), .vorbis(quality: 0.2)] {
            let condition = AudioCondition(sampleRate: 32000, channels: 2, room: RoomImpulseResponse(rt60: 0.4), codec: codec)
            let url = try condition.write(signal, to: directory.appendingPathComponent("out"))
            XCTAssertEqual(url.pathExtension, codec?.fileExtension ?? "wav")
            let decoded = try AudioDecoder(targetSampleRate: nil).decode(url)
            XCTAssertEqual(decoded.info.channels, 2)
            XCTAssertEqual(decoded.info.sampleRate, 32000)
            XCTAssertEqual(decoded.info.frames, 96000, accuracy: 2 * 1152)
            XCTAssertEqual(try condition.apply(to: signal).samples.count, 96000)
        }
    }

    func testBadConditionsAreErrors() {
        let signal = AudioSignal(samples: music(rate: 22050, seconds: 0.5), sampleRate: 22050)
        XCTAssertThrowsError(try AudioCondition(sampleRate: 8000, lowPassHz: 5000).render(signal))
        XCTAssertThrowsError(try AudioCondition(sampleRate: 22050, channels: 3).render(signal))
        XCTAssertThrowsError(try AudioCondition().render(AudioSignal(samples: [], sampleRate: 22050)))
    }
}
