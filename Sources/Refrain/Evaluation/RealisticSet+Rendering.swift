import Foundation
import RefrainAudio
import RefrainMath
import RefrainSymbolic

extension RealisticSet {
    /// What the indexed recordings go through: a decent collection (rooms up to RT60 1.5 s, noise at
    /// 20-40 dB SNR now and then, EQ, MP3 128-320 kb/s or Vorbis q0.3-0.7, 22-48 kHz, mostly stereo).
    public static var collectionConditions: ConditionSampler {
        var s = ConditionSampler()
        s.roomProbability = 0.4
        s.rt60 = 0.2...1.5
        s.noiseProbability = 0.2
        s.snrDB = 20...40
        s.equalizerProbability = 0.4
        s.lowPassProbability = 0
        s.codecProbability = 0.7
        s.mp3Bitrates = [128, 160, 192, 256, 320]
        s.vorbisQuality = 0.3...0.7
        s.sampleRates = [22050, 32000, 44100, 48000]
        s.stereoProbability = 0.7
        return s
    }

    /// Transpositions drawn for a transposed rendition, semitones.
    static let shifts = [-5, -4, -3, -2, -1, 1, 2, 3, 4, 5, 6]

    /// Makes one piece's recordings and queries.
    struct Maker: Sendable {
        let directory: URL
        let options: RealisticSet.Options
        let renderers: RenderersByFont

        /// `score` with tempo `global` times a slow sinusoidal curve (±0-8 %, period 8-30 s).
        func performed(_ score: MIDIScore, global: Double, random: inout SplitMix64) throws -> MIDIScore {
            let depth = random.uniform(0...0.08), period = random.uniform(8...30), phase = random.uniform(0...(2 * Double.pi))
            return try score.applyingTempoCurve { t in global * (1 + depth * sin(2 * Double.pi * t / period + phase)) }
        }

        func fonts(for half: String) -> [String] {
            half == "report" ? options.tuningSoundfonts + options.unseenSoundfonts : options.tuningSoundfonts
        }

        /// Renders `score` with `font` under `condition` to `base` + the condition's extension, unless that file exists.
        func write(_ score: MIDIScore, font: String, condition: AudioCondition, to base: URL,
                   excerpt: ClosedRange<Double>? = nil) throws -> URL {
            let url = base.appendingPathExtension(condition.codec?.fileExtension ?? "wav")
            guard !FileManager.default.fileExists(atPath: url.path) else { return url }
            var signal = try renderers.render(score, font: font, forRate: condition.sampleRate)
            if let excerpt {
                let lo = min(Int(excerpt.lowerBound * signal.sampleRate), signal.samples.count)
                let hi = min(max(Int(excerpt.upperBound * signal.sampleRate), lo + 1), signal.samples.count)
                signal.samples = Array(signal.samples[lo..<hi])
            }
            return try condition.write(signal, to: base)
        }

        func labels(condition: AudioCondition, font: String, arrangement: ArrangementEdit, transposed: Bool,
                    tempo: Double, length: String?) -> [String: String] {
            var labels = [
                "transposed": transposed ? "yes" : "no",
                "arrangement": arrangement.label == "as written" ? "as written" : "changed",
                "soundfont": RealisticSet.fontName(font, unseen: options.unseenSoundfonts),
                "codec": condition.codec.map { if case .mp3 = $0 { return "mp3" } else { return "vorbis" } } ?? "pcm",
                "noise": condition.noise.map { $0.snrDB < 20 ? "SNR 10-20 dB" : "SNR 20-30 dB" } ?? "none",
                "room": condition.room.map { $0.rt60 < 1 ? "RT60 0.2-1 s" : "RT60 1-2 s" } ?? "dry",
                "band": condition.lowPassHz != nil || condition.sampleRate <= 11025 ? "low-pass or <= 11 kHz" : "full",
                "channels": condition.channels == 1 ? "mono" : "stereo",
                "tempo": Self.tempoBand(tempo),
            ]
            if let length { labels["length"] = length }
            return labels
        }

        /// Item tempo over query tempo (query faster: above 1) in three bands.
        static func tempoBand(_ ratio: Double) -> String {
            ratio < 0.8 ? "query slower (<0.8)" : ratio > 1.25 ? "query faster (>1.25)" : "0.8-1.25"
        }

        static func lengthBand(_ seconds: Double, whole: Bool) -> String {
            whole ? "whole piece" : seconds < 10 ? "5-10 s" : seconds < 20 ? "10-20 s" : seconds < 40 ? "20-40 s" : "40 s +"
        }

