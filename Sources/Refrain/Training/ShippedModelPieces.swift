import Foundation

/// Which pieces of the training corpus (`../shared/train-corpus`) the shipped models trained or validated on, by the
/// rule their scripts follow (`scripts/train/*.sh`), and so which pieces no shipped model ever used: those are as
/// unseen as the development corpus and serve as realistic distractors and held-out queries
/// (`refrain-bench learned`; Raffel & Ellis 2016 likewise tune their pruning on pieces the networks never saw).
///
/// Every shipped model is made by `refrain train ... --train-pieces N --validation-pieces M --seed S`
/// (`runs`), which draws the corpus's split with seed S and takes a seeded prefix of its training and validation
/// parts (`TrainingRunMaterial.chosenKeys(from:trainPieces:validationPieces:seed:)`, the code those runs call).
/// A piece the rule chooses counts as used even when its rendering was skipped (too short, unreadable).
public enum ShippedModelPieces {
    /// One `refrain train` invocation of the scripts that made a shipped model.
    public struct Run: Equatable, Hashable, Sendable {
        /// The script and the model or stage it makes, e.g. "embedder.sh stage 2".
        public var name: String
        /// `--train-pieces` and `--validation-pieces` (pieces).
        public var trainPieces: Int
        public var validationPieces: Int
        /// `--seed`: the split's, the choice's and the weights'.
        public var seed: UInt64

        public init(name: String, trainPieces: Int, validationPieces: Int, seed: UInt64) {
            self.name = name
            self.trainPieces = trainPieces
            self.validationPieces = validationPieces
            self.seed = seed
        }
    }

    /// The runs of `scripts/train/*.sh` behind the shipped models (hasher, piano-roll hasher, shingle reducer, the
    /// embedder's two stages). `ShippedModelPiecesTests` reads the scripts and checks this list against them.
    public static let runs: [Run] = [
        Run(name: "hasher.sh", trainPieces: 200, validationPieces: 30, seed: 20),
        Run(name: "pianoroll-hasher.sh", trainPieces: 200, validationPieces: 30, seed: 20),
        Run(name: "shingles.sh", trainPieces: 200, validationPieces: 30, seed: 20),
        Run(name: "embedder.sh stage 1", trainPieces: 200, validationPieces: 30, seed: 20),
        Run(name: "embedder.sh stage 2", trainPieces: 800, validationPieces: 30, seed: 20),
    ]

    /// The keys among `keys` (a corpus's pieces, file names without extension) that any of `runs` trained or
    /// validated on.
    public static func used(keys: [String], runs: [Run] = runs) throws -> Set<String> {
        var used = Set<String>()
        for run in runs {
            let chosen = try TrainingRunMaterial.chosenKeys(from: keys, trainPieces: run.trainPieces,
                                                            validationPieces: run.validationPieces, seed: run.seed)
            used.formUnion(chosen.train)
            used.formUnion(chosen.validation)
        }
        return used
    }

    /// The keys among `keys` that none of `runs` trained or validated on, sorted: the split's whole test part
    /// and the training and validation pieces beyond every run's prefix.
    public static func unused(keys: [String], runs: [Run] = runs) throws -> [String] {
        let used = try used(keys: keys, runs: runs)
        return Array(Set(keys).subtracting(used)).sorted()
    }

    /// The MIDI pieces of `corpus` (`CorpusSplit.pieces(in:)`) that none of `runs` trained or validated on, sorted
    /// by key.
    /// - Throws: `RefrainError.fileNotFound` for a missing folder, `invalidArgument` for one without MIDI files.
    public static func unused(corpus: URL, runs: [Run] = runs) throws -> [(key: String, url: URL)] {
        let pieces = try CorpusSplit.pieces(in: corpus)
        let used = try used(keys: pieces.map(\.key), runs: runs)
        return pieces.filter { !used.contains($0.key) }
    }
}
