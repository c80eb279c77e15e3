import Foundation
import RefrainAudio
import RefrainMath
import RefrainSymbolic

/// How training material is made from a folder of MIDI files.
public struct TrainingMaterialOptions: Sendable {
    /// Soundfonts the renditions are drawn from (each rendition picks one).
    public var soundfonts: [String]
    /// The soundfont scores are synthesized with on the score side (nil: the engine's default).
    public var referenceSoundfont: String?
    public var renditionsPerPiece = 2
    /// Each piece is transposed by a draw from `-maxSemitones...maxSemitones` (with probability 2/3; else kept).
    public var maxSemitones = 4
    /// Share of renditions played through a recording condition (room, noise, EQ, codec).
    public var conditionProbability = 0.7
    public var seed: UInt64 = 20
    /// Folder of cached pieces (`<key>.npz`); nil: nothing cached.
    public var cache: URL?
    /// Pieces made side by side.
    public var threads = 1

    /// The Debian General MIDI soundfonts Refrain trains with, where installed: FluidR3 GM, TimGM6mb, FluidR3
    /// Mono and the csound bank. MuseScore General is left out on purpose: benchmarks keep it as a performer no
    /// model has heard.
    public static let defaultSoundfonts = ["/usr/share/sounds/sf2/FluidR3_GM.sf2", "/usr/share/sounds/sf2/TimGM6mb.sf2",
                                           "/usr/share/sounds/sf3/FluidR3Mono_GM.sf3", "/usr/share/sounds/sf2/sf_GMbank.sf2"]

    public init(soundfonts: [String] = TrainingMaterialOptions.defaultSoundfonts.filter { FileManager.default.fileExists(atPath: $0) },
                seed: UInt64 = 20) {
        self.soundfonts = soundfonts
        self.seed = seed
    }
}

/// Makes (or reads from the cache) the training pieces of a corpus, and aligns user-supplied real pairs.
public enum TrainingMaterial {
    /// The pieces `keys` of the MIDI folder `corpus`, each rendered `options.renditionsPerPiece` times with
    /// plans drawn from a generator seeded by the piece's key and `options.seed` (the same key and seed make
    /// the same material). Cached pieces are read back; pieces that cannot be rendered (no notes, too long) are
    /// skipped and named in `skipped`. `progress` gets the number of pieces done.
    public static func pieces(corpus: URL, keys: [String], options: TrainingMaterialOptions,
                              progress: ((Int) -> Void)? = nil) throws -> (pieces: [TrainingPiece], skipped: [String]) {
        let input = try LearnedInput()
        return try made(corpus: corpus, keys: keys, options: options, cacheSuffix: ".npz", progress: progress,
                        decode: { data, _, file, score in
                            // The renditions' piano rolls are not cached: read again from the score (no rendering).
                            let piece = try TrainingPiece.decode(data, name: file.path)
                            return try piece.withRenditionRolls(reference: score.transposed(by: piece.semitones))
                        }, encode: { try $0.encoded() }) { key, score, renderers in
            let (semitones, plans) = drawn(key: key, score: score, options: options)
            return try TrainingPiece.rendered(key: key, source: score, semitones: semitones, plans: plans, renderers: renderers,
                                              input: input, threads: 1)
        }
    }

    /// The material of `keys` made by `make` from each piece's score, `options.threads` pieces side by side, each
    /// read back from `options.cache` (`<key><cacheSuffix>`, by `decode(data, key, file, score)`) when there, else made
    /// and cached (`encode`). Pieces that cannot be made (a `RefrainError` other than an I/O error) are skipped
    /// and named. `progress` gets the number of pieces done.
    static func made<T>(corpus: URL, keys: [String], options: TrainingMaterialOptions, cacheSuffix: String,
                        progress: ((Int) -> Void)?, decode: @escaping (Data, String, URL, MIDIScore) throws -> T,
                        encode: @escaping (T) throws -> Data,
                        make: @escaping (String, MIDIScore, TrainingRenderers) throws -> T) throws -> (pieces: [T], skipped: [String]) {
        guard !options.soundfonts.isEmpty else { throw RefrainError.invalidArgument("no soundfonts to render training material with") }
        let files = try files(corpus: corpus, keys: keys)
        if let cache = options.cache { try FileManager.default.createDirectory(at: cache, withIntermediateDirectories: true) }
        let renderers = try TrainingRenderers(referenceSoundfont: options.referenceSoundfont, perSoundfont: options.threads)
        let slots = Slots<T>(count: keys.count)
        let done = ProgressCounter()
        try concurrentForEach(keys.count, threads: options.threads) { k in
            let key = keys[k]
            defer { progress?(done.increment()) }
            let cached = options.cache?.appendingPathComponent("\(key)\(cacheSuffix)")
            do {
                let score = try MIDIScore(contentsOf: files[key]!)
                if let cached, let data = try? Data(contentsOf: cached), let piece = try? decode(data, key, cached, score) {
                    slots.set(k, piece)
                    return
                }
                let piece = try make(key, score, renderers)
                if let cached { try encode(piece).write(to: cached, options: .atomic) }
                slots.set(k, piece)
            } catch let error as RefrainError where error.kind != .io {
                slots.skip(key)
            }
        }
        return (slots.values.compactMap { $0 }, slots.skipped.sorted())
    }

