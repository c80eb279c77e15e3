import ArgumentParser
import Foundation
import Refrain

/// `refrain train shingles`: train the shingle reducer (Zalkow & Müller 2020) on a folder of MIDI files.
struct TrainShinglesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shingles",
        abstract: "Train the shingle reducer (Zalkow & Müller 2020) and write its model file.",
        discussion: """
        Uses the hasher's split and pieces (same seed): each piece is rendered with the reference soundfont and \
        as its renditions (cached in --cache), reduced to CENS, and cut into shingles of the music index (12 \
        frames, rotated to their strongest pitch class). A small network maps a shingle to a unit vector of \
        --dimensions values, trained with the triplet loss (the same passage in two versions against other \
        passages and pieces) and stopped at its best validation precision at 1. Writes MODEL, its split \
        (.split.csv) and its curve (.curve.csv).
        """)

    @OptionGroup var material: TrainingCorpusOptions
    @Option(help: "Training steps.") var steps = 3000
    @Option(help: "Units of the two hidden layers.") var width = 128
    @Option(help: "Dimensions of the reduced shingle.") var dimensions = 12
    @Option(help: "Pieces per batch.") var pieces = 32
    @Option(help: "Passages per piece in a batch.") var passages = 2
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Triplet margin (Euclidean distance of unit vectors).") var margin: Float = 0.3
    @Option(help: "Triplet mining: all, semihard or hard.") var mining = "all"

    func run() throws {
        var run = ShingleReducerTrainingRun(source: material.source, out: material.outURL)
        run.training.maxSteps = steps
        run.training.width = width
        run.training.dimensions = dimensions
        run.training.piecesPerBatch = pieces
        run.training.passagesPerPiece = passages
        run.training.learningRate = learningRate
        run.training.margin = margin
        try run.training.setMining(mining)
        run.training.seed = material.seed
        run.training.threads = material.threads
        _ = try run.run { line in print(line) }
    }
}
