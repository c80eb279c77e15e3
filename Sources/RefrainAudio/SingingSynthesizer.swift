import Foundation
import RefrainMath

/// One sung note: when, for how long, at what (fractional MIDI) pitch, and what is sung on it.
public struct SungNote: Equatable, Sendable {
    /// Onset, seconds.
    public var onset: Double
    /// Duration, seconds.
    public var duration: Double
    /// Pitch as fractional MIDI (69 = A4 = 440 Hz): a singer's intonation need not be on the grid.
    public var pitch: Double
    /// The syllable: its onset consonant and its vowel (ignored when the voice hums).
    public var syllable: Syllable

    public init(onset: Double, duration: Double, pitch: Double, syllable: Syllable = Syllable(.none, .a)) {
        self.onset = onset
        self.duration = duration
        self.pitch = pitch
        self.syllable = syllable
    }
}

/// A sung syllable: an onset consonant and a vowel.
public struct Syllable: Equatable, Sendable {
    public enum Consonant: CaseIterable, Sendable {
        /// Straight into the vowel.
        case none
        /// A plosive (/d/, /t/): a short silence, then a burst of noise.
        case plosive
        /// A nasal (/n/, /m/): the hummed murmur for the first 50-70 ms.
        case nasal
        /// A liquid (/l/): a low first formant and a softer start.
        case liquid
    }

    public enum Vowel: CaseIterable, Sendable { case a, e, i, o, u }

    public var consonant: Consonant
    public var vowel: Vowel

    public init(_ consonant: Consonant, _ vowel: Vowel) {
        self.consonant = consonant
        self.vowel = vowel
    }
}

/// A voice: its register (which scales the formants), how it hums or sings, and its imperfections.
public struct SingingVoice: Equatable, Sendable {
    public enum Style: Sendable { case hum, syllables }

    public var style: Style
    /// Formant frequencies are multiplied by this (1 for a man's voice, about 1.17 for a woman's: Peterson & Barney 1952).
    public var formantScale: Double
    /// Vibrato rate, Hz (Sundberg 1987: 5.5 - 7.5 Hz in trained singers; slower, shallower in untrained ones).
    public var vibratoRate: Double
    /// Vibrato extent, cents (peak deviation).
    public var vibratoCents: Double
    /// Cycle-to-cycle period perturbation, relative standard deviation (healthy voices: about 0.5 - 1 %).
    public var jitter: Double
    /// Cycle-to-cycle amplitude perturbation, relative standard deviation (about 3 - 8 %).
    public var shimmer: Double
    /// Aspiration noise relative to the voiced source (0 modal, 0.3 very breathy).
    public var breathiness: Double
    /// Portamento between legato notes, seconds.
    public var glideSeconds: Double
    /// Slow random wander of the pitch, cents (standard deviation of a smoothed random walk).
    public var driftCents: Double
    /// Breath noise in rests of at least 0.25 s.
    public var breathsInRests: Bool

    public init(style: Style = .hum, formantScale: Double = 1, vibratoRate: Double = 5.5, vibratoCents: Double = 30,
                jitter: Double = 0.006, shimmer: Double = 0.04, breathiness: Double = 0.05, glideSeconds: Double = 0.06,
                driftCents: Double = 10, breathsInRests: Bool = true) {
        self.style = style
        self.formantScale = formantScale
        self.vibratoRate = vibratoRate
        self.vibratoCents = vibratoCents
        self.jitter = jitter
        self.shimmer = shimmer
        self.breathiness = breathiness
        self.glideSeconds = glideSeconds
        self.driftCents = driftCents
        self.breathsInRests = breathsInRests
    }
}

/// Synthesized singing with the f0 it was made with.
public struct SungAudio: Sendable {
    public var samples: [Float]
    public var sampleRate: Double
    /// The intended f0 every `f0Hop` samples, Hz (NaN where nothing is voiced).
    public var f0: [Float]
    public var f0Hop: Int

