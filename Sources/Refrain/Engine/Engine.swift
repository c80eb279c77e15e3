import Foundation
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// One collection and everything Refrain does with it: the public entry of the command line, the HTTP server
/// and the benchmarks.
///
/// An engine opens an index directory read-only and answers queries (`query(_:options:)`) from any number
/// of threads at once; each query runs on the engine's compute budget. Writes (`add`, `remove`, `reindex`)
/// take the index's writer lock for their duration only, so another process (`refrain add`) may write
/// between them; every query sees the newest committed generation of the catalog, and an engine notices
/// when another process re-encoded the index.
///
/// ```swift
/// let engine = try Engine.create(at: dir)                  // or Engine.open(at: dir)
/// try engine.add([AddJob(key: "bwv846", url: wav)])
/// let result = try engine.query(.file(midi))               // task from the input: MIDI -> midi-to-audio
/// ```
public final class Engine: @unchecked Sendable {
    /// How an engine runs.
    public struct Configuration: Sendable {
        /// Threads each query, add or re-encoding may use (default: one per core).
        public var budget: ComputeBudget
        /// Renders MIDI (a `.sf2`/`.sf3`; nil: `$REFRAIN_SOUNDFONT` or the Debian General MIDI soundfont).
        public var soundfont: String?
        public var encoders: EncoderRegistry
        public var tasks: TaskRegistry
        public var stages: StageRegistry
        /// FluidSynth's sample interpolation when the engine renders a score (a MIDI query or item). Linear
        /// by default: the score's chroma and CQT barely change, and rendering is most of a MIDI query's
        /// analysis (issue 18, round 4).
        public var renderInterpolation: MIDIRenderer.Interpolation
        /// Hz: when set below the rate an encoder asks for, the engine renders a score at this rate and
        /// resamples it up (`RendererPool.renderRate`); nil renders at the encoder's rate. 16000 by default:
        /// FluidSynth's time falls about 20 % against 22050 Hz with MIDI-to-audio's P@1 and MAP unchanged on
        /// the realistic benchmark's tune half (0.990 / 0.981); 11025 Hz halves it but lowered MAP to 0.976
        /// (issue 18, round 5).
        public var renderSampleRate: Double?
        /// Whether a score is rendered in parts on every thread of the budget at once and summed
        /// (`RendererPool.splitsScores`, `MIDIScore.renderingParts`). Off by default: the parts' sum is close to
        /// the whole rendering but not equal to it (largest sample difference 1.2-1.7 % of the peak in
        /// `RenderingPartsTests`, cause not found); on the tune half's 98 scores the slower of two parts takes
        /// p50 0.59 of the whole render's time on one thread (issue 20, eleventh round).
        public var splitsScoreRendering: Bool

        public init(budget: ComputeBudget = .machine, soundfont: String? = nil, encoders: EncoderRegistry = .standard,
                    tasks: TaskRegistry = .standard, stages: StageRegistry = .refrain,
                    renderInterpolation: MIDIRenderer.Interpolation = .linear, renderSampleRate: Double? = 16000,
                    splitsScoreRendering: Bool = false) {
            self.budget = budget
            self.soundfont = soundfont
            self.renderInterpolation = renderInterpolation
            self.renderSampleRate = renderSampleRate
            self.splitsScoreRendering = splitsScoreRendering
            self.encoders = encoders
            self.tasks = tasks
            self.stages = stages
        }
    }

    /// What a new index holds.
    public enum Layout: Sendable {
        /// Audio and MIDI files, encoded by the registry's default encoders (`settings` replaces an encoder's
        /// settings, by encoder name), with the CENS shingle pruning graph (`musicShingles`, its shingles
        /// transformed by `transform` and reduced by `reducer`: the index's PCA, or the program's learned shingle
        /// reducer, whose weights' SHA-256 the settings record) unless `shingles` is false.
        case music(settings: [String: [String: String]] = [:], shingles: Bool = true, transform: ShingleTransform = .canonicalKey,
                   reducer: ShingleReducerKind = .pca)
        /// Precomputed `.npy` feature matrices (`frames x dims`) stored as the array `array`, `frameRate`
        /// frames per second, with an optional shingle graph (`ShingleSettings`).
        case features(array: String, frameRate: Double, shingles: ShingleSettings?)
    }

    public let directory: URL
    public let configuration: Configuration
    let renderers: RendererPool
    private let lock = NSLock()
    private var current: State

