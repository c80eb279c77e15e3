import ArgumentParser

/// `refrain bench ...`: benchmarks that print a figure and, where a peer library exists, the ratio
/// against it measured in the same run. Build with `-c release` before trusting any number.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure speed (and the ratio against the peer library, timed in the same run).",
        subcommands: [
            FeaturesBenchCommand.self,
            MIDIBenchCommand.self,
            BenchAlignCommand.self,
            BenchIndexCommand.self,
            BenchRetrievalCommand.self,
        ]
    )
}
