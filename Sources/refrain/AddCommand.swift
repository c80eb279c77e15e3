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
    @Option(help: "CSV with columns key,path[,title][,work] (paths relative to the CSV) setting keys, titles and works.") var manifest: String?
    @OptionGroup var engine: EngineOptions

    func run() throws {
        let engine = try self.engine.open(directory)
        var jobs: [AddJob] = []
        if let manifest { jobs += try Manifest.read(URL(fileURLWithPath: manifest)) }
        let found = try engine.jobs(for: paths.map { URL(fileURLWithPath: $0) })
        jobs += found.jobs
        for path in found.missing { note("skipped \(path): no such file") }
        guard !jobs.isEmpty || !found.missing.isEmpty else { throw RefrainError.invalidArgument("nothing to add: give paths or --manifest") }
        let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "adding"))
        let seconds = report.added.reduce(0) { $0 + $1.duration }
        print(String(format: "added %d, unchanged %d, skipped %d in %.2f s (%.1f s of content, %.0fx real time)",
                     report.added.count, report.unchanged.count, report.failed.count + found.missing.count,
                     report.seconds, seconds, report.realTimeFactor))
        if !report.failed.isEmpty || !found.missing.isEmpty { throw ExitCode(2) }
    }
}

/// `refrain remove DIR KEY...`.
struct RemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "remove", abstract: "Remove items by key.")

    @Argument(help: "Index directory.") var directory: String
    @Argument(help: "Keys to remove.") var keys: [String]
    @OptionGroup var engine: EngineOptions

    func run() throws {
        let missing = try engine.open(directory, searchable: false).remove(keys: keys)
        print("removed \(keys.count - missing.count)")
        if !missing.isEmpty { throw RefrainError.invalidArgument("not in the index: \(missing.joined(separator: ", "))") }
    }
}
