import Foundation
import RefrainMath

/// A whole embedder training run from a folder of MIDI files, as `refrain train embedder` and
/// `scripts/train/embedder.sh` run it: the hasher's material (same split, pieces and renditions, cached),
/// training with early stopping on the validation mean reciprocal rank, then the model, split and curve written.
public struct EmbedderTrainingRun: Sendable {
    /// The corpus, the pieces used and how they are rendered (as for the hasher).
    public var source: TrainingRunMaterial
    /// The model file to write.
    public var out: URL
    public var training = EmbedderTrainingOptions()

    public init(source: TrainingRunMaterial, out: URL) {
        self.source = source
        self.out = out
    }

    /// Runs it; `log` gets one line per step of the way and per validation. Returns the result.
    public func run(log: @escaping @Sendable (String) -> Void) throws -> EmbedderTrainingResult {
        let prepared = try source.prepare(log: log)
        let result = try EmbedderTraining.train(train: prepared.train, validation: prepared.validation, options: training,
                                                metadata: source.metadata) { point in
            log(String(format: "step %5d  loss %7.4f  validation MRR %.4f  top-1 %.3f  distance: matching %.3f, non-matching %.3f  %6.0f s",
                       point.step, point.loss, point.validationMRR, point.validationTop1, point.matchingDistance,
                       point.nonMatchingDistance, point.seconds))
        }
        let curve = "step,loss,validation_mrr,validation_top1,matching_distance,non_matching_distance,seconds\n" + result.curve.map {
            String(format: "%d,%.5f,%.5f,%.4f,%.4f,%.4f,%.1f", $0.step, $0.loss, $0.validationMRR, $0.validationTop1,
                   $0.matchingDistance, $0.nonMatchingDistance, $0.seconds)
        }.joined(separator: "\n") + "\n"
        try TrainingRunMaterial.write(result.model, split: prepared.split, curve: curve, to: out)
        log(String(format: "model %@: best validation MRR %.4f at step %d of %d, %.0f s training; SHA-256 %@",
                   out.path, result.bestMRR, result.bestStep, result.steps, result.seconds, result.model.sha256))
        return result
    }
}
