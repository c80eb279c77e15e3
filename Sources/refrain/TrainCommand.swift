import ArgumentParser
import Foundation
import Refrain

/// `refrain train hasher`: train a learned encoder on a folder of MIDI files (and real pairs).
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a learned encoder (hasher, embedder, shingles) on a folder of MIDI files rendered as recordings.",
        subcommands: [TrainHasherCommand.self, TrainEmbedderCommand.self, TrainShinglesCommand.self])
}

struct TrainHasherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hasher",
        abstract: "Train the hash-sequence encoder (Raffel & Ellis 2015) and write its model file.",
        discussion: """
        The pieces of --corpus are split by piece (seeded: train, validation, test), rendered with several \
        soundfonts, tempo curves, arrangements and recording conditions (cached in --cache), aligned through \
        their tempo maps, and two networks (recordings' CQT, synthesized scores' CQT) are trained with \
        Raffel's hashing loss, stopping early on the validation Bhattacharyya coefficient. Writes MODEL, \
        MODEL's split (.split.csv) and its curve (.curve.csv).
        """)

    @OptionGroup var material: TrainingCorpusOptions
    @Option(help: "Most training steps.") var steps = 3000
    @Option(help: "Units of the dense layers.") var width = 128
    @Option(help: "Windows per batch.") var batch = 32
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Hashing-loss weight of non-matching pairs.") var alpha: Float = 1
    @Option(help: "Hashing-loss margin on the squared distance of non-matching pairs.") var margin: Float = 16

    func run() throws {
        var run = HasherTrainingRun(source: material.source, out: material.outURL)
        run.training.maxSteps = steps
        run.training.width = width
        run.training.batch = batch
        run.training.learningRate = learningRate
        run.training.alpha = alpha
        run.training.margin = margin
        run.training.seed = material.seed
        run.training.threads = material.threads
        _ = try run.run { line in print(line) }
    }
}