    /// The intended f0 at `seconds` (NaN where unvoiced or outside the signal).
    public func f0(at seconds: Double) -> Double {
        let i = Int((seconds * sampleRate / Double(f0Hop)).rounded())
        return f0.indices.contains(i) ? Double(f0[i]) : .nan
    }
}

/// A singing and humming voice from the source-filter model (Fant 1960): a Rosenberg (1971) glottal pulse
/// train, with jitter, shimmer and aspiration noise, through a cascade of formant resonators and, for the hum
/// and nasal consonants, a nasal anti-resonance (Klatt 1980, "Software for a cascade/parallel formant
/// synthesizer"); pitch with vibrato (Sundberg 1987), portamento between legato notes and slow drift; plosive
/// bursts, nasal and liquid onsets, breaths in rests. Deterministic for a seed.
public enum SingingSynthesizer {
    /// Renders `notes` (sorted by onset) with `voice` at `sampleRate` Hz; the result lasts until the last note ends plus 0.2 s.
    public static func render(_ notes: [SungNote], voice: SingingVoice, sampleRate: Double = 22050, seed: UInt64) -> SungAudio {
        var random = SeededRandom(seed)
        let end = (notes.map { $0.onset + $0.duration }.max() ?? 0) + 0.2
        let n = max(1, Int(end * sampleRate))
        let hop = 64
        // 1. The pitch curve (MIDI, NaN unvoiced), per sample, and which note sounds.
        var pitch = [Double](repeating: .nan, count: n)
        var owner = [Int32](repeating: -1, count: n)
        for (k, note) in notes.enumerated() {
            let a = max(0, Int(note.onset * sampleRate)), b = min(n, Int((note.onset + note.duration) * sampleRate))
            guard b > a else { continue }
            let vibratoPhase = random.uniform() * 2 * Double.pi
            let rate = voice.vibratoRate * (0.9 + 0.2 * random.uniform())
            let legato = k > 0 && note.onset - (notes[k - 1].onset + notes[k - 1].duration) < 0.04
            let glide = legato ? min(voice.glideSeconds, 0.4 * note.duration) : 0
            let from = legato ? notes[k - 1].pitch : note.pitch
            for i in a..<b {
                let t = Double(i - a) / sampleRate
                var p = note.pitch
                if glide > 0 && t < glide {
                    let w = 0.5 - 0.5 * cos(Double.pi * t / glide)
                    p = from * (1 - w) + note.pitch * w
                }
                // Vibrato sets in after about 150 ms and only on notes long enough to carry it.
                let depth = voice.vibratoCents / 100 * min(1, max(0, (t - 0.15) / 0.2))
                p += depth * sin(2 * Double.pi * rate * t + vibratoPhase)
                pitch[i] = p
                owner[i] = Int32(k)
            }
        }
        // Slow drift: a random walk smoothed over ~0.3 s, added everywhere.
        if voice.driftCents > 0 {
            var walk = 0.0, smooth = 0.0
            let step = 1.0 / sampleRate
            let alpha = step / 0.3
            for i in 0..<n {
                walk += random.gaussian() * voice.driftCents / 100 * (2 * step / 0.3).squareRoot()
                walk *= 1 - alpha * 0.2
                smooth += alpha * (walk - smooth)
                if pitch[i].isFinite { pitch[i] += smooth }
            }
        }
        // Plosive onsets: 40 ms unvoiced gap at the note's start.
        var burstAt: [Int] = []
        if voice.style == .syllables {
            for note in notes where note.syllable.consonant == .plosive {
                let a = max(0, Int(note.onset * sampleRate)), b = min(n, a + Int(0.04 * sampleRate))
                for i in a..<b { pitch[i] = .nan }
                burstAt.append(b)
            }
        }
        // 2. Glottal source: Rosenberg pulse (open quotient 0.6, opening 2/3 of it), differentiated (lip radiation).
        var source = [Float](repeating: 0, count: n)
        var phase = 0.0, periodScale = 1.0, amplitude = 1.0, previousFlow = 0.0
        let openPhase = 0.4, closePhase = 0.2
        for i in 0..<n {
            guard pitch[i].isFinite else { previousFlow = 0; phase = 0; continue }
            let f0 = 440 * pow(2, (pitch[i] - 69) / 12)
            phase += f0 / sampleRate / periodScale
            if phase >= 1 {
                phase -= 1
                periodScale = 1 + voice.jitter * random.gaussian()
                amplitude = max(0.2, 1 + voice.shimmer * random.gaussian())
            }
            let flow: Double
            if phase < openPhase { flow = 0.5 * (1 - cos(Double.pi * phase / openPhase)) }
            else if phase < openPhase + closePhase { flow = cos(Double.pi / 2 * (phase - openPhase) / closePhase) }
            else { flow = 0 }
            let aspiration = voice.breathiness * random.gaussian() * (0.3 + flow)
            source[i] = Float(amplitude * (flow - previousFlow) * sampleRate / (f0 * 4) + aspiration * 0.3)
            previousFlow = flow
        }
        // 3. Vocal tract: formants per block of `hop` samples, from the note's vowel (or the hum's nasal murmur).
        var output = [Float](repeating: 0, count: n)
        var tract = FormantCascade()
        var block = 0
        while block < n {
            let k = Int(owner[min(block + hop / 2, n - 1)])
            var nasal = voice.style == .hum
            var vowel = Syllable.Vowel.a, liquid = false
            if k >= 0 && voice.style == .syllables {
                let note = notes[k]
                vowel = note.syllable.vowel
                let into = Double(block) / sampleRate - note.onset
                if note.syllable.consonant == .nasal && into < 0.06 { nasal = true }
                if note.syllable.consonant == .liquid && into < 0.05 { liquid = true }
            }
            tract.target(nasal ? FormantCascade.murmur : FormantCascade.formants(vowel, liquid: liquid),
                         scale: voice.formantScale, sampleRate: sampleRate, nasal: nasal)
            let stop = min(n, block + hop)
            for i in block..<stop { output[i] = tract.process(source[i]) }
            block = stop
        }
        // 4. Loudness: per-note envelope (attack, decay into release), softer nasal and liquid starts.
        var gain = [Float](repeating: 0, count: n)
        for (k, note) in notes.enumerated() {
            let a = max(0, Int(note.onset * sampleRate)), b = min(n, Int((note.onset + note.duration) * sampleRate))
            guard b > a else { continue }
            let level = 0.8 + 0.2 * random.uniform()
            let soft = voice.style == .syllables && note.syllable.consonant != .none && note.syllable.consonant != .plosive
            for i in a..<b {
                let t = Double(i - a) / sampleRate, left = Double(b - i) / sampleRate
                var g = min(1, t / 0.03, left / 0.04) * level
                if soft && t < 0.06 { g *= 0.5 + 0.5 * t / 0.06 }
                gain[i] = max(gain[i], Float(g))
            }
            _ = k
        }
        for i in 0..<n { output[i] *= gain[i] }
        // 5. Noises: plosive bursts and breaths (band-passed noise).
        var noiseFilter = FormantCascade()
        noiseFilter.target([(3500, 1500), (1800, 600)], scale: voice.formantScale, sampleRate: sampleRate, nasal: false)
        let peak = max(output.map { abs($0) }.max() ?? 1, 1e-6)
        for at in burstAt {
            let length = Int(0.015 * sampleRate)
            for i in max(0, at - length)..<min(n, at) { output[i] += 0.25 * peak * noiseFilter.process(Float(random.gaussian())) }
        }
        if voice.breathsInRests {
            var sorted = notes.sorted { $0.onset < $1.onset }
            sorted.append(SungNote(onset: end, duration: 0, pitch: 60))
            var previousEnd = 0.0
            for note in sorted {
                let rest = note.onset - previousEnd
                if rest >= 0.25 && random.uniform() < 0.7 {
                    let length = min(rest - 0.05, 0.2 + 0.2 * random.uniform())
                    let a = Int((note.onset - length - 0.03) * sampleRate), b = Int((note.onset - 0.03) * sampleRate)
                    for i in max(0, a)..<min(n, b) {
                        let w = sin(Double.pi * Double(i - a) / Double(max(1, b - a)))
                        output[i] += Float(0.05 * w) * peak * noiseFilter.process(Float(random.gaussian()))
                    }
                }
                previousEnd = max(previousEnd, note.onset + note.duration)
            }
        }
        let top = max(output.map { abs($0) }.max() ?? 1, 1e-6)
        for i in 0..<n { output[i] *= 0.7 / top }
        let f0 = stride(from: 0, to: n, by: hop).map { i -> Float in
            pitch[i].isFinite && gain[i] > 0.05 ? Float(440 * pow(2, (pitch[i] - 69) / 12)) : .nan
        }
        return SungAudio(samples: output, sampleRate: sampleRate, f0: f0, f0Hop: hop)
    }

