import Foundation
import RefrainMath

/// Draws `AudioCondition`s at random (seeded): which effects apply and their parameters. The defaults
/// (`realistic`) span what a collection of real recordings and phone-made queries meets: rooms with RT60
/// 0.2-2 s, noise down to 10 dB SNR (white, pink, brown, babble), ±6 dB shelves and peaks, low-pass
/// from 2.5 kHz, MP3 at 64-160 kb/s or low-quality Vorbis, 8-48 kHz, mono or stereo.
public struct ConditionSampler: Codable, Equatable, Sendable {
    public var roomProbability = 0.5
    public var rt60 = 0.2...2.0
    public var directToReverberantDB = -3.0...10.0
    public var noiseProbability = 0.5
    public var snrDB = 10.0...30.0
    public var noiseKinds = NoiseKind.allCases
    public var equalizerProbability = 0.5
    /// Most bands drawn (at least one when the equaliser applies).
    public var equalizerBands = 3
    public var equalizerGainDB = -6.0...6.0
    public var lowPassProbability = 0.2
    public var lowPassHz = 2500.0...8000.0
    public var codecProbability = 0.6
    public var mp3Bitrates = [64, 96, 128, 160]
    /// Share of codec draws that are Vorbis (the rest MP3).
    public var vorbisShare = 0.4
    public var vorbisQuality = 0.0...0.3
    public var sampleRates = [8000, 11025, 16000, 22050, 32000, 44100, 48000]
    public var stereoProbability = 0.5

    public init() {}

    /// The ranges above.
    public static var realistic: ConditionSampler { ConditionSampler() }

    /// No effect, 22050 Hz mono PCM, whatever is drawn.
    public static var clean: ConditionSampler {
        var s = ConditionSampler()
        s.roomProbability = 0
        s.noiseProbability = 0
        s.equalizerProbability = 0
        s.lowPassProbability = 0
        s.codecProbability = 0
        s.sampleRates = [22050]
        s.stereoProbability = 0
        return s
    }

    /// A condition drawn with `seed` (the same seed, the same condition).
    public func draw(seed: UInt64) -> AudioCondition {
        var random = SplitMix64(seed: seed ^ 0xC0DE_C0DE)
        let rate = sampleRates.isEmpty ? 22050 : random.pick(sampleRates)
        var condition = AudioCondition(sampleRate: rate, channels: random.chance(stereoProbability) ? 2 : 1)
        if random.chance(roomProbability) {
            condition.room = RoomImpulseResponse(rt60: random.uniform(rt60), directToReverberantDB: random.uniform(directToReverberantDB),
                                                 earlyReflections: Int(random.uniform(4...12)), damping: random.uniform(3000...9000),
                                                 seed: random.next())
        }
        let nyquist = Double(rate) / 2
        if random.chance(equalizerProbability) {
            for _ in 0..<Int(random.uniform(1...Double(max(equalizerBands, 1)) + 0.999)) {
                let gain = random.uniform(equalizerGainDB)
                switch random.next() % 3 {
                case 0: condition.equalizer.append(.init(.lowShelf, hz: random.logUniform(80...400), gainDB: gain))
                case 1:
                    let hz = random.logUniform(2000...8000)
                    if hz < 0.45 * Double(rate) { condition.equalizer.append(.init(.highShelf, hz: hz, gainDB: gain)) }
                default:
                    let hz = random.logUniform(150...min(5000, 0.4 * Double(rate)))
                    condition.equalizer.append(.init(.peaking, hz: hz, gainDB: gain, q: random.uniform(0.5...2.5)))
                }
            }
        }
        if random.chance(lowPassProbability) {
            let hz = random.logUniform(lowPassHz)
            if hz < 0.9 * nyquist { condition.lowPassHz = hz }
        }
        if random.chance(noiseProbability) {
            condition.noise = .init(kind: random.pick(noiseKinds.isEmpty ? [.white] : noiseKinds), snrDB: random.uniform(snrDB),
                                    seed: random.next())
        }
        if random.chance(codecProbability) {
            if random.chance(vorbisShare) {
                condition.codec = .vorbis(quality: (random.uniform(vorbisQuality) * 100).rounded() / 100)
            } else {
                condition.codec = .mp3(kbps: random.pick(mp3Bitrates.isEmpty ? [128] : mp3Bitrates))
            }
        }
        return condition
    }
}