    /// What an open index is: the store, the settings JSON it was opened under, its analyzer and encoders.
    struct State: @unchecked Sendable {
        let store: IndexStore
        let settingsJSON: String
        /// The analyzer of the index's items (audio and MIDI, or `.npy` features).
        let analyzer: any ItemAnalyzer
        /// The index's encoders by name (empty for a features index).
        let encoders: [String: any MusicEncoder]
        /// nil when the index can be searched; else why not (an interrupted re-encoding).
        let unusable: String?

        var isMusic: Bool { analyzer is MusicAnalyzer }
    }

    private init(directory: URL, configuration: Configuration) throws {
        self.directory = directory
        self.configuration = configuration
        ShingleReducerModel.installShipped()
        renderers = RendererPool(soundfont: configuration.soundfont, size: configuration.budget.threads,
                                 interpolation: configuration.renderInterpolation, renderRate: configuration.renderSampleRate,
                                 splitsScores: configuration.splitsScoreRendering)
        current = try Self.load(directory, configuration: configuration, renderers: renderers)
    }

    /// Opens the index in `directory` for searching (and for writes, which take the writer lock each time).
    /// With `searchable` false, an index this program cannot search (its encoders differ, or a re-encoding
    /// stopped halfway) opens too, for what needs no encoding: listing, statistics, removal, `reindex`.
    /// - Throws: when there is no index or it was made by a newer Refrain; with `searchable`, when its
    ///   encoders differ from this program's (the message says to run `refrain reindex`).
    public static func open(at directory: URL, configuration: Configuration = Configuration(),
                            searchable: Bool = true) throws -> Engine {
        let engine = try Engine(directory: directory, configuration: configuration)
        if searchable, let reason = engine.current.unusable { throw RefrainError(.index, reason) }
        return engine
    }

    /// Creates an empty index in `directory` (created if missing; it must not hold an index yet).
    @discardableResult
    public static func create(at directory: URL, layout: Layout = .music(),
                              configuration: Configuration = Configuration()) throws -> Engine {
        let settings: IndexSettings
        switch layout {
        case .music(let overrides, let shingles, let transform, let reducer):
            var encoders: [any MusicEncoder] = []
            for entry in try configuration.encoders.defaults() {
                encoders.append(try configuration.encoders.make(entry.name, settings: overrides[entry.name] ?? entry.record.settings))
            }
            if let unknown = Set(overrides.keys).subtracting(encoders.map(\.name)).sorted().first {
                throw RefrainError.invalidArgument("no encoder '\(unknown)' to set (a new index has \(encoders.map(\.name).joined(separator: ", ")))")
            }
            let analyzer = MusicAnalyzer(encoders: encoders, renderers: RendererPool(soundfont: nil, size: 1))
            var shingleSettings = Self.musicShingles.transformed(transform)
            if reducer == .learned {
                ShingleReducerModel.installShipped()
                let learned = try ShingleReducerRegistry.shared.current()
                shingleSettings = shingleSettings.learned(weights: learned.sha256, dimensions: learned.outputDimension)
            }
            settings = IndexSettings(analyzer: MusicAnalyzer.identifier, features: analyzer.settings,
                                     shingles: shingles ? shingleSettings : nil, encoders: encoders.map(\.record))
        case .features(let array, let frameRate, let shingles):
            guard frameRate > 0, frameRate.isFinite else { throw RefrainError.invalidArgument("the frame rate must be positive") }
            let analyzer = NPYFeatureAnalyzer(arrayName: array, frameRate: frameRate)
            settings = IndexSettings(analyzer: analyzer.identifier, features: analyzer.settings, shingles: shingles)
        }
        _ = try IndexStore.create(at: directory, settings: settings)
        return try Engine(directory: directory, configuration: configuration)
    }

    /// The shingle graph of a new index of audio and MIDI: 12 CENS frames (about 5.6 s), one every 2 frames,
    /// each rotated to its strongest pitch class so that a passage and its transpositions share keys
    /// (`ShingleTransform.canonicalKey`), PCA to 30 dimensions.
    public static var musicShingles: ShingleSettings {
        ShingleSettings(array: CENSEncoder.name, length: 12, hop: 2, dimensions: 30, transform: .canonicalKey)
    }

