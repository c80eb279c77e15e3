import ArgumentParser
import Foundation
import Refrain
import RefrainIndex
import RefrainLearn
import RefrainMath

/// `refrain-bench shingles`: shingle-level cross-version retrieval (Zalkow & Müller 2020, their Table 2) on the
/// development corpus: unreduced shingles, PCA and the learned reducer at several dimensions, from one run.
struct ShingleBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shingles",
        abstract: "Shingle retrieval P@1 of unreduced, PCA-reduced and learned-reduced CENS shingles (Zalkow & Müller 2020).",
        discussion: """
        Renders each piece of one half of the development corpus (RealisticSet's split) with the engine's \
        soundfont (the query version, as a MIDI query is rendered) and as --renditions drawn renditions (tempo \
        curve, arrangement, recording condition) with the half's soundfonts: the tuning soundfonts for the tune \
        half, the unseen performer (MuseScore General) for the report half. Every second shingle of the query \
        version finds its nearest shingle among the renditions of every piece of the half; P@1 is the share \
        from the right piece (pieces of one work count as one), the rank is the right piece's among the pieces \
        by their nearest shingle. Shingles are the music index's (12 CENS frames, canonical key). PCA is \
        learned from the database shingles, as an index learns it from its collection.
        """)

    @Option(help: "Folder of MIDI files.") var corpus = "../shared/corpus"
    @Option(help: "Which half: tune or report.") var half = "tune"
    @Option(help: "Seed of the tune/report split (RealisticSet's).") var seed: UInt64 = 18
    @Option(help: "Use the first N files (name order).") var limit = Int.max
    @Option(help: "Renditions of each piece in the database.") var renditions = 2
    @Option(help: "Cache folder for the rendered CENS.") var cache = ".cache/bench-shingles"
    @Option(help: "PCA dimensions, comma-separated.") var dimensions = "6,12,30"
    @Option(help: "Learned shingle reducer model files, comma-separated (default: the shipped model).") var models: String?
    @Option(help: "Threads for rendering.") var threads = 1

    func run() throws {
        guard ["tune", "report"].contains(half) else { throw RefrainError.invalidArgument("--half must be tune or report") }
        let (midi, tune, work) = try RealisticSet.halves(corpus: URL(fileURLWithPath: corpus), seed: seed, limit: limit)
        let keys = midi.map { $0.deletingPathExtension().lastPathComponent }.filter { tune.contains($0) == (half == "tune") }
        // MuseScore General's own path is a Debian alternative that may point at a tuning soundfont (FluidR3
        // Mono), so only the Lite file itself counts as the unseen performer.
        let fonts = half == "tune" ? RealisticSet.installed(RealisticSet.defaultTuningSoundfonts) : try RealisticSet.unseenPerformers()
        guard !fonts.isEmpty else { throw RefrainError(.missingResource, "no soundfont for the \(half) half is installed") }
        var options = TrainingMaterialOptions(soundfonts: fonts, seed: seed)
        options.renditionsPerPiece = renditions
        options.threads = threads
        // The soundfonts name the folder too: renditions cached with other soundfonts are never read back.
        let fontNames = fonts.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }.joined(separator: "+")
        options.cache = URL(fileURLWithPath: cache).appendingPathComponent("\(half)-\(seed)-\(renditions)-\(fontNames)")
        var clock = Date()
        let (pieces, skipped) = try ShingleMaterial.pieces(corpus: URL(fileURLWithPath: corpus), keys: keys, options: options) { done in
            FileHandle.standardError.write(Data("\rrendering \(done)/\(keys.count)      ".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let settings = Engine.musicShingles
        let set = ShingleRetrievalSet(pieces: pieces, length: settings.length, transform: settings.effectiveTransform,
                                      queryHop: 2, databaseHop: settings.hop, work: work)
        print("set          \(half) half: \(pieces.count) pieces (\(skipped.count) skipped), query version: engine soundfont; database: \(renditions) renditions with \(fonts.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")); prepared in \(fmt(Date().timeIntervalSince(clock), 1)) s")
        print("shingles     \(set.queries.rows) queries, \(set.database.rows) database shingles of \(settings.length) frames (\(set.queries.cols) values, \(settings.effectiveTransform.rawValue))")
        print("")
        print("reduction                   dims    P@1     MRR   median rank   seconds")
        func row(_ name: String, dims: Int, _ reduce: (Matrix) throws -> Matrix) throws {
            clock = Date()
            let r = try set.evaluate(reduce)
            print(name.padding(26) + String(format: " %5d  %.3f  %.3f  %11.1f  %8.1f", dims, r.precisionAt1, r.meanReciprocalRank,
                                            r.medianRank, Date().timeIntervalSince(clock)))
        }
        try row("unreduced", dims: set.queries.cols) { $0 }
        for d in try positiveInts(dimensions, option: "--dimensions") {
            let pca = try PCA(fitting: set.database, dimensions: min(d, set.database.cols))
            try row("PCA (database)", dims: d) { pca.transform($0) }
        }
        let reducers = try models.map { list in
            try list.split(separator: ",").map { path in
                try ShingleReducerModel.reducer(of: try LearnedModel.read(URL(fileURLWithPath: String(path)), expecting: ShingleReducerModel.kind),
                                                name: String(path))
            }
        } ?? [try ShingleReducerModel.shipped()]
        for reducer in reducers {
            try row("learned \(reducer.sha256.prefix(12))", dims: reducer.outputDimension) { try reducer.reduce($0) }
        }
    }
}
