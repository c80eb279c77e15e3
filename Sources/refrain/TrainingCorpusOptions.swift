import ArgumentParser
import Foundation
import Refrain

/// The options every `refrain train` command takes: the corpus and its seeded split, real pairs, the
/// renditions and their cache, the model file, the seed and the threads.
struct TrainingCorpusOptions: ParsableArguments {
    @Option(help: "Folder of MIDI files to train on.") var corpus: String
    @Option(help: "Real recordings with their scores to train on too: a CSV of audio,midi paths, aligned by DTW.") var pairs: String?
    @Option(help: "Model file to write (.npz).") var out: String
    @Option(help: "Use this many training pieces (a seeded choice; all when absent).") var trainPieces: Int?
    @Option(help: "Use this many validation pieces (a seeded choice; all when absent).") var validationPieces: Int?
    @Option(help: "Renditions of each piece.") var renditions = 2
    @Option(help: "Cache folder for rendered pieces.") var cache = ".cache/train"
    @Option(help: "Seed of the split, the material and the weights.") var seed: UInt64 = 20
    @Option(help: "Threads (rendering and training).") var threads = 1

    var outURL: URL { URL(fileURLWithPath: out) }

    /// The corpus, piece counts, pairs and material settings of a training run.
    var source: TrainingRunMaterial {
        TrainingRunMaterial(corpus: URL(fileURLWithPath: corpus), trainPieces: trainPieces, validationPieces: validationPieces,
                            pairs: pairs.map { URL(fileURLWithPath: $0) }, material: options)
    }

    /// The training material's settings: this many renditions of each piece, the seed and threads, this cache.
    var options: TrainingMaterialOptions {
        var options = TrainingMaterialOptions()
        options.renditionsPerPiece = renditions
        options.seed = seed
        options.threads = threads
        options.cache = URL(fileURLWithPath: cache)
        return options
    }
}
