import ArgumentParser
import Foundation
import Refrain

/// `refrain demo`: the main job on the built-in example.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run Refrain on its built-in example collection.",
        subcommands: [RetrievalDemoCommand.self, FeaturesDemoCommand.self],
        defaultSubcommand: RetrievalDemoCommand.self)
}

/// `refrain demo [retrieval]`: renders the twelve built-in tunes as recordings, indexes them, then asks by
/// MIDI and by an audio excerpt and prints the rankings with times.
struct RetrievalDemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Index twelve rendered tunes, then query by a MIDI file and by an audio excerpt.")

    @Option(help: "Working directory (default: a new temporary directory).") var outDir: String?
    @Option(help: "Results shown per query.") var top = 5

    func run() throws {
        try reportingErrors {
            let directory = outDir.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory
                .appendingPathComponent("refrain-demo-\(UUID().uuidString.prefix(8))")
            print("Refrain demo: index twelve recordings, then ask by MIDI and by audio excerpt")
            print("working in   \(directory.path)")
            var clock = Date()
            let demo = try DemoCollection(directory: directory)
            let recordings = try demo.writeRecordings()
            print("rendered     \(recordings.count) tunes through FluidSynth in \(fmt(Date().timeIntervalSince(clock))) s")

            clock = Date()
            let indexURL = directory.appendingPathComponent("index")
            try? FileManager.default.removeItem(at: indexURL)
            let engine = try Engine.create(at: indexURL)
            let jobs = try engine.jobs(for: recordings).jobs
            let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
            let seconds = report.added.reduce(0) { $0 + $1.duration }
            print("indexed      \(report.added.count) recordings, \(fmt(seconds / 60, 1)) min of audio, in \(fmt(Date().timeIntervalSince(clock))) s (\(Int(report.realTimeFactor))x real time)")

            let tunes = Dictionary(uniqueKeysWithValues: BuiltInTune.all.map { ($0.key, $0) })
            let queries = [try demo.midiQuery(tunes["greensleeves"]!), try demo.audioQuery(tunes["minuet-in-g"]!)]
            var correct = 0
            for (n, query) in queries.enumerated() {
                let result = try engine.query(.file(query.url), options: QueryOptions(top: top, id: query.url.lastPathComponent)).result
                print("")
                print("query \(n + 1)      \(query.url.lastPathComponent): \(query.description)")
                if let span = query.expectedSpan {
                    print("expected     \(query.expectedKey) at \(fmt(span.lowerBound, 1))-\(fmt(span.upperBound, 1)) s")
                } else {
                    print("expected     \(query.expectedKey)")
                }
                print(String(format: "%@  %@  %@  %@", "rank".padding(toLength: 4, withPad: " ", startingAt: 0),
                             "key".padding(toLength: 20, withPad: " ", startingAt: 0), "cost    ", "span in the recording"))
                for (rank, item) in result.ranking.enumerated() {
                    let span = item.start.map { "\(fmt($0, 1))-\(fmt(item.end ?? $0, 1)) s" } ?? ""
                    let mark = item.key == query.expectedKey ? "  <- expected" : ""
                    print(String(format: "%4d  %@  %.4f  %@%@", rank + 1, item.key.padding(toLength: 20, withPad: " ", startingAt: 0),
                                 item.score, span, mark))
                }
                print("time         \(fmt(result.seconds * 1000, 0)) ms (analysis and search)")
                if result.ranking.first?.key == query.expectedKey { correct += 1 }
            }
            print("")
            print("top-1 correct: \(correct) of \(queries.count)")
            if correct < queries.count { throw ExitCode(3) }
        }
    }
}
