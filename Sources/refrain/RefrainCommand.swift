import ArgumentParser
import Foundation
import Refrain

/// `refrain`: find music by its content.
@main
struct RefrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refrain",
        abstract: "Find music by its content: index recordings and scores, query by MIDI, audio or humming.",
        version: refrainVersion,
        subcommands: [
            AlignCommand.self,
            FeaturesCommand.self,
            DemoCommand.self,
            MIDICommand.self,
            IndexCommand.self, AddCommand.self, RemoveCommand.self, ListCommand.self, StatsCommand.self, ReindexCommand.self,
            QueryCommand.self, EvalCommand.self, ServeCommand.self,
            MetricCommand.self,
        ]
    )

    /// Like ArgumentParser's `main()`, but every `RefrainError` prints as one line `error: ...` on
    /// standard error with exit status 1.
    static func main() {
        // Process-wide settings, made here by the executable (library code changes none).
        ProcessSetup.forExecutable()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as RefrainError {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            Foundation.exit(1)
        } catch {
            Self.exit(withError: error)
        }
    }
}
