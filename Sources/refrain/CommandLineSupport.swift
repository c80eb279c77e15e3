import ArgumentParser
import Foundation
import Refrain

/// Runs `body`; a `RefrainError` is printed as one line `error: <message>` on standard error and the command
/// exits with status 1 (ArgumentParser's own messages and exit codes pass through unchanged).
func reportingErrors(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let error as RefrainError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode.failure
    }
}

/// "1.23" style number formatting for summaries.
func fmt(_ value: Double, _ digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }

/// Writes `line` and a newline to standard error.
func note(_ line: String) { FileHandle.standardError.write(Data((line + "\n").utf8)) }

/// Options every command that opens an index takes: the compute budget and the soundfont.
struct EngineOptions: ParsableArguments {
    @Option(help: "Threads to use (default: one per core).") var threads: Int?
    @Option(help: "Soundfont (.sf2/.sf3) for rendering MIDI (default: $REFRAIN_SOUNDFONT or the Debian GM soundfont).")
    var soundfont: String?

    var configuration: Engine.Configuration {
        get throws {
            if let threads, threads < 1 { throw RefrainError.invalidArgument("--threads must be at least 1") }
            return Engine.Configuration(budget: threads.map { ComputeBudget(threads: $0) } ?? .machine, soundfont: soundfont)
        }
    }

    /// Opens the index; `searchable` false also opens one this program cannot search (see `Engine.open`).
    func open(_ directory: String, searchable: Bool = true) throws -> Engine {
        try Engine.open(at: URL(fileURLWithPath: directory), configuration: configuration, searchable: searchable)
    }
}

/// Pretty, key-sorted JSON of `value`, as the commands print it.
func prettyJSON<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