    /// The state to work with: the one loaded, or a fresh one when another process changed the index's
    /// settings (re-encoded it) since.
    func state() throws -> State {
        lock.lock()
        let loaded = current
        lock.unlock()
        let json = try loaded.store.meta("settings") ?? ""
        let target = try loaded.store.meta(Self.reindexTargetKey)
        if json == loaded.settingsJSON && (target == nil) == (loaded.unusable == nil) { return loaded }
        let fresh = try Self.load(directory, configuration: configuration, renderers: renderers)
        lock.lock()
        current = fresh
        lock.unlock()
        return fresh
    }

    /// The state to search with: refuses an index a re-encoding left unfinished.
    func searchableState() throws -> State {
        let state = try state()
        if let reason = state.unusable { throw RefrainError(.index, reason) }
        return state
    }

    /// Metadata key of an unfinished re-encoding's target settings (JSON).
    static let reindexTargetKey = "reindex.target"

    static func load(_ directory: URL, configuration: Configuration, renderers: RendererPool) throws -> State {
        let store = try IndexStore.open(at: directory)
        let json = try store.meta("settings") ?? ""
        let settings = store.settings
        if settings.analyzer == MusicAnalyzer.identifier {
            let records = try settings.encoders ?? legacyRecords(settings)
            var unusable: String?
            var encoders: [any MusicEncoder] = []
            if try store.meta(reindexTargetKey) != nil {
                unusable = "\(directory.path) was being re-encoded when `refrain reindex` stopped; run `refrain reindex \(directory.path)` to finish"
            } else {
                do { encoders = try configuration.encoders.encoders(for: records, directory: directory.path) } catch let error as RefrainError {
                    unusable = error.message
                }
                if unusable == nil, let shingles = settings.shingles, shingles.transform == nil {
                    unusable = "\(directory.path) has a shingle graph of an earlier Refrain (keys not shared by transpositions); "
                        + "run `refrain reindex \(directory.path)` to rebuild it"
                }
            }
            let analyzer = MusicAnalyzer(encoders: encoders, renderers: renderers)
            return State(store: store, settingsJSON: json, analyzer: analyzer,
                         encoders: Dictionary(encoders.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a }), unusable: unusable)
        }
        let analyzer = try AnalyzerRegistry.standard.analyzer(for: settings)
        return State(store: store, settingsJSON: json, analyzer: analyzer, encoders: [:], unusable: nil)
    }

    /// The encoders behind an index of Refrain 0.1, which recorded only the merged feature settings: its
    /// arrays were made by `cqt_beats/1` and `cens/1` with those settings.
    static func legacyRecords(_ settings: IndexSettings) throws -> [EncoderRecord] {
        let cqtKeys = Set(CQTBeatsEncoder.Settings().dictionary.keys), censKeys = Set(CENSEncoder.Settings().dictionary.keys)
        if let unknown = Set(settings.features.keys).subtracting(cqtKeys).subtracting(censKeys).sorted().first {
            throw RefrainError(.index, "unknown feature setting '\(unknown)' in an index of Refrain 0.1")
        }
        let cqt = try CQTBeatsEncoder(settings: try CQTBeatsEncoder.Settings(settings.features.filter { cqtKeys.contains($0.key) }))
        let cens = try CENSEncoder(settings: try CENSEncoder.Settings(settings.features.filter { censKeys.contains($0.key) }))
        return [cqt.record, cens.record]
    }

    // MARK: Reading

    /// The index's settings (analyzer, encoders, shingle graph).
    public var settings: IndexSettings {
        get throws { try state().store.settings }
    }

    /// The encoders the index records, in name order (empty for an index of `.npy` features).
    public var encoderRecords: [EncoderRecord] {
        get throws {
            let state = try state()
            return try state.store.settings.encoders ?? (state.isMusic ? Self.legacyRecords(state.store.settings) : [])
        }
    }

    /// Every item, in the order added.
    public func items() throws -> [IndexedItem] { try state().store.items() }

    /// `limit` items from position `offset`, in the order added.
    public func items(offset: Int, limit: Int) throws -> [IndexedItem] { try state().store.items(offset: offset, limit: limit) }

    /// The item with `key`, or nil.
    public func item(key: String) throws -> IndexedItem? { try state().store.item(key: key) }

    public var itemCount: Int { get throws { try state().store.itemCount } }

    /// The file of an indexed recording, for playing it back: the path the item was added from, when it is an
    /// audio item and a regular file is still there (with `verify`, only if it still holds the indexed content:
    /// same SHA-256). Only files the index names are ever returned; nil otherwise.
    public func audioFile(key: String, verify: Bool = false) throws -> URL? {
        guard let item = try item(key: key), item.kind == .audio else { return nil }
        let url = URL(fileURLWithPath: item.path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        if verify, try SHA256.hex(ofFile: url) != item.sha256 { return nil }
        return url
    }

    /// The tasks this engine answers on this index: all registered ones whose encoders the index has.
    public var tasks: [any SearchTask] {
        get throws {
            let state = try state()
            guard state.isMusic else { return [] }
            return configuration.tasks.all.filter { $0.encoders.allSatisfy { state.encoders[$0] != nil } }
        }
    }

    /// Size and content of the index, with its encoders.
    public func stats() throws -> CollectionStats {
        let state = try state()
        let records = try encoderRecords
        let recorded = Set(records.map(\.name))
        let missing = state.isMusic
            ? configuration.encoders.names.filter { configuration.encoders.entry($0)?.isDefault == true && !recorded.contains($0) }
            : []
        return CollectionStats(stats: try IndexStats(store: state.store), encoders: records,
                               tasks: try tasks.map(\.name), missingEncoders: missing, directory: directory.path)
    }

    /// Runs `body` with the index opened for writing (the writer lock held for the duration). Queries see what
    /// it committed at once (the catalog is read afresh by each); changed settings are noticed by `state()`.
    func withWritableStore<T>(_ body: (IndexStore, State) throws -> T) throws -> T {
        let state = try state()
        return try body(try IndexStore.open(at: directory, writable: true), state)
    }
}

