import Foundation
import RefrainMath

/// A whole hasher training run from a folder of MIDI files, as `refrain train hasher` and
/// `scripts/train/hasher.sh` (and `pianoroll-hasher.sh`) run it: split the pieces (seeded, by piece), render the
/// training and validation pieces (cached), train with early stopping, write the model, the split and the curve.
public struct HasherTrainingRun: Sendable {
    /// The corpus, the pieces used and how they are rendered.
    public var source: TrainingRunMaterial
    /// The model file to write.
    public var out: URL
    public var training = HasherTrainingOptions()
    /// With a hasher model here, the run trains a piano-roll network against that model's frozen `audio`
    /// network (`PianoRollHasherTraining`); without, the `audio` and `synth` networks together.
    public var audioHasher: LearnedModel?

    public init(source: TrainingRunMaterial, out: URL) {
        self.source = source
        self.out = out
    }

    /// What a run reports.
    public struct Report: Sendable {
        public var split: CorpusSplit
        public var trainPieces: Int
        public var validationPieces: Int
        public var skipped: [String]
        public var materialSeconds: Double
        public var result: HasherTrainingResult
    }

    /// Runs it; `log` gets one line per step of the way and per validation.
    public func run(log: @escaping @Sendable (String) -> Void) throws -> Report {
        let prepared = try source.prepare(log: log)
        let (split, train, validation, skipped, materialSeconds) = (prepared.split, prepared.train, prepared.validation,
                                                                   prepared.skipped, prepared.seconds)
        let options = training
        let progress = { (point: HasherCurvePoint) in
            log(String(format: "step %5d  loss %8.4f  validation BC %.4f  bits apart: matching %.2f, non-matching %.2f  %6.0f s",
                       point.step, point.loss, point.validationBC, point.matchingBits, point.nonMatchingBits, point.seconds))
        }
        let result: HasherTrainingResult
        if let audioHasher {
            log("piano-roll network against the frozen audio network of the hasher \(audioHasher.sha256)")
            result = try PianoRollHasherTraining.train(train: train, validation: validation, audioHasher: audioHasher, options: options,
                                                       metadata: source.metadata, progress: progress)
            if let synthBC = result.model.metadata[PianoRollHasherTraining.synthBCKey] {
                log("the hasher's synth network on the same validation windows: BC \(synthBC)")
            }
        } else {
            result = try HasherTraining.train(train: train, validation: validation, options: options, metadata: source.metadata,
                                              progress: progress)
        }
        let curve = "step,loss,validation_bc,matching_bits,non_matching_bits,seconds\n" + result.curve.map {
            String(format: "%d,%.5f,%.5f,%.3f,%.3f,%.1f", $0.step, $0.loss, $0.validationBC, $0.matchingBits, $0.nonMatchingBits, $0.seconds)
        }.joined(separator: "\n") + "\n"
        try TrainingRunMaterial.write(result.model, split: split, curve: curve, to: out)
        log(String(format: "model %@: best validation BC %.4f at step %d of %d, %.0f s training; SHA-256 %@",
                   out.path, result.bestBC, result.bestStep, result.steps, result.seconds, result.model.sha256))
        return Report(split: split, trainPieces: train.count, validationPieces: validation.count, skipped: skipped,
                      materialSeconds: materialSeconds, result: result)
    }
}
