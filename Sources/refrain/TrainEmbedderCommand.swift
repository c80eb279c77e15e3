import ArgumentParser
import Foundation
import Refrain

/// `refrain train embedder`: train the attention embedder (Raffel & Ellis 2016) on a folder of MIDI files.
struct TrainEmbedderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedder",
        abstract: "Train the attention-pooled embedder (Raffel & Ellis 2016) and write its model file.",
        discussion: """
        Uses the hasher's material (the same seeded split, pieces and renditions, cached in --cache): two \
        attention-pooled networks (recordings' CQT, synthesized scores' CQT) map aligned windows to nearby \
        128-d unit vectors, trained with the triplet loss over every valid triplet of a batch and stopped early \
        on the validation mean reciprocal rank. --init-hasher starts both networks' front ends from a hasher \
        of the same width. Writes MODEL, its split (.split.csv) and its curve (.curve.csv).
        """)

    @Option(help: "Folder of MIDI files to train on.") var corpus: String
    @Option(help: "Real recordings with their scores to train on too: a CSV of audio,midi paths, aligned by DTW.") var pairs: String?
    @Option(help: "Model file to write (.npz).") var out: String
    @Option(help: "Use this many training pieces (a seeded choice; all when absent).") var trainPieces: Int?
    @Option(help: "Use this many validation pieces (a seeded choice; all when absent).") var validationPieces: Int?
    @Option(help: "Renditions of each piece.") var renditions = 2
    @Option(help: "Cache folder for rendered pieces.") var cache = ".cache/train"
    @Option(help: "Most training steps.") var steps = 2000
    @Option(help: "Units of the dense layers.") var width = 128
    @Option(help: "Dimensions of the embedding.") var dimensions = 128
    @Option(help: "Frames per training window (multiple of 4).") var window = 256
    @Option(help: "Window pairs per batch.") var batch = 16
    @Option(help: "Adam learning rate.") var learningRate: Float = 3e-4
    @Option(help: "Triplet margin (Euclidean distance of unit vectors).") var margin: Float = 0.5
    @Option(help: "A hasher model file whose front end starts the networks (none: He initialisation).") var initHasher: String?
    @Option(help: "Seed of the split, the material and the weights.") var seed: UInt64 = 20
    @Option(help: "Threads (rendering and training).") var threads = 1

    func run() throws {
        var run = EmbedderTrainingRun(corpus: URL(fileURLWithPath: corpus), out: URL(fileURLWithPath: out))
        run.trainPieces = trainPieces
        run.validationPieces = validationPieces
        run.pairs = pairs.map { URL(fileURLWithPath: $0) }
        run.material.renditionsPerPiece = renditions
        run.material.seed = seed
        run.material.threads = threads
        run.material.cache = URL(fileURLWithPath: cache)
        run.training.maxSteps = steps
        run.training.width = width
        run.training.dimensions = dimensions
        run.training.windowFrames = window
        run.training.batch = batch
        run.training.learningRate = learningRate
        run.training.margin = margin
        run.training.seed = seed
        run.training.threads = threads
        if let initHasher { run.training.initialHasher = try LearnedModel.read(URL(fileURLWithPath: initHasher), expecting: "hasher") }
        _ = try run.run { line in print(line) }
    }
}