    /// A seeded sung-like test signal of `seconds` (a random walk of notes in a man's or woman's range with
    /// rests, glides and vibrato, alternating hummed and sung phrases), with white room noise at `snrDB` when
    /// given: for benchmarks and tests that need a known f0.
    public static func benchmarkSignal(seconds: Double, snrDB: Double? = nil, seed: UInt64 = 1, sampleRate: Double = 22050) -> SungAudio {
        var random = SeededRandom(seed)
        var pieces: [Float] = [], f0: [Float] = []
        var at = 0.0, phrase = 0
        while at < seconds {
            var notes: [SungNote] = []
            var t = 0.2
            let low = phrase % 2 == 0
            var p = low ? 50 + Double(Int(random.uniform() * 6)) : 62 + Double(Int(random.uniform() * 6))
            for _ in 0..<(6 + Int(random.uniform() * 6)) {
                let d = [0.2, 0.3, 0.4, 0.6, 0.8][Int(random.uniform() * 5)]
                let syllable = Syllable(Syllable.Consonant.allCases[Int(random.uniform() * 4)], Syllable.Vowel.allCases[Int(random.uniform() * 5)])
                notes.append(SungNote(onset: t, duration: d, pitch: p, syllable: syllable))
                t += d + (random.uniform() < 0.15 ? 0.3 : 0)
                p += Double([-4, -2, -1, 0, 1, 2, 3, 5, -5][Int(random.uniform() * 9)])
                p = min(max(p, low ? 43 : 55), low ? 64 : 77)
            }
            let voice = SingingVoice(style: phrase % 3 == 1 ? .syllables : .hum, formantScale: low ? 1 : 1.17,
                                     vibratoRate: 5 + 1.5 * random.uniform(), vibratoCents: 15 + 40 * random.uniform())
            let sung = render(notes, voice: voice, sampleRate: sampleRate, seed: random.next())
            pieces += sung.samples
            f0 += sung.f0
            // Keep the f0 grid aligned with the samples: pad to a whole number of hops.
            let pad = (sung.f0Hop - sung.samples.count % sung.f0Hop) % sung.f0Hop
            pieces += [Float](repeating: 0, count: pad)
            at = Double(pieces.count) / sampleRate
            phrase += 1
        }
        let n = Int(seconds * sampleRate)
        pieces = Array(pieces.prefix(n))
        f0 = Array(f0.prefix((n + 63) / 64))
        if let snrDB { addNoise(&pieces, snrDB: snrDB, seed: seed &+ 99, reference: nil) }
        return SungAudio(samples: pieces, sampleRate: sampleRate, f0: f0, f0Hop: 64)
    }

