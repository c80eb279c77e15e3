import Foundation
import RefrainAudio
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// How a synthetic hum query was made: the facts an evaluation breaks its figures down by.
public struct HumQueryInfo: Equatable, Sendable, Codable {
    public enum Start: String, Sendable, Codable { case songStart = "song start", phrase }
    public enum Style: String, Sendable, Codable { case hummed, syllables }
    public enum Register: String, Sendable, Codable { case female, male }
    public enum Noise: String, Sendable, Codable { case clean, room, telephone }

    public var start: Start
    public var style: Style
    public var register: Register
    public var noise: Noise
    /// Transposition from the score, semitones (includes the tuning offset).
    public var transposition: Double
    /// Sung tempo relative to the score's (2 = twice as fast), at the start; it drifts from there.
    public var tempo: Double
    /// The span of the score the query covers, seconds.
    public var scoreStart: Double
    public var scoreEnd: Double
    /// Notes sung, and how many were skipped, repeated or sung at a wrong interval.
    public var notes: Int
    public var skipped: Int
    public var repeated: Int
    public var wrong: Int
}

/// A synthetic hummed or sung query with what it was made from.
public struct HumQuery: Sendable {
    /// Mono samples at `sampleRate` Hz.
    public var samples: [Float]
    public var sampleRate: Double
    public var info: HumQueryInfo
    /// The notes as sung (seconds in the query, fractional MIDI pitch), before synthesis.
    public var sung: [SungNote]
    /// The f0 the voice was made with (every `f0Hop` samples, NaN unvoiced).
    public var intendedF0: [Float]
    public var f0Hop: Int
}

/// Makes development queries for query by humming from a score's melody, the way people hum (Lesaffre et al.
/// 2003, "User behavior in the spontaneous reproduction of musical pieces by vocal query"; Pardo & Birmingham
/// 2003, "Query by humming: how good can it get?"): in their own register and key (plus a tuning offset up to
/// half a semitone), at their own tempo (far from the score's, drifting), with per-note timing and intonation
/// errors, now and then a skipped or repeated note or a wrong interval, hummed or sung on syllables, from the
/// song's start or a phrase start, in a quiet room, a noisy room, or over a telephone band. Deterministic for a seed.
public struct HumQueryGenerator: Sendable {
    /// Sung length in seconds is drawn uniformly from this range (the melody permitting).
    public var seconds: ClosedRange<Double> = 8...20
    /// Fewest score notes a query covers, whatever its length (it may then run up to `longestSeconds`).
    public var minimumNotes = 10
    public var longestSeconds = 25.0
    /// Probabilities per note.
    public var skipProbability = 0.04
    public var repeatProbability = 0.03
    public var wrongIntervalProbability = 0.04
    /// Intonation error per note, semitones (standard deviation).
    public var intonationSemitones = 0.2
    /// Timing error per note (standard deviation of the log duration factor).
    public var timingSpread = 0.15
    public var sampleRate = 22050.0

    public init() {}