/// `IndexStats` with the encoders and tasks of the index, as `refrain stats --json` prints it.
public struct CollectionStats: Sendable, Encodable {
    public var stats: IndexStats
    public var encoders: [EncoderRecord]
    public var tasks: [String]
    /// Default encoders of this Refrain that the index lacks (it was made by an older one): `refrain reindex`
    /// adds them. Queries still run without them (an optional stage such as `fine-rescore` passes).
    public var missingEncoders: [String]
    /// The index directory, for the hint.
    public var directory: String

    enum CodingKeys: String, CodingKey {
        case items, itemsByKind = "items_by_kind", seconds, bytes, bytesPerItem = "bytes_per_item", shinglePoints = "shingle_points"
        case format, encoders, tasks, missingEncoders = "missing_encoders", settings
    }

    struct EncoderJSON: Encodable {
        var name: String, version: Int, identity: String, dims: Int, dtype: String
        var weightsSHA256: String?
        var settings: [String: String]
        enum CodingKeys: String, CodingKey { case name, version, identity, dims, dtype, weightsSHA256 = "weights_sha256", settings }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(stats.itemCount, forKey: .items)
        try c.encode(Dictionary(uniqueKeysWithValues: stats.itemsByKind.map { ($0.key.rawValue, $0.value) }), forKey: .itemsByKind)
        try c.encode(stats.totalDuration, forKey: .seconds)
        try c.encode(["catalog": stats.catalogBytes, "arrays": stats.arrayBytes, "ann": stats.annBytes, "total": stats.totalBytes],
                     forKey: .bytes)
        try c.encode(stats.bytesPerItem, forKey: .bytesPerItem)
        try c.encode(stats.shinglePoints, forKey: .shinglePoints)
        try c.encode(stats.formatVersion, forKey: .format)
        try c.encode(encoders.map {
            EncoderJSON(name: $0.name, version: $0.version, identity: $0.identity, dims: $0.dims, dtype: $0.dtype.rawValue,
                        weightsSHA256: $0.weightsSHA256, settings: $0.settings)
        }, forKey: .encoders)
        try c.encode(tasks, forKey: .tasks)
        try c.encode(missingEncoders, forKey: .missingEncoders)
        try c.encode(stats.settingsJSON, forKey: .settings)
    }

    /// The plain-text summary, with a line per encoder.
    public var summary: String {
        var lines = [stats.summary]
        for record in encoders {
            lines.append("encoder        \(record.identity): \(record.dims) x \(record.dtype.rawValue) per frame"
                         + (record.weightsSHA256.map { ", weights sha256 \($0)" } ?? ""))
        }
        lines.append("tasks          \(tasks.isEmpty ? "-" : tasks.joined(separator: ", "))")
        if !missingEncoders.isEmpty {
            lines.append("missing        \(missingEncoders.joined(separator: ", ")) (this Refrain's default encoders; "
                         + "`refrain reindex \(directory)` adds them)")
        }
        return lines.joined(separator: "\n")
    }
}
