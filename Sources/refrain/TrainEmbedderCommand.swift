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
        of the same width; --init-embedder continues an embedder's training. --shortest-window trains on windows of \
        varied lengths, each modality on its own clock, closer to the whole pieces pooled at inference. Writes MODEL, its split (.split.csv) and its curve (.curve.csv).
        """)

    @OptionGroup var material: TrainingCorpusOptions
    @Option(help: "Most training steps.") var steps = 2000
    @Option(help: "Units of the dense layers.") var width = 128
    @Option(help: "Dimensions of the embedding.") var dimensions = 128
    @Option(help: "Frames per training window (multiple of 4); with --shortest-window, the longest.") var window = 256
    @Option(help: "Windows of varied lengths from this many frames (multiple of 4) to --window, each modality on its own clock (none: all --window frames, the score warped onto the recording's clock).") var shortestWindow: Int?
    @Option(help: "Window pairs per batch.") var batch = 16
    @Option(help: "Adam learning rate.") var learningRate: Float = 3e-4
    @Option(help: "Triplet margin (Euclidean distance of unit vectors).") var margin: Float = 0.5
    @Option(help: "A hasher model file whose front end starts the networks (none: He initialisation).") var initHasher: String?
    @Option(help: "An embedder model file whose weights and input standardisation start the networks (continues its training; overrides --init-hasher).") var initEmbedder: String?

    func run() throws {
        var run = EmbedderTrainingRun(source: material.source, out: material.outURL)
        run.training.maxSteps = steps
        run.training.width = width
        run.training.dimensions = dimensions
        run.training.windowFrames = window
        run.training.shortestWindowFrames = shortestWindow
        run.training.batch = batch
        run.training.learningRate = learningRate
        run.training.margin = margin
        run.training.seed = material.seed
        run.training.threads = material.threads
        if let initEmbedder { run.training.initialEmbedder = try LearnedModel.read(URL(fileURLWithPath: initEmbedder), expecting: "embedder") }
        if let initHasher { run.training.initialHasher = try LearnedModel.read(URL(fileURLWithPath: initHasher), expecting: "hasher") }
        _ = try run.run { line in print(line) }
    }
}
