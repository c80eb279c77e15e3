import ArgumentParser
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
            BenchCommand.self,
            FeaturesCommand.self,
            DemoCommand.self,
            MIDICommand.self,
            IndexCommand.self, AddCommand.self, RemoveCommand.self, ListCommand.self, StatsCommand.self,
            QueryCommand.self, EvalCommand.self,
        ]
    )
}
