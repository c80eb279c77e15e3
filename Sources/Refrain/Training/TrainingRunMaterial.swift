import Foundation
import RefrainMath

/// The material of a training run from a folder of MIDI files, shared by `refrain train hasher` and
/// `refrain train embedder`: the pieces split by piece (seeded), a seeded choice of the training and validation
/// parts rendered (cached, `TrainingMaterial`), and real pairs aligned by DTW when given.
public struct TrainingRunMaterial: Sendable {
    /// Folder of MIDI files.
    public var corpus: URL
    /// Pieces of the training part used (a seeded choice of them; all when nil), and of the validation part.
    public var trainPieces: Int?
    public var validationPieces: Int?
    /// Real recordings with their scores (`audio,midi` CSV, aligned by DTW) trained on too.
    public var pairs: URL?
    public var material: TrainingMaterialOptions

    public init(corpus: URL, trainPieces: Int? = nil, validationPieces: Int? = nil, pairs: URL? = nil,
                material: TrainingMaterialOptions = TrainingMaterialOptions()) {
        self.corpus = corpus
        self.trainPieces = trainPieces
        self.validationPieces = validationPieces
        self.pairs = pairs
        self.material = material
    }

    /// What a model trained on this material records about it.
    var metadata: [String: String] {
        ["corpus": corpus.lastPathComponent, "renditions_per_piece": "\(material.renditionsPerPiece)",
         "material_seed": "\(material.seed)"]
    }

    struct Prepared {
        var split: CorpusSplit
        var train: [TrainingPiece]
        var validation: [TrainingPiece]
        var skipped: [String]
        /// Seconds spent rendering or reading the cache.
        var seconds: Double
    }

    /// The seeded split of the corpus and the training and validation pieces chosen from it.
    func chosenKeys() throws -> (split: CorpusSplit, train: [String], validation: [String]) {
        try Self.chosenKeys(from: try CorpusSplit.pieces(in: corpus).map(\.key), trainPieces: trainPieces,
                            validationPieces: validationPieces, seed: material.seed)
    }

    /// The rule every training run follows to choose its pieces from a corpus's piece `keys`: the split drawn
    /// with `seed` (`CorpusSplit.drawn`), then the first `trainPieces` of the training part shuffled with seed
    /// `seed + 1` and the first `validationPieces` of the validation part shuffled with `seed + 2` (all of a part
    /// when its count is nil or not smaller than the part), each sorted. A run with more pieces of a part takes
    /// those of a run with fewer and the same seed (the same shuffle, a longer prefix).
    static func chosenKeys(from keys: [String], trainPieces: Int?, validationPieces: Int?,
                           seed: UInt64) throws -> (split: CorpusSplit, train: [String], validation: [String]) {
        let split = try CorpusSplit.drawn(keys: keys, seed: seed)
        func chosen(_ part: CorpusSplit.Part, _ limit: Int?) -> [String] {
            var list = split.keys(part)
            guard let limit, limit < list.count else { return list }
            var random = SplitMix64(seed: seed &+ UInt64(part == .train ? 1 : 2))
            list.shuffle(using: &random)
            return Array(list.prefix(limit)).sorted()
        }
        return (split, chosen(.train, trainPieces), chosen(.validation, validationPieces))
    }

    /// Splits, chooses and renders; `log` gets one line per step of the way.
    func prepare(log: @escaping @Sendable (String) -> Void) throws -> Prepared {
        let (split, trainKeys, validationKeys) = try chosenKeys()
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
        let seconds = Date().timeIntervalSince(started)
        let frames = train.reduce(0) { $0 + $1.renditions.reduce(0) { $0 + $1.audio.rows } }
        log(String(format: "material ready in %.0f s: %d training pieces (%.1f h of renditions), %d validation, %d skipped",
                   seconds, train.count, Double(frames) / LearnedInput.frameRate / 3600, validation.count, skipped.count))
        return Prepared(split: split, train: train, validation: validation, skipped: skipped, seconds: seconds)
    }

    /// Writes `model` to `out`, its split next to it (`.split.csv`) and its curve (`.curve.csv`, CSV text).
    static func write(_ model: LearnedModel, split: CorpusSplit, curve: String, to out: URL) throws {
        try FileManager.default.createDirectory(at: out.deletingLastPathComponent(), withIntermediateDirectories: true)
        try model.write(to: out)
        let base = out.deletingPathExtension()
        try split.write(to: base.appendingPathExtension("split.csv"))
        do { try Data(curve.utf8).write(to: base.appendingPathExtension("curve.csv"), options: .atomic) } catch {
            throw RefrainError(.io, "\(base.path).curve.csv: cannot write the curve (\(error.localizedDescription))")
        }
    }
}