    /// Adds white Gaussian noise at `snrDB` relative to the power of the samples above 1/30 of the peak
    /// (the voiced part), or of `reference` power when given.
    public static func addNoise(_ samples: inout [Float], snrDB: Double, seed: UInt64, reference: Double?) {
        let peak = samples.map { abs($0) }.max() ?? 0
        var power = 0.0, count = 0
        for s in samples where abs(s) > peak / 30 { power += Double(s * s); count += 1 }
        let signalPower = reference ?? (count > 0 ? power / Double(count) : 0)
        guard signalPower > 0 else { return }
        let sigma = (signalPower / pow(10, snrDB / 10)).squareRoot()
        var random = SeededRandom(seed)
        for i in samples.indices { samples[i] += Float(sigma * random.gaussian()) }
    }
}

/// A cascade of two-pole resonators (Klatt 1980), with an optional nasal anti-resonance, whose targets move
/// smoothly from block to block.
struct FormantCascade {
    /// (frequency Hz, bandwidth Hz) of vowels for a man's voice (Peterson & Barney 1952 averages, rounded).
    static func formants(_ vowel: Syllable.Vowel, liquid: Bool) -> [(Double, Double)] {
        var f: [(Double, Double)]
        switch vowel {
        case .a: f = [(730, 90), (1090, 110), (2440, 160), (3400, 250)]
        case .e: f = [(530, 70), (1840, 100), (2480, 160), (3400, 250)]
        case .i: f = [(270, 60), (2290, 100), (3010, 170), (3700, 250)]
        case .o: f = [(570, 80), (840, 90), (2410, 160), (3400, 250)]
        case .u: f = [(300, 60), (870, 90), (2240, 150), (3400, 250)]
        }
        if liquid { f[0].0 = 360; f[1].0 = 1300 }
        return f
    }