    /// A query of `melody` (score seconds, MIDI pitch), seeded. The melody needs at least 6 notes.
    public func query(_ melody: [MelodyNote], seed: UInt64, start: HumQueryInfo.Start? = nil, style: HumQueryInfo.Style? = nil,
                      register: HumQueryInfo.Register? = nil, noise: HumQueryInfo.Noise? = nil) throws -> HumQuery {
        let notes = melody
        guard notes.count >= 6 else { throw RefrainError.invalidArgument("a melody of \(notes.count) notes is too short to hum") }
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { Double(random.next() >> 11) / 9_007_199_254_740_992 }
        func gaussian() -> Double { (-2 * log(max(uniform(), 1e-12))).squareRoot() * cos(2 * Double.pi * uniform()) }
        let start = start ?? (uniform() < 0.5 ? .songStart : .phrase)
        let style = style ?? (uniform() < 0.5 ? .hummed : .syllables)
        let register = register ?? (uniform() < 0.5 ? .female : .male)
        let noise = noise ?? [HumQueryInfo.Noise.clean, .room, .telephone][Int(uniform() * 3)]
        // Where to start: the first note, or a phrase start (a note after a rest or after a long note) that leaves
        // `minimumNotes` notes to sing when the melody has them (a later start could not cover them).
        var first = 0
        if start == .phrase {
            let median = notes.map(\.duration).sorted()[notes.count / 2]
            // Starts before `bound` leave `minimumNotes` notes (or 7, the least a query may cover, for short melodies).
            let bound = max(2, notes.count - max(6, minimumNotes - 1))
            let phraseStarts = (1..<bound).filter { i in
                let gap = notes[i].onset - (notes[i - 1].onset + notes[i - 1].duration)
                return gap > 0.1 || notes[i - 1].duration >= 1.8 * median
            }
            // Without rests or long notes: every fourth note, within the same bound.
            let choices = phraseStarts.isEmpty ? Array(stride(from: min(4, bound - 1), to: bound, by: 4)) : phraseStarts
            first = choices[Int(uniform() * Double(choices.count)) % choices.count]
        }
        // Tempo far from the score's (0.5x - 0.8x or 1.25x - 2x), drifting by up to +-15 % over the query.
        let slow = uniform() < 0.5
        let tempo = slow ? 0.5 + 0.3 * uniform() : 1.25 + 0.75 * uniform()
        let drift = (uniform() - 0.5) * 0.3
        let target = seconds.lowerBound + (seconds.upperBound - seconds.lowerBound) * uniform()
        // Register and key: the melody's median moved near the voice's comfortable middle, plus a random key and tuning.
        let pitches = notes[first...].prefix(60).map(\.pitch).sorted()
        let median = Double(pitches[pitches.count / 2])
        let centre = register == .female ? 67.0 : 55.0
        let tuning = uniform() - 0.5
        let transposition = (centre - median + Double(Int(uniform() * 7) - 3)).rounded() + tuning
        // Walk the notes, singing them with errors, until the target length.
        var sung: [SungNote] = []
        var t = 0.25, skipped = 0, repeated = 0, wrong = 0, offset = 0.0
        var i = first
        let scoreStart = notes[first].onset
        var scoreEnd = scoreStart
        while i < notes.count && (t < target || (i - first < minimumNotes && t < longestSeconds)) {
            let note = notes[i]
            let progress = min(1, t / target)
            let speed = tempo * (1 + drift * progress)
            let ioi = (i + 1 < notes.count ? notes[i + 1].onset - note.onset : note.duration) / speed
            let duration = min(note.duration / speed, ioi)
            let jitter = exp(timingSpread * gaussian())
            if i > first && i + 1 < notes.count && uniform() < skipProbability {
                skipped += 1; i += 1; continue
            }
            if uniform() < wrongIntervalProbability {
                wrong += 1
                offset += uniform() < 0.5 ? -1 : 1  // the rest of the phrase comes out shifted: one wrong interval
            }
            let syllable = Syllable(Syllable.Consonant.allCases[Int(uniform() * 4) % 4], Syllable.Vowel.allCases[Int(uniform() * 5) % 5])
            let pitch = Double(note.pitch) + transposition + offset + intonationSemitones * gaussian()
            let length = max(0.09, duration * jitter)
            sung.append(SungNote(onset: t, duration: length, pitch: pitch, syllable: syllable))
            t += max(length, ioi * jitter)
            if uniform() < repeatProbability {
                repeated += 1
                sung.append(SungNote(onset: t, duration: length, pitch: pitch, syllable: syllable))
                t += max(length, ioi * jitter)
            }
            scoreEnd = note.onset + note.duration
            i += 1
        }
        let voice = SingingVoice(style: style == .hummed ? .hum : .syllables,
                                 formantScale: register == .female ? 1.15 + 0.05 * uniform() : 0.95 + 0.08 * uniform(),
                                 vibratoRate: 4.5 + 2 * uniform(), vibratoCents: 10 + 50 * uniform(),
                                 jitter: 0.003 + 0.007 * uniform(), shimmer: 0.02 + 0.05 * uniform(),
                                 breathiness: 0.02 + 0.1 * uniform(), glideSeconds: 0.03 + 0.08 * uniform(),
                                 driftCents: 5 + 15 * uniform())
        let audio = SingingSynthesizer.render(sung, voice: voice, sampleRate: sampleRate, seed: random.next())
        var samples = audio.samples
        switch noise {
        case .clean:
            SingingSynthesizer.addNoise(&samples, snrDB: 40, seed: random.next(), reference: nil)
        case .room:
            HumQueryGenerator.addRoomNoise(&samples, snrDB: 10 + 15 * uniform(), seed: random.next())
        case .telephone:
            HumQueryGenerator.addRoomNoise(&samples, snrDB: 20 + 10 * uniform(), seed: random.next())
            HumQueryGenerator.telephoneBand(&samples, sampleRate: sampleRate)
        }
        let info = HumQueryInfo(start: start, style: style, register: register, noise: noise, transposition: transposition,
                                tempo: tempo, scoreStart: scoreStart, scoreEnd: scoreEnd, notes: sung.count,
                                skipped: skipped, repeated: repeated, wrong: wrong)
        return HumQuery(samples: samples, sampleRate: sampleRate, info: info, sung: sung, intendedF0: audio.f0, f0Hop: audio.f0Hop)
    }

