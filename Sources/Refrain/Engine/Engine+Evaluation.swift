import Foundation
import RefrainIndex
import RefrainMath

/// What `Engine.evaluate` returns: every query's result, the queries that failed, and the metrics.
public struct Evaluation: Sendable {
    public var results: [QueryResult]
    /// Query id and the sentence that explains why it failed (it counts as a miss).
    public var failures: [(id: String, message: String)]
    public var metrics: RetrievalMetrics
}

extension Engine {
    /// Runs a query set (`QueriesFile`; relative paths are resolved against `base`) one query after another,
    /// each on the engine's whole budget, and scores the rankings (`RetrievalMetrics`). A query's own `task`
    /// replaces `options.task`; rankings are cut at `max(options.top, 1000)` so that the rank thresholds up
    /// to 1000 can be measured.
    public func evaluate(_ file: QueriesFile, base: URL, options: QueryOptions = QueryOptions(),
                         progress: ProgressReporter? = nil) -> Evaluation {
        var results: [QueryResult] = []
        var failures: [(id: String, message: String)] = []
        for query in file.queries {
            let url = query.path.hasPrefix("/") ? URL(fileURLWithPath: query.path) : base.appendingPathComponent(query.path)
            var queryOptions = options
            queryOptions.task = query.task ?? options.task
            queryOptions.top = max(options.top, 1000)
            queryOptions.id = query.id
            do {
                results.append(try self.query(.file(url), options: queryOptions).result)
            } catch {
                let message = (error as? RefrainError)?.message ?? "\(error)"
                failures.append((query.id, message))
                progress?.note("query \(query.id) failed: \(message)")
            }
            progress?.step()
        }
        return Evaluation(results: results, failures: failures, metrics: RetrievalMetrics(queries: file.queries, results: results))
    }
}
