import Foundation
import RefrainAudio
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// A development set that models real collections and real queries (issue 18), made from a folder of MIDI
/// files, every draw seeded by the piece's key:
///
/// - Index: `recordingsPerWork` recordings of every piece (`<key>-v0`, `<key>-v1`, ...): a soundfont,
///   an arrangement (other programs, a part dropped or doubled an octave away), a global tempo 0.85-1.18
///   with a local tempo curve, `-v1` and later transposed by -5...+6 semitones half of the time, and
///   collection conditions (rooms, mild noise, EQ, MP3 128-320 kb/s or Vorbis, 22-48 kHz, mostly stereo).
/// - MIDI queries: the score itself, rearranged half of the time, at a tempo 0.8-1.25, transposed
///   half of the time.
/// - Audio-excerpt queries (`excerptQueriesPerWork` per piece, `extraTuneExcerptQueries` more per tune-half
///   piece): a new rendition (soundfont,
///   arrangement, tempo 0.6-1.6 times the first recording's with a local curve, transposed half of the
///   time) cut to 5 s ... the whole piece at any sample, through `ConditionSampler.realistic` (rooms
///   RT60 0.2-2 s, noise to 10 dB SNR, ±6 dB EQ, low-pass from 2.5 kHz, MP3 64-160 kb/s or Vorbis q0-0.3,
///   8-48 kHz, mono or stereo). The expected span in each recording comes from the tempo maps.
/// - Version queries: a whole new rendition like the excerpts' (tempo 0.7-1.4); its answers are the
///   piece's recordings.
///
/// The pieces are split in two halves by a seeded shuffle (`tune`, `report`); the `unseenSoundfonts`
/// are used only for pieces of the report half, so no tuning ever hears them. Files are cached in
/// `directory`; the description of everything is written to `directory/set.json`.
public struct RealisticSet: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64 = 18
        /// Use the first `limit` MIDI files in name order.
        public var limit = Int.max
        public var tuningSoundfonts: [String]
        public var unseenSoundfonts: [String]
        public var recordingsPerWork = 2
        public var excerptQueriesPerWork = 2
        /// More audio-excerpt queries for each piece of the tune half only (`<key>-excerpt2`, ... with the default
        /// count), each drawn from its own seed: a larger tuning set whose recordings, split and other queries
        /// (the report half's included) are exactly those of the set without them.
        public var extraTuneExcerptQueries = 0
        /// Folder of more MIDI files rendered as distractor recordings (`train-<key>`), and how many.
        public var distractorCorpus: URL?
        public var distractorCount = 0

        public init(tuningSoundfonts: [String] = RealisticSet.installed(RealisticSet.defaultTuningSoundfonts),
                    unseenSoundfonts: [String] = RealisticSet.installed(RealisticSet.defaultUnseenSoundfonts)) {
            self.tuningSoundfonts = tuningSoundfonts
            self.unseenSoundfonts = unseenSoundfonts
        }
    }

    /// Debian's General MIDI soundfonts used for tuning (fluid-soundfont-gm, timgm6mb-soundfont,
    /// fluidr3mono-gm-soundfont, csound-soundfont).
    public static let defaultTuningSoundfonts = ["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2",
                                                 "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3", "/usr/share/sounds/sf2/sf_GMbank.sf2"]
    /// The unseen performer (musescore-general-soundfont-small): never used for the tune half.
    public static let defaultUnseenSoundfonts = ["/usr/share/sounds/sf3/MuseScore_General_Lite.sf3"]

    /// The installed soundfonts of `paths` (by default `defaultUnseenSoundfonts`), the unseen performers of a
    /// benchmark's report half.
    /// - Throws: `.missingResource` naming the Debian package when none is installed: without it the report half
    ///   would be rendered with the tuning soundfonts only, and measured on timbres the tune half was tuned on.
    public static func unseenPerformers(among paths: [String] = defaultUnseenSoundfonts) throws -> [String] {
        let fonts = installed(paths)
        guard !fonts.isEmpty else {
            throw RefrainError(.missingResource, "the report half's unseen performer \(paths.joined(separator: ", ")) is not installed (apt-get install musescore-general-soundfont-small)")
        }
        return fonts
    }

    /// The paths of `paths` that exist.
    public static func installed(_ paths: [String]) -> [String] { paths.filter { FileManager.default.fileExists(atPath: $0) } }

    /// An indexed recording.
    public struct Item: Codable, Sendable {
        public var key: String
        public var work: String
        public var path: String
        public var soundfont: String
        public var semitones: Int
        public var arrangement: String
        public var condition: String
    }

    /// A query with its answers: `relevant` keys (any is right), the span (seconds) in each relevant item
    /// when it is an excerpt, the half of its piece, and its conditions as labels for the breakdown.
    public struct Query: Codable, Sendable {
        public var id: String
        public var path: String
        /// "midi-to-audio", "audio-match" or "version".
        public var task: String
        public var relevant: [String]
        public var spans: [String: [Double]]
        public var half: String
        public var labels: [String: String]
        public var condition: String
    }

    public var items: [Item] = []
    public var distractors: [Item] = []
    public var queries: [Query] = []
    public var tuneWorks: [String] = []
    public var reportWorks: [String] = []
    /// Pieces that are the same work as an earlier piece (key -> that piece's key), found by their notes.
    public var sameWork: [String: String] = [:]
    /// Seconds of audio in the indexed recordings (distractors excluded).
    public var recordingSeconds = 0.0

    /// Renders what is not already in `directory`.
    public init(corpus: URL, directory: URL, options: Options, progress: (@Sendable (String) -> Void)? = nil) throws {
        guard !options.tuningSoundfonts.isEmpty else {
            throw RefrainError(.missingResource, "no tuning soundfont installed (apt-get install fluid-soundfont-gm timgm6mb-soundfont)")
        }
        let fm = FileManager.default
        let (midi, tune, work) = try Self.halves(corpus: corpus, seed: options.seed, limit: options.limit)
        let keys = midi.map { $0.deletingPathExtension().lastPathComponent }
        sameWork = work.filter { $0.key != $0.value }
        tuneWorks = keys.filter { tune.contains($0) }
        reportWorks = keys.filter { !tune.contains($0) }
        for folder in ["recordings", "queries", "distractors"] {
            try fm.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }

        let renderers = RenderersByFont()
        let maker = Maker(directory: directory, options: options, renderers: renderers)
        let works = Array(midi)
        let outputs = WorkOutputs(count: works.count)
        let done = ProgressCounter()
        try concurrentForEach(works.count) { n in
            let key = keys[n]
            outputs.set(n, try maker.work(works[n], key: key, half: tune.contains(key) ? "tune" : "report"))
            progress?("\(done.increment())/\(works.count) \(key)")
        }
        for output in outputs.values {
            items += output.items
            queries += output.queries
            recordingSeconds += output.seconds
        }
        let recordingsOfWork = Dictionary(grouping: items, by: { work[$0.work] ?? $0.work }).mapValues { $0.map(\.key) }
        for i in queries.indices {
            if let group = items.first(where: { queries[i].relevant.contains($0.key) }).map({ work[$0.work] ?? $0.work }),
               let all = recordingsOfWork[group] {
                queries[i].relevant += all.filter { !queries[i].relevant.contains($0) }
            }
        }
        if options.distractorCount > 0, let distractorCorpus = options.distractorCorpus {
            let files = Array(try Self.midiFiles(in: distractorCorpus).prefix(options.distractorCount))
            let found = WorkOutputs(count: files.count)
            let counted = ProgressCounter()
            try concurrentForEach(files.count) { n in
                if let item = try? maker.distractor(files[n]) { found.set(n, .init(items: [item], queries: [], seconds: 0)) }
                progress?("distractors \(counted.increment())/\(files.count)")
            }
            distractors = found.values.flatMap(\.items)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try encoder.encode(Description(tuneWorks: tuneWorks, reportWorks: reportWorks, sameWork: sameWork, items: items,
                                       distractors: distractors, queries: queries))
            .write(to: directory.appendingPathComponent("set.json"))
    }

    /// Each piece's work: the key of the first piece (name order) whose notes it repeats, else its own.
    /// Two pieces are one work when the pitch intervals of their notes (ordered by onset, then pitch)
    /// agree over the first 40, or one holds the other's first 20 somewhere (the same tune, another
    /// edition or arrangement).
    static func works(_ files: [URL]) throws -> [String: String] {
        let keys = files.map { $0.deletingPathExtension().lastPathComponent }
        let intervals: [[Int]] = files.map { url in
            guard let score = try? MIDIScore(contentsOf: url) else { return [] }
            let notes = score.instruments.filter { !$0.isDrum }.flatMap(\.notes).sorted { ($0.start, $0.pitch) < ($1.start, $1.pitch) }
            return zip(notes, notes.dropFirst()).map { $1.pitch - $0.pitch }
        }
        func same(_ x: [Int], _ y: [Int]) -> Bool {
            guard x.count >= 20, y.count >= 20 else { return false }
            let n = min(x.count, y.count, 40)
            if Array(x.prefix(n)) == Array(y.prefix(n)) { return true }
            let head = Array(y.prefix(20))
            return (0...(x.count - 20)).contains { Array(x[$0..<($0 + 20)]) == head }
        }
        var work: [String: String] = [:]
        for (i, key) in keys.enumerated() {
            work[key] = key
            for j in 0..<i where work[keys[j]] == keys[j] && (same(intervals[i], intervals[j]) || same(intervals[j], intervals[i])) {
                work[key] = keys[j]
                break
            }
        }
        return work
    }

    /// MIDI files of a folder in name order.
    static func midiFiles(in folder: URL) throws -> [URL] {
        let files = (try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)) ?? []
        return files.filter { AnalysisSource.midiExtensions.contains($0.pathExtension.lowercased()) }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    struct Description: Codable {
        var tuneWorks: [String], reportWorks: [String], sameWork: [String: String], items: [Item], distractors: [Item], queries: [Query]
    }

    /// The first `limit` MIDI files of `corpus`, the keys of its tune half (a seeded shuffle, half of the pieces),
    /// and the work of every piece (the first piece of the same tune; pieces that are one work answer each
    /// other's queries and stay in the half of the first of them).
    public static func halves(corpus: URL, seed: UInt64, limit: Int = Int.max) throws -> (midi: [URL], tune: Set<String>, work: [String: String]) {
        let midi = Array(try midiFiles(in: corpus).prefix(limit))
        guard !midi.isEmpty else { throw RefrainError.invalidArgument("\(corpus.path): no MIDI files") }
        var shuffled = midi.map { $0.deletingPathExtension().lastPathComponent }.sorted()
        var random = SplitMix64(seed: seed)
        shuffled.shuffle(using: &random)
        var tune = Set(shuffled.prefix((shuffled.count + 1) / 2))
        let work = try works(midi)
        for (key, first) in work where tune.contains(first) != tune.contains(key) {
            if tune.contains(first) { tune.insert(key) } else { tune.remove(key) }
        }
        return (midi, tune, work)
    }

    /// A short name for a soundfont file, with " (unseen)" for the held-out ones.
    static func fontName(_ path: String, unseen: [String]) -> String {
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return unseen.contains(path) ? "\(name) (unseen)" : name
    }
}