    /// Room noise: pink-ish (one-pole low-passed white noise mixed with white) at `snrDB` below the voice.
    static func addRoomNoise(_ samples: inout [Float], snrDB: Double, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        func gaussian() -> Double {
            let u = max(Double(random.next() >> 11) / 9_007_199_254_740_992, 1e-12), v = Double(random.next() >> 11) / 9_007_199_254_740_992
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        var noise = [Float](repeating: 0, count: samples.count)
        var low = 0.0, hum = 0.0
        for i in noise.indices {
            low += 0.05 * (gaussian() - low)
            hum = sin(2 * Double.pi * 50 * Double(i) / 22050) * 0.1  // mains hum
            noise[i] = Float(3 * low + 0.3 * gaussian() + hum)
        }
        let peak = samples.map { abs($0) }.max() ?? 0
        var power = 0.0, count = 0
        for s in samples where abs(s) > peak / 30 { power += Double(s * s); count += 1 }
        let noisePower = noise.reduce(0.0) { $0 + Double($1 * $1) } / Double(max(noise.count, 1))
        guard count > 0, noisePower > 0 else { return }
        let gain = Float(((power / Double(count)) / pow(10, snrDB / 10) / noisePower).squareRoot())
        for i in samples.indices { samples[i] += gain * noise[i] }
    }

    /// A telephone channel: 300 - 3400 Hz band (two second-order high-passes and two low-passes, Butterworth
    /// sections by the bilinear transform), then 8-bit mu-law quantization.
    static func telephoneBand(_ samples: inout [Float], sampleRate: Double) {
        func biquad(_ x: inout [Float], highPass: Bool, hz: Double) {
            let w = tan(Double.pi * hz / sampleRate), q = 1 / 2.0.squareRoot()
            let norm = 1 / (1 + w / q + w * w)
            let b0 = highPass ? norm : w * w * norm
            let b1 = highPass ? -2 * norm : 2 * b0
            let b2 = b0
            let a1 = 2 * (w * w - 1) * norm, a2 = (1 - w / q + w * w) * norm
            var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
            for i in x.indices {
                let v = Double(x[i])
                let y = b0 * v + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
                x2 = x1; x1 = v; y2 = y1; y1 = y
                x[i] = Float(y)
            }
        }
        for _ in 0..<2 { biquad(&samples, highPass: true, hz: 300); biquad(&samples, highPass: false, hz: 3400) }
        let peak = max(samples.map { abs($0) }.max() ?? 1, 1e-6)
        let mu = 255.0
        for i in samples.indices {
            let x = Double(samples[i] / peak) * 0.9
            let y = (x < 0 ? -1.0 : 1.0) * log(1 + mu * abs(x)) / log(1 + mu)
            let q = (y * 127).rounded() / 127
            samples[i] = Float((q < 0 ? -1.0 : 1.0) * (pow(1 + mu, abs(q)) - 1) / mu) * 0.8
        }
    }
}
