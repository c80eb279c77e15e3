import Foundation
import RefrainMath

/// The result file of `refrain query --json` and `refrain eval --results`:
/// `{"results": [{"id": QUERY_ID, "seconds": QUERY_TIME, "task", "by", "ranking": [{"key", "work", "title",
/// "score", "start", "end", "path"}, ...]}]}` (see `QueryResult` and `RankedItem`).
public struct QueryResultsFile: Codable, Equatable, Sendable {
    public var results: [QueryResult]
    public init(results: [QueryResult]) { self.results = results }
}

public struct QueryResult: Codable, Equatable, Sendable {
    public var id: String
    /// Wall-clock seconds the query took (analysis and search).
    public var seconds: Double
    /// The task that answered (`midi-to-audio`, `audio-match`, ...); nil in results of older versions.
    public var task: String?
    /// `item` (one entry per matched passage of an item) or `work` (one entry per work, its best item);
    /// nil means `item`.
    public var by: String?
    public var ranking: [RankedItem]

    public init(id: String, seconds: Double, task: String? = nil, by: String? = nil, ranking: [RankedItem]) {
        self.id = id
        self.seconds = seconds
        self.task = task
        self.by = by
        self.ranking = ranking
    }

    /// Whether the ranking lists works (`by == "work"`).
    public var ranksWorks: Bool { by == "work" }
}

/// One ranked match: item key, its work and title, cost (lower is better), the matched span in the item,
/// seconds (null when the ranking stage does not locate one), and on request the alignment path as pairs
/// `[query seconds, item seconds]`. When works are ranked, `key` is the work's best-matching item.
public struct RankedItem: Codable, Equatable, Sendable {
    public var key: String
    /// The item's work (its own key when it has none); nil in results of older versions.
    public var work: String?
    public var title: String?
    public var score: Double
    public var start: Double?
    public var end: Double?
    public var path: [PathPoint]?

    public init(key: String, work: String? = nil, title: String? = nil, score: Double, start: Double? = nil,
                end: Double? = nil, path: [PathPoint]? = nil) {
        self.key = key
        self.work = work
        self.title = title
        self.score = score
        self.start = start
        self.end = end
        self.path = path
    }

    enum CodingKeys: String, CodingKey { case key, work, title, score, start, end, path }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encodeIfPresent(work, forKey: .work)
        try container.encodeIfPresent(title, forKey: .title)
        try container.encode(score.isFinite ? score : Double.greatestFiniteMagnitude, forKey: .score)
        try container.encode(start, forKey: .start)  // explicit null
        try container.encode(end, forKey: .end)
        try container.encodeIfPresent(path, forKey: .path)
    }
}

/// The query file of `refrain eval`:
/// `{"queries": [{"id", "path", "task", "relevant": [KEY, ...], "span": [start, end]}]}`; paths are relative
/// to the JSON file, `span` (optional) is in seconds of the first relevant item.
public struct QueriesFile: Codable, Equatable, Sendable {
    public var queries: [EvalQuery]
    public init(queries: [EvalQuery]) { self.queries = queries }

    /// Reads and checks a queries file (ids unique, spans ordered).
    public static func read(_ url: URL) throws -> QueriesFile {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        let file: QueriesFile
        do { file = try JSONDecoder().decode(QueriesFile.self, from: data) } catch {
            throw RefrainError.invalidFile(url.path, "not a queries file (\(error))")
        }
        var ids = Set<String>()
        for query in file.queries {
            guard ids.insert(query.id).inserted else { throw RefrainError.invalidFile(url.path, "query id '\(query.id)' appears twice") }
            if let span = query.span, span.count != 2 || !(span[0] <= span[1]) {
                throw RefrainError.invalidFile(url.path, "query '\(query.id)': span must be [start, end] with start <= end")
            }
        }
        return file
    }
}

public struct EvalQuery: Codable, Equatable, Sendable {
    public var id: String
    public var path: String
    /// A task name ("midi-to-audio", "audio-match", "version", "humming") or "auto" (default).
    public var task: String?
    /// Item keys, or work keys when the evaluation ranks works (`--by work`).
    public var relevant: [String]
    /// `[start, end]`, seconds in the first relevant item.
    public var span: [Double]?

    public init(id: String, path: String, task: String? = nil, relevant: [String], span: [Double]? = nil) {
        self.id = id
        self.path = path
        self.task = task
        self.relevant = relevant
        self.span = span
    }
}