    /// The nasal murmur of a hum ("mm"): a strong low resonance, weak upper ones (Fujimura 1962).
    static let murmur: [(Double, Double)] = [(250, 80), (1100, 250), (2300, 300), (3300, 400)]

    var coefficients: [(a: Double, b: Double, c: Double)] = Array(repeating: (1, 0, 0), count: 4)
    var state: [(Double, Double)] = Array(repeating: (0, 0), count: 4)
    var antiState = (0.0, 0.0)
    var anti: (a: Double, b: Double, c: Double)? = nil
    var smoothed: [(Double, Double)]? = nil

    static func resonator(_ f: Double, _ bw: Double, _ sampleRate: Double) -> (a: Double, b: Double, c: Double) {
        let t = 1 / sampleRate
        let c = -exp(-2 * Double.pi * bw * t)
        let b = 2 * exp(-Double.pi * bw * t) * cos(2 * Double.pi * f * t)
        return (1 - b - c, b, c)
    }

    mutating func target(_ formants: [(Double, Double)], scale: Double, sampleRate: Double, nasal: Bool) {
        let wanted = formants.map { (min($0.0 * scale, 0.45 * sampleRate), $0.1) }
        var now = smoothed ?? wanted
        if now.count != wanted.count { now = wanted }
        for k in now.indices {  // glide towards the target with a ~15 ms time constant per 64-sample block
            now[k].0 += 0.2 * (wanted[k].0 - now[k].0)
            now[k].1 += 0.2 * (wanted[k].1 - now[k].1)
        }
        smoothed = now
        coefficients = now.map { FormantCascade.resonator($0.0, $0.1, sampleRate) }
        if state.count != coefficients.count { state = Array(repeating: (0, 0), count: coefficients.count) }
        if nasal {
            let r = FormantCascade.resonator(750 * scale, 200, sampleRate)
            anti = (1 / r.a, -r.b / r.a, -r.c / r.a)
        } else {
            anti = nil
        }
    }

    mutating func process(_ x: Float) -> Float {
        var v = Double(x)
        if let anti {
            let y = anti.a * v + anti.b * antiState.0 + anti.c * antiState.1
            antiState = (v, antiState.0)
            v = y
        }
        for k in coefficients.indices {
            let (a, b, c) = coefficients[k]
            let y = a * v + b * state[k].0 + c * state[k].1
            state[k] = (y, state[k].0)
            v = y
        }
        return Float(v)
    }
}

/// Draws for reproducible synthesis from `SplitMix64`: uniform in the open interval (0, 1) (so logarithms
/// stay finite) and standard normal.
struct SeededRandom {
    private var generator: SplitMix64
    init(_ seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    /// Uniform in (0, 1).
    mutating func uniform() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992 }

    /// Standard normal (Box-Muller).
    mutating func gaussian() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * Double.pi * uniform()) }
}