/// FNV-1a of a string: a stable seed per piece.
func stableHash(_ text: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for byte in text.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01B3 }
    return h
}

/// One renderer per soundfont and render rate, shared by the threads (each renders one score at a time).
final class RenderersByFont: @unchecked Sendable {
    private var renderers: [String: MIDIRenderer] = [:]
    private let lock = NSLock()

    /// `score` rendered with `font` at 22050 Hz (for output rates up to 22050 Hz) or 48000 Hz, its peak
    /// brought to 0.5.
    func render(_ score: MIDIScore, font: String, forRate rate: Int) throws -> AudioSignal {
        let renderRate = rate <= 22050 ? 22050.0 : 48000.0
        let key = "\(font)@\(renderRate)"
        lock.lock()
        let renderer: MIDIRenderer
        do {
            if let known = renderers[key] { renderer = known } else {
                renderer = try MIDIRenderer(soundfont: font, sampleRate: renderRate)
                renderers[key] = renderer
            }
        } catch {
            lock.unlock()
            throw error
        }
        lock.unlock()
        var samples = try renderer.render(score)
        let peak = samples.reduce(Float(0)) { max($0, abs($1)) }
        if peak > 0 { for i in samples.indices { samples[i] *= 0.5 / peak } }
        return AudioSignal(samples: samples, sampleRate: renderRate)
    }
}

final class WorkOutputs: @unchecked Sendable {
    struct Work { var items: [RealisticSet.Item]; var queries: [RealisticSet.Query]; var seconds: Double }
    private var slots: [Work?]
    private let lock = NSLock()
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: Work) { lock.lock(); slots[i] = value; lock.unlock() }
    var values: [Work] { slots.compactMap { $0 } }
}
