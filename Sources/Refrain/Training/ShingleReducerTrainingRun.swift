import Foundation
import RefrainLearn
import RefrainMath

/// A whole shingle reducer training run from a folder of MIDI files, as `refrain train shingles` and
/// `scripts/train/shingles.sh` run it: the hasher's split and choice of pieces (same seed), each rendered as the
/// reference and its renditions and reduced to CENS (cached), training with early stopping on the validation
/// precision at 1, then the model, split and curve written.
public struct ShingleReducerTrainingRun: Sendable {
    /// The corpus, the pieces used and how they are rendered (as for the hasher; `pairs` is not used).
    public var source: TrainingRunMaterial
    /// The model file to write.
    public var out: URL
    public var training = ShingleReducerTrainingOptions()

    public init(source: TrainingRunMaterial, out: URL) {
        self.source = source
        self.out = out
    }

    /// Runs it; `log` gets one line per step of the way and per validation. Returns the result.
    public func run(log: @escaping @Sendable (String) -> Void) throws -> ShingleReducerTrainingResult {
        guard source.pairs == nil else {
            throw RefrainError.invalidArgument("the shingle reducer trains on rendered versions only; --pairs is not supported")
        }
        let (split, trainKeys, validationKeys) = try source.chosenKeys()
        let started = Date()
        log("material: \(trainKeys.count) training and \(validationKeys.count) validation pieces, the reference and \(source.material.renditionsPerPiece) renditions each, as CENS")
        let every = max(1, trainKeys.count / 10)
        let (train, skipped) = try ShingleMaterial.pieces(corpus: source.corpus, keys: trainKeys, options: source.material) { done in
            if done % every == 0 { log("  training pieces \(done)/\(trainKeys.count)") }
        }
        let (validation, skippedValidation) = try ShingleMaterial.pieces(corpus: source.corpus, keys: validationKeys, options: source.material)
        let frames = train.reduce(0) { $0 + $1.versions.reduce(0) { $0 + $1.cens.rows } }
        log(String(format: "material ready in %.0f s: %d training pieces (%d CENS frames), %d validation, %d skipped",
                   Date().timeIntervalSince(started), train.count, frames, validation.count, skipped.count + skippedValidation.count))
        let result = try ShingleReducerTraining.train(train: train, validation: validation, options: training,
                                                      metadata: source.metadata) { point in
            log(String(format: "step %5d  loss %7.4f  validation P@1 %.4f  MRR %.4f  median rank %.1f  %6.0f s", point.step, point.loss,
                       point.validation.precisionAt1, point.validation.meanReciprocalRank, point.validation.medianRank, point.seconds))
        }
        let curve = "step,loss,validation_precision_at_1,validation_mrr,validation_median_rank,seconds\n" + result.curve.map {
            String(format: "%d,%.5f,%.5f,%.5f,%.1f,%.1f", $0.step, $0.loss, $0.validation.precisionAt1, $0.validation.meanReciprocalRank,
                   $0.validation.medianRank, $0.seconds)
        }.joined(separator: "\n") + "\n"
        try TrainingRunMaterial.write(result.model, split: split, curve: curve, to: out)
        log(String(format: "model %@: best validation P@1 %.4f at step %d of %d, %.0f s training; SHA-256 %@",
                   out.path, result.bestPrecision, result.bestStep, result.steps, result.seconds, result.model.sha256))
        return result
    }
}
