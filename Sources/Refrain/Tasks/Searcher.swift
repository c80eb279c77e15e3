import Foundation

/// Opens an index and answers queries with the cascade of the asked task: the public entry point of
/// retrieval for the command line and the server.
///
/// Indexes of audio and MIDI (analyzer `refrain-music/1`) run the task cascades of `RetrievalTask`;
/// indexes of `.npy` feature matrices run the index module's default cascade whatever the task.
public struct Searcher: Sendable {
    public let store: IndexStore
    public let analyzer: any ItemAnalyzer

    /// Opens `directory` read-only. `soundfont` renders MIDI queries (nil: `SoundfontLocator`).
    public init(directory: URL, soundfont: String? = nil) throws {
        store = try IndexStore.open(at: directory)
        analyzer = try AnalyzerRegistry.refrain(soundfont: soundfont).analyzer(for: store.settings)
    }

    /// How the cascade is set up.
    public struct Options: Sendable {
        /// False switches the shingle pruning stage off (exhaustive exact search).
        public var prune = true
        /// Items the shingle stage passes on.
        public var keep = 200
        /// Audio matching: try all twelve transpositions.
        public var transpositions = false
        /// Stage options set by hand, by stage name: they replace the task's defaults (for experiments).
        public var overrides: [String: [String: String]] = [:]
        public init(prune: Bool = true, keep: Int = 200, transpositions: Bool = false,
                    overrides: [String: [String: String]] = [:]) {
            self.prune = prune
            self.keep = keep
            self.transpositions = transpositions
            self.overrides = overrides
        }

        /// Parses `stage.option=value` settings (as `--set` takes them) into `overrides`.
        public static func overrides(_ settings: [String]) throws -> [String: [String: String]] {
            var out: [String: [String: String]] = [:]
            for setting in settings {
                let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
                let name = parts.first?.split(separator: ".", maxSplits: 1).map(String.init) ?? []
                guard parts.count == 2, name.count == 2, !name[0].isEmpty, !name[1].isEmpty else {
                    throw RefrainError.invalidArgument("setting '\(setting)' is not stage.option=value")
                }
                out[name[0], default: [:]][name[1]] = parts[1]
            }
            return out
        }
    }

    /// The stage list for `task` (resolved against the query file for `auto`), with `options.overrides`
    /// applied; settings for a stage the list does not hold are ignored.
    public func stages(for task: RetrievalTask, query url: URL, options: Options) -> [StageSpec] {
        let specs = store.settings.analyzer == RefrainAnalyzer.identifier
            ? task.resolved(for: url).stages(prune: options.prune, transpositions: options.transpositions).map { spec in
                var spec = spec
                if spec.stage == "shingle-vote" { spec.options["keep"] = String(options.keep) }
                return spec
            }
            : QueryEngine.defaultSpecs(for: store.settings, prune: options.prune, keep: options.keep)
        return specs.map { spec in
            var spec = spec
            spec.options.merge(options.overrides[spec.stage] ?? [:]) { _, new in new }
            return spec
        }
    }

    /// Analyses `url` and searches the index with the task's cascade.
    public func query(_ url: URL, id: String, task: RetrievalTask = .auto, topK: Int = 10,
                      options: Options = Options()) throws -> (result: QueryResult, outcome: SearchOutcome) {
        let cascade = try StageRegistry.refrain.cascade(stages(for: task, query: url, options: options), store: store)
        return try QueryEngine(store: store, analyzer: analyzer, cascade: cascade).query(url, id: id, topK: topK)
    }
}

extension IndexSettings {
    /// Settings of a new audio-and-MIDI index: `RefrainAnalyzer` features and shingles of CENS (12 frames
    /// ≈ 5.6 s, one every 2 frames, each rotated to its strongest pitch class so that transpositions share
    /// keys, PCA to 30 dimensions).
    public static func music(_ representation: RepresentationSettings = RepresentationSettings(),
                             shingles: Bool = true) -> IndexSettings {
        IndexSettings(analyzer: RefrainAnalyzer.identifier, features: representation.dictionary,
                      shingles: shingles ? ShingleSettings(array: FeatureName.cens, length: 12, hop: 2, dimensions: 30,
                                                           transform: .canonicalKey) : nil)
    }
}
