import ArgumentParser
import Foundation
import Refrain

/// Options shared by `query` and `eval`: how the cascade is set up.
struct CascadeOptions: ParsableArguments {
    @Option(help: "Results per query.") var top = 10
    @Flag(help: "Switch the shingle pruning stage off (exhaustive exact search).") var noPrune = false
    @Option(help: "Items the shingle stage keeps.") var keep = 200
    @Flag(help: "Audio matching: also try the eleven other transpositions (cyclic chroma shifts).") var transpositions = false
    @Option(help: "Soundfont (.sf2) for rendering MIDI queries.") var soundfont: String?
    @Option(name: .customLong("set"), help: "Set a stage option, stage.option=value (repeatable), e.g. raffel-ellis.gully=0.9.")
    var settings: [String] = []

    func options() throws -> Searcher.Options {
        Searcher.Options(prune: !noPrune, keep: keep, transpositions: transpositions, overrides: try Searcher.Options.overrides(settings))
    }

    func searcher(for directory: String) throws -> Searcher {
        try Searcher(directory: URL(fileURLWithPath: directory), soundfont: soundfont)
    }
}

/// Parses a task name.
func parseTask(_ name: String) throws -> RetrievalTask {
    guard let task = RetrievalTask(rawValue: name) else {
        throw RefrainError.invalidArgument("unknown task '\(name)' (midi-to-audio, audio-match, version, auto)")
    }
    return task
}

/// `refrain query DIR FILE [--top K] [--json]`.
struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "Search an index with a file.")

    @Argument(help: "Index directory.") var directory: String
    @Argument(help: "Query file.") var file: String
    @Option(help: "midi-to-audio, audio-match, version or auto (from the file's kind).") var task = "auto"
    @OptionGroup var cascade: CascadeOptions
    @Flag(help: "Print the result JSON.") var json = false

    func run() throws {
        let searcher = try cascade.searcher(for: directory)
        let (result, outcome) = try searcher.query(URL(fileURLWithPath: file), id: file, task: try parseTask(task),
                                                   topK: cascade.top, options: try cascade.options())
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(QueryResultsFile(results: [result])), as: UTF8.self))
            return
        }
        for (rank, item) in result.ranking.enumerated() {
            let span = item.start.map { String(format: "%.2f-%.2f s", $0, item.end ?? $0) } ?? ""
            print(String(format: "%3d  %@  %.5f  %@", rank + 1, item.key, item.score, span))
        }
        for step in outcome.trace {
            FileHandle.standardError.write(Data(String(format: "%@: %d -> %d candidates, %.4f s\n", step.stage, step.input, step.output, step.seconds).utf8))
        }
    }
}

/// `refrain eval DIR --queries queries.json [--results out.json]`.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Run a query set and print retrieval metrics.")

    @Argument(help: "Index directory.") var directory: String
    @Option(help: "Queries JSON: {\"queries\": [{\"id\", \"path\", \"task\", \"relevant\", \"span\"}]}.") var queries: String
    @Option(help: "Write the results JSON here.") var results: String?
    @OptionGroup var cascade: CascadeOptions

    func run() throws {
        let queriesURL = URL(fileURLWithPath: queries)
        let file = try QueriesFile.read(queriesURL)
        let searcher = try cascade.searcher(for: directory)
        let base = queriesURL.deletingLastPathComponent()
        let options = try cascade.options()
        let progress = ProgressReporter(total: file.queries.count, label: "querying")
        var out: [QueryResult] = []
        for query in file.queries {
            let url = query.path.hasPrefix("/") ? URL(fileURLWithPath: query.path) : base.appendingPathComponent(query.path)
            do {
                out.append(try searcher.query(url, id: query.id, task: try parseTask(query.task ?? "auto"),
                                              topK: max(cascade.top, 1000), options: options).result)
            } catch {
                progress.note("query \(query.id) failed: \(error)")
            }
            progress.step()
        }
        if let results {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            do { try encoder.encode(QueryResultsFile(results: out)).write(to: URL(fileURLWithPath: results)) } catch {
                throw RefrainError(.io, "\(results): cannot write (\(error.localizedDescription))")
            }
        }
        print(RetrievalMetrics(queries: file.queries, results: out).summary)
    }
}
