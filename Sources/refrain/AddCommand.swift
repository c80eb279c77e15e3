import ArgumentParser
import Foundation
import Refrain

/// `refrain add DIR PATH... [--manifest items.csv]`.
struct AddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add files or folders (recursively) to an index; files already indexed are skipped.")

    @Argument(help: "Index directory.") var directory: String
    @Argument(help: "Files or folders to add.") var paths: [String] = []
    @Option(help: "CSV with columns key,path[,title] (paths relative to the CSV) setting keys and titles.") var manifest: String?
    @Option(help: "Analysis threads.") var threads = 2
    @Option(help: "Soundfont (.sf2) for rendering MIDI files (default: $REFRAIN_SOUNDFONT or the Debian GM soundfont).") var soundfont: String?

    func run() throws {
        let store = try IndexStore.open(at: URL(fileURLWithPath: directory), writable: true)
        let analyzer = try AnalyzerRegistry.refrain(soundfont: soundfont).analyzer(for: store.settings)
        var jobs: [AddJob] = []
        var missing: [String] = []
        if let manifest {
            jobs += try Manifest.read(URL(fileURLWithPath: manifest))
        }
        let found = IndexAdder.jobs(for: paths.map { URL(fileURLWithPath: $0) }, analyzer: analyzer)
        jobs += found.jobs
        missing += found.missing
        for path in missing { FileHandle.standardError.write(Data("skipped \(path): no such file\n".utf8)) }
        guard !jobs.isEmpty || !missing.isEmpty else { throw RefrainError.invalidArgument("nothing to add: give paths or --manifest") }
        let progress = ProgressReporter(total: jobs.count, label: "adding")
        let report = try IndexAdder.add(jobs, to: store, analyzer: analyzer, threads: max(1, threads), progress: progress)
        let seconds = report.added.reduce(0) { $0 + $1.duration }
        print(String(format: "added %d, unchanged %d, skipped %d in %.2f s (%.1f s of content, %.0fx real time)",
                     report.added.count, report.unchanged.count, report.failed.count + missing.count,
                     report.seconds, seconds, report.realTimeFactor))
        if !report.failed.isEmpty || !missing.isEmpty { throw ExitCode(2) }
    }
}

/// `refrain remove DIR KEY...`.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove items by key.")

    @Argument(help: "Index directory.") var directory: String
    @Argument(help: "Keys to remove.") var keys: [String]

    func run() throws {
        let store = try IndexStore.open(at: URL(fileURLWithPath: directory), writable: true)
        let missing = try store.remove(keys: keys)
        try ShingleIndex.update(store)
        print("removed \(keys.count - missing.count)")
        if !missing.isEmpty { throw RefrainError.invalidArgument("not in the index: \(missing.joined(separator: ", "))") }
    }
}
