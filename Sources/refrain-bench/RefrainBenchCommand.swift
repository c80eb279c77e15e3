import ArgumentParser
import Foundation
import Refrain

/// `refrain-bench ...`: benchmarks that print a figure and, where a peer library exists, the ratio
/// against it measured in the same run. Build with `-c release` before trusting any number. Kept out of
/// the user's `refrain` so that the product never spawns compilers or Python.
@main
struct RefrainBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refrain-bench",
        abstract: "Measure speed and accuracy (and the ratio against the peer library, timed in the same run).",
        subcommands: [
            FeaturesBenchCommand.self,
            MIDIBenchCommand.self,
            BenchAlignCommand.self,
            BenchIndexCommand.self,
            BenchRetrievalCommand.self,
            F0BenchCommand.self,
            HummingBenchCommand.self,
            MelodyBenchCommand.self,
            LearnBenchCommand.self,
            BenchServeCommand.self,
            LearnedBenchCommand.self,
            ShingleBenchCommand.self,
        ]
    )

    /// Like ArgumentParser's `main()`, but a `RefrainError` prints as one line `error: ...` on standard error.
    static func main() {
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