    /// Real pairs listed in a CSV (`audio,midi` per line, paths relative to the CSV's folder; a header line
    /// starting with `audio` is skipped), each aligned by DTW (`TrainingPiece.aligned`). Pairs that do not
    /// align are skipped and named in `skipped`.
    public static func pairs(csv: URL, options: TrainingMaterialOptions,
                             progress: ((Int) -> Void)? = nil) throws -> (pieces: [TrainingPiece], skipped: [String]) {
        guard let text = try? String(contentsOf: csv, encoding: .utf8) else { throw RefrainError.fileNotFound(csv.path) }
        let folder = csv.deletingLastPathComponent()
        var rows: [(audio: URL, midi: URL)] = []
        for (n, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if n == 0 && fields.first?.lowercased() == "audio" { continue }
            guard fields.count == 2, !fields[0].isEmpty, !fields[1].isEmpty else {
                throw RefrainError.invalidFile(csv.path, "line \(n + 1) is not audio,midi")
            }
            func resolve(_ path: String) -> URL { path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path) }
            rows.append((resolve(fields[0]), resolve(fields[1])))
        }
        guard !rows.isEmpty else { throw RefrainError.invalidFile(csv.path, "lists no pairs") }
        let renderers = try TrainingRenderers(referenceSoundfont: options.referenceSoundfont, perSoundfont: options.threads)
        let input = try LearnedInput()
        let slots = Slots<TrainingPiece>(count: rows.count)
        let done = ProgressCounter()
        try concurrentForEach(rows.count, threads: options.threads) { k in
            let (audio, midi) = rows[k]
            let key = audio.deletingPathExtension().lastPathComponent
            defer { progress?(done.increment()) }
            do {
                let decoded = try AudioDecoder(targetSampleRate: LearnedInput.sampleRate, threads: 1).decode(audio)
                let score = try MIDIScore(contentsOf: midi)
                slots.set(k, try TrainingPiece.aligned(key: key, recording: decoded.signal, score: score, renderers: renderers,
                                                       input: input, threads: 1))
            } catch let error as RefrainError where error.kind != .io {
                slots.skip("\(key) (\(error.message))")
            }
        }
        return (slots.values.compactMap { $0 }, slots.skipped.sorted())
    }

    /// The MIDI files of `keys` in `corpus`, by key.
    /// - Throws: `RefrainError.fileNotFound` naming the first key without a file.
    static func files(corpus: URL, keys: [String]) throws -> [String: URL] {
        let files = Dictionary(try CorpusSplit.pieces(in: corpus).map { ($0.key, $0.url) }, uniquingKeysWith: { a, _ in a })
        if let missing = keys.first(where: { files[$0] == nil }) {
            throw RefrainError.fileNotFound(corpus.appendingPathComponent("\(missing).mid").path)
        }
        return files
    }

    /// The transposition and the `options.renditionsPerPiece` rendition plans of the piece `key`, drawn from a
    /// generator seeded by the key and `options.seed` (the same key and seed draw the same).
    static func drawn(key: String, score: MIDIScore, options: TrainingMaterialOptions) -> (semitones: Int, plans: [RenditionPlan]) {
        var random = SplitMix64(seed: options.seed ^ FNV1a.hash(key))
        let semitones = random.chance(2.0 / 3) ? Int(random.next() % UInt64(2 * options.maxSemitones + 1)) - options.maxSemitones : 0
        let reference = score.transposed(by: semitones)
        let plans = (0..<options.renditionsPerPiece).map { _ in
            RenditionPlan.draw(for: reference, soundfonts: options.soundfonts, conditionProbability: options.conditionProbability,
                               random: &random)
        }
        return (semitones, plans)
    }
}

/// Results written by concurrent workers, one slot each.
final class Slots<T>: @unchecked Sendable {
    private(set) var values: [T?]
    private(set) var skipped: [String] = []
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: T) { lock.lock(); values[i] = value; lock.unlock() }
    func skip(_ name: String) { lock.lock(); skipped.append(name); lock.unlock() }
}