        func work(_ url: URL, key: String, half: String) throws -> WorkOutputs.Work {
            var random = SplitMix64(seed: options.seed ^ stableHash(key))
            let score = try MIDIScore(contentsOf: url)
            let fonts = fonts(for: half)
            var items: [RealisticSet.Item] = [], queries: [RealisticSet.Query] = []
            var recordings: [ExcerptSource.Recording] = []
            var firstTempo = 1.0, seconds = 0.0

            for v in 0..<max(1, options.recordingsPerWork) {
                let font = random.pick(fonts)
                let arrangement = ArrangementEdit.draw(for: score, changeProbability: 0.5, using: &random)
                let semitones = v > 0 && random.chance(0.5) ? random.pick(RealisticSet.shifts) : 0
                let global = random.logUniform(0.85...1.18)
                if v == 0 { firstTempo = global }
                let performance = try performed(arrangement.applied(to: score).transposed(by: semitones), global: global, random: &random)
                let condition = RealisticSet.collectionConditions.draw(seed: random.next())
                let itemKey = "\(key)-v\(v)"
                let file = try write(performance, font: font, condition: condition,
                                     to: directory.appendingPathComponent("recordings/\(itemKey)"))
                items.append(.init(key: itemKey, work: key, path: file.path, soundfont: RealisticSet.fontName(font, unseen: options.unseenSoundfonts),
                                   semitones: semitones, arrangement: arrangement.label, condition: condition.description))
                recordings.append(.init(key: itemKey, score: performance, semitones: semitones))
                seconds += performance.endTime
            }
            let relevant = recordings.map(\.key)
            let excerpts = ExcerptSource(key: key, half: half, score: score, fonts: fonts, recordings: recordings, firstTempo: firstTempo)

            // MIDI query: the score, maybe rearranged and transposed, at another tempo.
            do {
                let arrangement = ArrangementEdit.draw(for: score, changeProbability: 0.5, using: &random)
                let semitones = random.chance(0.5) ? random.pick(RealisticSet.shifts) : 0
                let tempo = random.logUniform(0.8...1.25)
                let midiScore = try arrangement.applied(to: score).transposed(by: semitones).scalingTempo(by: tempo)
                let file = directory.appendingPathComponent("queries/\(key)-midi.mid")
                if !FileManager.default.fileExists(atPath: file.path) { try midiScore.write(to: file) }
                let ratio = recordings[0].score.endTime / max(midiScore.endTime, 1e-9)
                queries.append(.init(id: "\(key)-midi", path: file.path, task: "midi-to-audio", relevant: relevant, spans: [:], half: half,
                                     labels: ["transposed": excerpts.transposed(semitones) ? "yes" : "no",
                                              "arrangement": arrangement.label == "as written" ? "as written" : "changed",
                                              "tempo": Self.tempoBand(ratio)],
                                     condition: "MIDI, \(arrangement.label), \(semitones) semitones, tempo x\(String(format: "%.2f", tempo))"))
            }

            // Audio excerpts.
            for q in 0..<options.excerptQueriesPerWork {
                queries.append(try excerpt(q, of: excerpts, random: &random))
            }

            // Version query: a whole new rendition.
            do {
                let font = random.pick(fonts)
                let arrangement = ArrangementEdit.draw(for: score, changeProbability: 0.6, using: &random)
                let semitones = random.chance(0.5) ? random.pick(RealisticSet.shifts) : 0
                let tempo = random.logUniform(0.7...1.4)
                let performance = try performed(arrangement.applied(to: score).transposed(by: semitones), global: tempo, random: &random)
                let condition = ConditionSampler.realistic.draw(seed: random.next())
                let id = "\(key)-version"
                let file = try write(performance, font: font, condition: condition, to: directory.appendingPathComponent("queries/\(id)"))
                queries.append(.init(id: id, path: file.path, task: "version", relevant: relevant, spans: [:], half: half,
                                     labels: labels(condition: condition, font: font, arrangement: arrangement, transposed: excerpts.transposed(semitones),
                                                    tempo: recordings[0].score.endTime / max(performance.endTime, 1e-9), length: nil),
                                     condition: "\(RealisticSet.fontName(font, unseen: options.unseenSoundfonts)), \(arrangement.label), \(semitones) semitones, tempo x\(String(format: "%.2f", tempo)), \(condition)"))
            }
            queries += try extraTuneExcerpts(of: excerpts)
            return .init(items: items, queries: queries, seconds: seconds)
        }

        /// A rendered, conditioned recording of a piece of the distractor corpus (`train-<key>`).
        func distractor(_ url: URL) throws -> RealisticSet.Item {
            let key = "train-\(url.deletingPathExtension().lastPathComponent)"
            var random = SplitMix64(seed: options.seed ^ stableHash(key))
            let score = try MIDIScore(contentsOf: url)
            let font = random.pick(options.tuningSoundfonts)
            let arrangement = ArrangementEdit.draw(for: score, changeProbability: 0.5, using: &random)
            let semitones = random.chance(0.3) ? random.pick(RealisticSet.shifts) : 0
            let performance = try performed(arrangement.applied(to: score).transposed(by: semitones),
                                            global: random.logUniform(0.85...1.18), random: &random)
            let condition = RealisticSet.collectionConditions.draw(seed: random.next())
            let file = try write(performance, font: font, condition: condition, to: directory.appendingPathComponent("distractors/\(key)"))
            return .init(key: key, work: key, path: file.path, soundfont: RealisticSet.fontName(font, unseen: []), semitones: semitones,
                         arrangement: arrangement.label, condition: condition.description)
        }
    }
}
