import Foundation
import RefrainMath

/// A query as the cascade sees it: the query file's analysis (same analyzer as the indexed items), how
/// many results are wanted, and the query's compute budget and wishes.
public struct SearchQuery: Sendable {
    public var analysis: ItemAnalysis
    /// How many results the caller wants.
    public var topK: Int
    /// Threads the stages may use for this query (`ComputeBudget`).
    public var threads: Int
    /// Whether the exact stage should return each match's alignment path (`Candidate.path`).
    public var wantsPath: Bool

    public init(analysis: ItemAnalysis, topK: Int = 10, threads: Int = ComputeBudget.machine.threads,
                wantsPath: Bool = false) {
        self.analysis = analysis
        self.topK = topK
        self.threads = max(1, threads)
        self.wantsPath = wantsPath
    }
}

/// One point of an alignment path: a time in the query and the time in the item it is matched to, seconds.
public struct PathPoint: Sendable, Equatable, Codable {
    public var query: Double
    public var item: Double

    public init(query: Double, item: Double) {
        self.query = query
        self.item = item
    }

    /// JSON as a pair `[query, item]`.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(query)
        try container.encode(item)
    }

    public init(from decoder: Decoder) throws {
        var container = try decoder.unkeyedContainer()
        query = try container.decode(Double.self)
        item = try container.decode(Double.self)
    }
}

/// One candidate item with the best evidence so far. `score` is a cost: lower is better.
public struct Candidate: Sendable, Equatable {
    public var itemID: Int64
    public var key: String
    /// Lower is better; its scale belongs to the stage that set it.
    public var score: Double
    /// Matched span in the item, seconds, when the stage locates one.
    public var start: Double?
    public var end: Double?
    /// The alignment of the query with the item, when asked for (`SearchQuery.wantsPath`) and the stage
    /// aligns: monotonic in both times, at most one point per query frame.
    public var path: [PathPoint]?

    public init(itemID: Int64, key: String, score: Double = 0, start: Double? = nil, end: Double? = nil,
                path: [PathPoint]? = nil) {
        self.itemID = itemID
        self.key = key
        self.score = score
        self.start = start
        self.end = end
        self.path = path
    }
}

/// One step of the search cascade: candidates in (ranked by the stage before, or every item unranked for
/// the first stage), candidates out, ranked best first. Pruning stages (shingle votes, hash-sequence
/// DTW, embedding neighbours) return a subset cheaply; an exact stage (feature DTW) re-scores what is left
/// and may return several entries per item when a passage repeats.
///
/// Stages must be thread-safe: a server runs queries concurrently.
public protocol SearchStage: Sendable {
    /// Stable name, as in `StageSpec.stage` and in timing reports.
    var name: String { get }
    func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate]
}

/// A stage in a cascade description (JSON-friendly): which stage, whether it runs, and its options.
/// Switching a pruning stage off gives exhaustive search for comparison.
public struct StageSpec: Codable, Equatable, Sendable {
    public var stage: String
    public var enabled: Bool
    public var options: [String: String]

    public init(stage: String, enabled: Bool = true, options: [String: String] = [:]) {
        self.stage = stage
        self.enabled = enabled
        self.options = options
    }

    /// An integer option, `defaultValue` when absent; a malformed value is an error.
    public func int(_ key: String, default defaultValue: Int) throws -> Int {
        guard let text = options[key] else { return defaultValue }
        guard let value = Int(text) else { throw RefrainError.invalidArgument("stage \(stage): option \(key)=\(text) is not an integer") }
        return value
    }

    public func double(_ key: String, default defaultValue: Double) throws -> Double {
        guard let text = options[key] else { return defaultValue }
        guard let value = Double(text) else { throw RefrainError.invalidArgument("stage \(stage): option \(key)=\(text) is not a number") }
        return value
    }

    /// A comma-separated list of numbers, `defaultValue` when absent; a malformed entry is an error.
    public func doubles(_ key: String, default defaultValue: [Double]) throws -> [Double] {
        guard let text = options[key] else { return defaultValue }
        return try text.split(separator: ",").map { part in
            guard let value = Double(part.trimmingCharacters(in: .whitespaces)) else {
                throw RefrainError.invalidArgument("stage \(stage): option \(key)=\(text) is not a list of numbers")
            }
            return value
        }
    }

    /// A boolean option (`true` or `false`), `defaultValue` when absent; anything else is an error.
    public func bool(_ key: String, default defaultValue: Bool) throws -> Bool {
        guard let text = options[key] else { return defaultValue }
        switch text {
        case "true": return true
        case "false": return false
        default: throw RefrainError.invalidArgument("stage \(stage): option \(key)=\(text) is not true or false")
        }
    }
}

/// Makes stages from their specs: each stage kind registers a factory under its name, so new stages
/// (learned hash sequences, attention embeddings, DTW variants) slot in without changing the cascade.
public struct StageRegistry: Sendable {
    public typealias Factory = @Sendable (StageSpec, IndexStore) throws -> any SearchStage
    private var factories: [String: Factory] = [:]

    public init() {}

    /// The stages this module provides: `shingle-vote` and `sliding-euclidean`.
    public static var standard: StageRegistry {
        var registry = StageRegistry()
        registry.register("shingle-vote") { spec, store in try ShingleVoteStage(spec: spec, store: store) }
        registry.register("sliding-euclidean") { spec, _ in
            ExactStage(matcher: try SlidingEuclideanMatcher(spec: spec), maxMatchesPerItem: try spec.int("matches_per_item", default: 1))
        }
        return registry
    }

    public mutating func register(_ name: String, factory: @escaping Factory) { factories[name] = factory }

    public var names: [String] { factories.keys.sorted() }

    /// The cascade of the enabled stages of `specs`, in order.
    public func cascade(_ specs: [StageSpec], store: IndexStore) throws -> SearchCascade {
        var stages: [any SearchStage] = []
        for spec in specs where spec.enabled {
            guard let factory = factories[spec.stage] else {
                throw RefrainError.invalidArgument("unknown search stage '\(spec.stage)' (known: \(names.joined(separator: ", ")))")
            }
            stages.append(try factory(spec, store))
        }
        return SearchCascade(stages: stages)
    }
}

/// What a search returns: the ranking and what each stage did.
public struct SearchOutcome: Sendable {
    public var ranking: [Candidate]
    /// Per stage, in order: name, candidates in, candidates out, seconds.
    public var trace: [(stage: String, input: Int, output: Int, seconds: Double)]
}

/// Runs stages in order over the whole collection; the last stage's ranking, cut to `topK`, is the result.
public struct SearchCascade: Sendable {
    public var stages: [any SearchStage]

    public init(stages: [any SearchStage]) { self.stages = stages }

    public func search(_ query: SearchQuery, store: IndexStore) throws -> SearchOutcome {
        var candidates = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        var trace: [(String, Int, Int, Double)] = []
        for stage in stages {
            let started = DispatchTime.now().uptimeNanoseconds
            let before = candidates.count
            candidates = try stage.run(query, candidates: candidates, store: store)
            trace.append((stage.name, before, candidates.count, Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
        }
        return SearchOutcome(ranking: Array(candidates.prefix(max(query.topK, 0))), trace: trace)
    }
}
