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

extension HashEncoder.MIDIModality: ExpressibleByArgument {}

struct TrainHasherCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hasher",
        abstract: "Train the hash-sequence encoder (Raffel & Ellis 2015) and write its model file.",
        discussion: """
        The pieces of --corpus are split by piece (seeded: train, validation, test), rendered with several \
        soundfonts, tempo curves, arrangements and recording conditions (cached in --cache), aligned through \
        their tempo maps, and two networks (recordings' CQT, synthesized scores' CQT) are trained with \
        Raffel's hashing loss, stopping early on the validation Bhattacharyya coefficient. Writes MODEL, \
        MODEL's split (.split.csv) and its curve (.curve.csv). With --modality pianoroll it trains instead one \
        network reading scores' piano rolls (no synthesizer) against the frozen audio network of \
        --audio-hasher, so that the indexes that hasher made stay valid; the model records that hasher's SHA-256.
        """)

    @OptionGroup var material: TrainingCorpusOptions
    @Option(help: "Most training steps.") var steps = 3000
    @Option(help: "Units of the dense layers.") var width = 128
    @Option(help: "Windows per batch.") var batch = 32
    @Option(help: "Adam learning rate.") var learningRate: Float = 1e-3
    @Option(help: "Hashing-loss weight of non-matching pairs.") var alpha: Float = 1
    @Option(help: "Hashing-loss margin on the squared distance of non-matching pairs.") var margin: Float = 16
    @Option(help: "synth: the audio and synthesized-score networks together; pianoroll: a piano-roll network against --audio-hasher's frozen audio network.")
    var modality: HashEncoder.MIDIModality = .synth
    @Option(help: "With --modality pianoroll: the hasher whose audio codes to learn (a model file, or 'shipped').") var audioHasher = "shipped"

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
        if modality == .pianoroll {
            run.audioHasher = try audioHasher == "shipped" ? LearnedModel.shipped(HashEncoder.shippedModel, kind: "hasher")
                : LearnedModel.read(URL(fileURLWithPath: audioHasher), expecting: "hasher")
        }
        _ = try run.run { line in print(line) }
    }
}
