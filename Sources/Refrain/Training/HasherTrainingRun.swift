import Foundation
import RefrainMath

/// A whole hasher training run from a folder of MIDI files, as `refrain train hasher` and
/// `scripts/train/hasher.sh` run it: split the pieces (seeded, by piece), render the training and validation
/// pieces (cached), train with early stopping, write the model, the split and the curve.
public struct HasherTrainingRun: Sendable {
    public var corpus: URL
    public var out: URL
    /// Pieces of the training part used (a seeded choice of them; all when nil), and of the validation part.
    public var trainPieces: Int?
    public var validationPieces: Int?
    /// Real recordings with their scores (`audio,midi` CSV, aligned by DTW) trained on too.
    public var pairs: URL?
    public var material = TrainingMaterialOptions()
    public var training = HasherTrainingOptions()

    public init(corpus: URL, out: URL) {
        self.corpus = corpus
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
        let keys = try CorpusSplit.pieces(in: corpus).map(\.key)
        let split = try CorpusSplit.drawn(keys: keys, seed: material.seed)
        func chosen(_ part: CorpusSplit.Part, _ limit: Int?) -> [String] {
            var list = split.keys(part)
            guard let limit, limit < list.count else { return list }
            var random = SplitMix64(seed: material.seed &+ UInt64(part == .train ? 1 : 2))
            list.shuffle(using: &random)
            return Array(list.prefix(limit)).sorted()
        }
        let trainKeys = chosen(.train, trainPieces), validationKeys = chosen(.validation, validationPieces)
        let started = Date()
        log("material: \(trainKeys.count) training and \(validationKeys.count) validation pieces, \(material.renditionsPerPiece) renditions each, soundfonts \(material.soundfonts.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))")
        let every = max(1, (trainKeys.count + validationKeys.count) / 20)
        var (train, skipped) = try TrainingMaterial.pieces(corpus: corpus, keys: trainKeys, options: material) { done in
            if done % every == 0 { log("  training pieces \(done)/\(trainKeys.count)") }
        }
        let (validation, skippedValidation) = try TrainingMaterial.pieces(corpus: corpus, keys: validationKeys, options: material)
        skipped += skippedValidation
        if let pairs {
            let (real, skippedPairs) = try TrainingMaterial.pairs(csv: pairs, options: material)
            train += real
            skipped += skippedPairs
            log("pairs: \(real.count) real recordings aligned by DTW, \(skippedPairs.count) refused")
        }
        let materialSeconds = Date().timeIntervalSince(started)
        let frames = train.reduce(0) { $0 + $1.renditions.reduce(0) { $0 + $1.audio.rows } }
        log(String(format: "material ready in %.0f s: %d training pieces (%.1f h of renditions), %d validation, %d skipped",
                   materialSeconds, train.count, Double(frames) / LearnedInput.frameRate / 3600, validation.count, skipped.count))
        let options = training
        let result = try HasherTraining.train(train: train, validation: validation, options: options,
                                              metadata: ["corpus": corpus.lastPathComponent,
                                                         "renditions_per_piece": "\(material.renditionsPerPiece)",
                                                         "material_seed": "\(material.seed)"]) { point in
            log(String(format: "step %5d  loss %8.4f  validation BC %.4f  bits apart: matching %.2f, non-matching %.2f  %6.0f s",
                       point.step, point.loss, point.validationBC, point.matchingBits, point.nonMatchingBits, point.seconds))
        }
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        try result.model.write(to: out)
        let base = out.deletingPathExtension()
        try split.write(to: base.appendingPathExtension("split.csv"))
        let curve = "step,loss,validation_bc,matching_bits,non_matching_bits,seconds\n" + result.curve.map {
            String(format: "%d,%.5f,%.5f,%.3f,%.3f,%.1f", $0.step, $0.loss, $0.validationBC, $0.matchingBits, $0.nonMatchingBits, $0.seconds)
        }.joined(separator: "\n") + "\n"
        do { try Data(curve.utf8).write(to: base.appendingPathExtension("curve.csv"), options: .atomic) } catch {
            throw RefrainError(.io, "\(base.path).curve.csv: cannot write the curve (\(error.localizedDescription))")
        }
        log(String(format: "model %@: best validation BC %.4f at step %d of %d, %.0f s training; SHA-256 %@",
                   out.path, result.bestBC, result.bestStep, result.steps, result.seconds, result.model.sha256))
        return Report(split: split, trainPieces: train.count, validationPieces: validation.count, skipped: skipped,
                      materialSeconds: materialSeconds, result: result)
    }
}
