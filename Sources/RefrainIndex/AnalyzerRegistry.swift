import Foundation
import RefrainMath

/// Maps the analyzer recorded in an index's settings back to a working analyzer, so a query goes through
/// the very pipeline the index was built with. Higher layers register their pipelines (audio, MIDI).
public struct AnalyzerRegistry: Sendable {
    public typealias Factory = @Sendable (IndexSettings) throws -> any ItemAnalyzer
    private var factories: [String: Factory] = [:]

    public init() {}

    /// Knows `features-npy/1`.
    public static var standard: AnalyzerRegistry {
        var registry = AnalyzerRegistry()
        registry.register("features-npy/1") { settings in
            if let unknown = Set(settings.features.keys).subtracting(["frame_rate", "array"]).sorted().first {
                throw RefrainError(.index, "unknown feature setting '\(unknown)' for features-npy (known: array, frame_rate)")
            }
            let rate = Double(settings.features["frame_rate"] ?? "") ?? 0
            guard rate > 0 else { throw RefrainError(.index, "features-npy index without a valid frame_rate setting") }
            return NPYFeatureAnalyzer(arrayName: settings.features["array"] ?? "cens", frameRate: rate)
        }
        return registry
    }

    public mutating func register(_ identifier: String, factory: @escaping Factory) { factories[identifier] = factory }

    public func analyzer(for settings: IndexSettings) throws -> any ItemAnalyzer {
        guard let factory = factories[settings.analyzer] else {
            throw RefrainError(.index, "this Refrain cannot analyse files for an index built by '\(settings.analyzer)'")
        }
        return try factory(settings)
    }
}

/// Runs query files against an index: analysis with the index's own analyzer, then the cascade.
public struct QueryEngine: Sendable {
    public let store: IndexStore
    public let analyzer: any ItemAnalyzer
    public let cascade: SearchCascade

    public init(store: IndexStore, analyzer: any ItemAnalyzer, cascade: SearchCascade) {
        self.store = store
        self.analyzer = analyzer
        self.cascade = cascade
    }

    /// The default cascade for an index: shingle votes (when the index has shingle settings, unless
    /// `prune` is false) then the exact stage `exact` (default: the sliding-Euclidean baseline on the
    /// shingle array).
    public static func defaultSpecs(for settings: IndexSettings, prune: Bool = true, keep: Int = 100,
                                    exact: StageSpec? = nil) -> [StageSpec] {
        let array = settings.shingles?.array ?? settings.features["array"] ?? "cens"
        return [
            StageSpec(stage: "shingle-vote", enabled: prune && settings.shingles != nil, options: ["keep": String(keep)]),
            exact ?? StageSpec(stage: "sliding-euclidean", options: ["array": array]),
        ]
    }

    /// Analyses and searches one file; the time covers both.
    public func query(_ url: URL, id: String, topK: Int) throws -> (result: QueryResult, outcome: SearchOutcome) {
        let started = DispatchTime.now().uptimeNanoseconds
        let analysis = try analyzer.analyze(url)
        let outcome = try cascade.search(SearchQuery(analysis: analysis, topK: topK), store: store)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let ranking = outcome.ranking.map { RankedItem(key: $0.key, score: $0.score, start: $0.start, end: $0.end) }
        return (QueryResult(id: id, seconds: seconds, ranking: ranking), outcome)
    }
}
