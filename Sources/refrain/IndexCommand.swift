import ArgumentParser
import Foundation
import Refrain

/// `refrain index ...`: managing index directories.
struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Create and maintain index directories.",
        subcommands: [CreateIndexCommand.self, RebuildIndexCommand.self]
    )
}

/// `refrain index create DIR`.
struct CreateIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an empty index in DIR.")

    @Argument(help: "Index directory (created if missing).") var directory: String
    @Option(help: "Analysis pipeline: 'music' indexes audio and MIDI files; 'features' indexes .npy feature matrices (frames x dims).") var analyzer = "music"
    @Flag(help: "Build no shingle/HNSW pruning graph.") var noShingles = false
    @Option(help: "features: name of the stored feature array.") var array = "cens"
    @Option(help: "features: frames per second of the .npy matrices.") var frameRate = 2.0
    @Option(help: "features: frames per shingle.") var shingleLength = 20
    @Option(help: "features: frames between indexed shingles.") var shingleHop = 5
    @Option(help: "features: PCA dimensions of the shingles.") var pcaDimensions = 30

    func run() throws {
        guard analyzer == "features" || analyzer == "music" else {
            throw RefrainError.invalidArgument("unknown analyzer '\(analyzer)' (music or features)")
        }
        if analyzer == "music" {
            let settings = IndexSettings.music(shingles: !noShingles)
            _ = try IndexStore.create(at: URL(fileURLWithPath: directory), settings: settings)
            print("created index \(directory) for audio and MIDI (\(settings.analyzer))")
            return
        }
        guard frameRate > 0, shingleLength > 0, shingleHop > 0, pcaDimensions > 0 else {
            throw RefrainError.invalidArgument("frame rate, shingle length, hop and PCA dimensions must be positive")
        }
        let features = NPYFeatureAnalyzer(arrayName: array, frameRate: frameRate)
        let shingles = noShingles ? nil : ShingleSettings(array: array, length: shingleLength, hop: shingleHop,
                                                            dimensions: pcaDimensions)
        let settings = IndexSettings(analyzer: features.identifier, features: features.settings, shingles: shingles)
        _ = try IndexStore.create(at: URL(fileURLWithPath: directory), settings: settings)
        print("created index \(directory) (\(try settings.json()))")
    }
}

/// `refrain index rebuild DIR`: relearn the PCA and rebuild the shingle graph.
struct RebuildIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rebuild",
                                                    abstract: "Relearn the shingle PCA and rebuild the HNSW graph.")

    @Argument(help: "Index directory.") var directory: String

    func run() throws {
        let store = try IndexStore.open(at: URL(fileURLWithPath: directory), writable: true)
        try store.setMeta("ann.shingles", nil)
        let index = try ShingleIndex.update(store) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        print("shingle graph: \(index?.graph.count ?? 0) points")
    }
}
