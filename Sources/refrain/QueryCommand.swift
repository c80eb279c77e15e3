import ArgumentParser
import Foundation
import Refrain

/// Options shared by `query` and `eval`: the task, the ranking and the cascade.
struct SearchOptions: ParsableArguments {
    @Option(help: "Task: auto (from the query's kind: MIDI -> midi-to-audio, audio -> audio-match, notes -> humming) or \(TaskRegistry.standard.names.joined(separator: ", ")).")
    var task = "auto"
    @Option(help: "Results per query.") var top = 10
    @Option(help: "Rank items (one entry per matched passage) or works (a score and its recordings; one entry per work). Default: work for --task humming, else item.")
    var by: String?
    @Flag(help: "Switch the shingle pruning stage off (exhaustive exact search).") var noPrune = false
    @Option(help: "Items the shingle stage keeps.") var keep = 200
    @Flag(help: "Audio matching: try all twelve transpositions (cyclic chroma shifts) instead of the likely ones.") var transpositions = false
    @Flag(help: "Search in the query's key only (key invariance off).") var noKeyInvariance = false
    @Option(name: .customLong("set"), help: "Set a stage option, stage.option=value (repeatable), e.g. raffel-ellis.gully=0.9.")
    var settings: [String] = []
    @OptionGroup var engine: EngineOptions

    func options(path: Bool = false) throws -> QueryOptions {
        let by = self.by ?? (task == "humming" ? "work" : "item")
        guard let ranking = QueryOptions.Ranking(rawValue: by) else {
            throw RefrainError.invalidArgument("--by takes item or work, not '\(by)'")
        }
        return QueryOptions(task: task, top: top, by: ranking, path: path, prune: !noPrune, keep: keep,
                            transpositions: transpositions, keyInvariance: !noKeyInvariance, overrides: try QueryOptions.overrides(settings))
    }
}

/// `refrain query DIR FILE [--top K] [--json] [--path]`.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "Search an index with a file.")

    @Argument(help: "Index directory.") var directory: String
    @Argument(help: "Query file.") var file: String
    @OptionGroup var search: SearchOptions
    @Flag(help: "Print the result JSON.") var json = false
    @Flag(help: "Give each hit's alignment: pairs of seconds (query, item), at most one per query frame.") var path = false

    func run() throws {
        let engine = try search.engine.open(directory)
        var options = try search.options(path: path)
        options.id = file
        let answer = try engine.query(.file(URL(fileURLWithPath: file)), options: options)
        if json {
            print(try prettyJSON(QueryResultsFile(results: [answer.result])))
        } else {
            for (rank, item) in answer.result.ranking.enumerated() {
                let span = item.start.map { String(format: "%.2f-%.2f s", $0, item.end ?? $0) } ?? ""
                let work = item.work.map { $0 == item.key ? "" : "  (\($0))" } ?? ""
                print(String(format: "%3d  %@%@  %.5f  %@", rank + 1, item.key, work, item.score, span))
                if let path = item.path {
                    print("     path: " + path.map { String(format: "%.2f>%.2f", $0.query, $0.item) }.joined(separator: " "))
                }
            }
        }
        note(String(format: "%@: analysis %.4f s", answer.result.task ?? "search", answer.analysisSeconds))
        for step in answer.trace {
            note(String(format: "%@: %d -> %d candidates, %.4f s", step.stage, step.input, step.output, step.seconds))
        }
    }
}

/// `refrain eval DIR --queries queries.json [--results out.json]`.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Run a query set and print retrieval metrics.")

    @Argument(help: "Index directory.") var directory: String
    @Option(help: "Queries JSON: {\"queries\": [{\"id\", \"path\", \"task\", \"relevant\", \"span\"}]} (relevant: item keys, or work keys with --by work).")
    var queries: String
    @Option(help: "Write the results JSON here.") var results: String?
    @OptionGroup var search: SearchOptions

    func run() throws {
        let queriesURL = URL(fileURLWithPath: queries)
        let file = try QueriesFile.read(queriesURL)
        let engine = try search.engine.open(directory)
        let evaluation = engine.evaluate(file, base: queriesURL.deletingLastPathComponent(), options: try search.options(),
                                         progress: ProgressReporter(total: file.queries.count, label: "querying"))
        if let results {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do { try encoder.encode(QueryResultsFile(results: evaluation.results)).write(to: URL(fileURLWithPath: results)) } catch {
                throw RefrainError(.io, "\(results): cannot write (\(error.localizedDescription))")
            }
        }
        print(evaluation.metrics.summary)
        if !evaluation.failures.isEmpty { print("failed         \(evaluation.failures.count) queries (counted as misses)") }
    }
}
