import Foundation
import RefrainMath

/// The result file of `refrain query --json` and `refrain eval --results`:
/// `{"results": [{"id": QUERY_ID, "seconds": QUERY_TIME, "ranking": [{"key", "score", "start", "end"}, ...]}]}`.
public struct QueryResultsFile: Codable, Equatable, Sendable {
    public var results: [QueryResult]
    public init(results: [QueryResult]) { self.results = results }
}

public struct QueryResult: Codable, Equatable, Sendable {
    public var id: String
    /// Wall-clock seconds the query took.
    public var seconds: Double
    public var ranking: [RankedItem]

    public init(id: String, seconds: Double, ranking: [RankedItem]) {
        self.id = id
        self.seconds = seconds
        self.ranking = ranking
    }
}

/// One ranked match: item key, cost (lower is better) and the matched span in the item, seconds
/// (null when the ranking stage does not locate one).
public struct RankedItem: Codable, Equatable, Sendable {
    public var key: String
    public var score: Double
    public var start: Double?
    public var end: Double?

    public init(key: String, score: Double, start: Double? = nil, end: Double? = nil) {
        self.key = key
        self.score = score
        self.start = start
        self.end = end
    }

    enum CodingKeys: String, CodingKey { case key, score, start, end }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(key, forKey: .key)
        try container.encode(score.isFinite ? score : Double.greatestFiniteMagnitude, forKey: .score)
        try container.encode(start, forKey: .start)  // explicit null
        try container.encode(end, forKey: .end)
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
    /// "midi-to-audio", "audio-match" or "auto" (default).
    public var task: String?
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
