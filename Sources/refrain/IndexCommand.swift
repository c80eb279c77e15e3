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
    @Flag(help: "music: also store the learned hash sequences and embeddings (encoders 'hashes', 'embedding') for the learned cascade (--task midi-to-audio-hashed).")
    var learned = false
    @Option(help: "music, with --learned: how the hasher reads scores: synth (rendered, the default) or pianoroll (the piano-roll network, no synthesizer for the hash stage).")
    var midiHashes: HashEncoder.MIDIModality = .synth
    @Option(help: "music: what reduces the shingles before the graph: 'pca' (learned from the collection) or 'learned' (the shipped shingle reducer network, whose SHA-256 the index records).")
    var shingleReducer = "pca"
    @Option(help: "features: name of the stored feature array.") var array = "cens"
    @Option(help: "features: frames per second of the .npy matrices.") var frameRate = 2.0
    @Option(help: "features: frames per shingle.") var shingleLength = 20
    @Option(help: "features: frames between indexed shingles.") var shingleHop = 5
    @Option(help: "features: PCA dimensions of the shingles.") var pcaDimensions = 30

    func run() throws {
        let url = URL(fileURLWithPath: directory)
        switch analyzer {
        case "music":
            guard learned || midiHashes == .synth else { throw RefrainError.invalidArgument("--midi-hashes needs --learned (the hashes encoder)") }
            guard let reducer = ShingleReducerKind(rawValue: shingleReducer) else {
                throw RefrainError.invalidArgument("--shingle-reducer must be pca or learned, got '\(shingleReducer)'")
            }
            let settings: [String: [String: String]] = midiHashes == .synth ? [:] : [HashEncoder.name: ["midi": midiHashes.rawValue]]
            let engine = try Engine.create(at: url, layout: .music(settings: settings, shingles: !noShingles, reducer: reducer),
                                           configuration: learned ? .learned() : Engine.Configuration())
            print("created index \(directory) for audio and MIDI (encoders \(try engine.encoderRecords.map(\.identity).joined(separator: ", ")))")
        case "features":
            guard !learned else { throw RefrainError.invalidArgument("--learned needs the music analyzer (a features index stores the given .npy matrices)") }
            guard shingleReducer == "pca" else { throw RefrainError.invalidArgument("--shingle-reducer learned needs the music analyzer (its network reads 12-frame CENS shingles)") }
            guard frameRate > 0, shingleLength > 0, shingleHop > 0, pcaDimensions > 0 else {
                throw RefrainError.invalidArgument("frame rate, shingle length, hop and PCA dimensions must be positive")
            }
            let shingles = noShingles ? nil : ShingleSettings(array: array, length: shingleLength, hop: shingleHop, dimensions: pcaDimensions)
            let engine = try Engine.create(at: url, layout: .features(array: array, frameRate: frameRate, shingles: shingles))
            print("created index \(directory) (\(try prettyJSON(try engine.settings).replacingOccurrences(of: "\n", with: " ")))")
        default:
            throw RefrainError.invalidArgument("unknown analyzer '\(analyzer)' (music or features)")
        }
    }
}

/// `refrain index rebuild DIR`: relearn the PCA (or take this program's learned shingle reducer) and rebuild the
/// shingle graph.
struct RebuildIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rebuild",
                                                    abstract: "Relearn the shingle PCA (or take this program's learned shingle reducer) and rebuild the HNSW graph.")

    @Argument(help: "Index directory.") var directory: String
    @OptionGroup var engine: EngineOptions

    func run() throws {
        let points = try engine.open(directory).rebuildShingles { note($0) }
        print("shingle graph: \(points) points")
    }
}

/// `refrain reindex DIR`: re-encode the items with this program's encoders.
struct ReindexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reindex",
        abstract: "Re-encode an index's items with this Refrain's encoders (after an upgrade changed them).",
        discussion: """
        Re-analyses every item whose arrays another version of an encoder made: scores from the MIDI bytes the \
        index keeps, recordings from the files they were added from (checked by SHA-256). Safe to stop and run \
        again: it goes on where it stopped. Recordings whose file is gone or changed are listed; the index stays \
        unsearchable until they are restored, removed (`refrain remove`) or dropped with --drop-missing.
        """)

    @Argument(help: "Index directory.") var directory: String
    @Flag(help: "Remove the items whose file is missing or changed.") var dropMissing = false
    @Flag(help: "Also store the learned encoders' arrays ('hashes', 'embedding') the index lacks, for the learned cascade.")
    var learned = false
    @OptionGroup var engine: EngineOptions

    func run() throws {
        let url = URL(fileURLWithPath: directory)
        var configuration = try self.engine.configuration
        if learned { configuration = .learned(budget: configuration.budget, soundfont: configuration.soundfont) }
        let engine = try Engine.open(at: url, configuration: configuration, searchable: false)
        let progress = ProgressReporter(total: try engine.itemCount, label: "re-encoding")
        let report = try engine.reindex(dropMissing: dropMissing, progress: progress)
        print("encoders     \(report.from.map(\.identity).joined(separator: ", ")) -> \(report.to.map(\.identity).joined(separator: ", "))")
        print("items        \(report.reencoded) re-encoded, \(report.alreadyCurrent) already current, \(report.dropped.count) dropped in \(fmt(report.seconds, 1)) s")
        for (key, path) in report.missing { note("missing \(key): \(path)") }
        guard report.finished else {
            throw RefrainError(.index, "\(report.missing.count) recording(s) could not be re-encoded (listed above); restore their files, remove them, or run again with --drop-missing")
        }
        print("done         \(directory) is searchable")
    }
}
