import Foundation
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// More tune queries for the learned cascade's survival: MIDI queries made from pieces of the training corpus
/// that no shipped model trained or validated on (`ShippedModelPieces.unused`: the test part of the split every
/// training script draws, `docs/learned/hasher.split.csv`, seed 20, and the training and validation pieces beyond
/// the scripts' seeded choices; before the sixteenth round the test part only), whose rendered recordings
/// `refrain-bench learned` indexes as realistic distractors (`distractor-<piece>`). Each such recording is then
/// the query's true match. The query is
/// made from the score as a development-set MIDI query is (`DevelopmentSet.midiQueryScore`: a global tempo change
/// of 0.8-1.25, the first pitched part on another program, one part dropped), seeded per piece.
/// Not the report half, never trained on: fair to tune keeps and margins on (Raffel & Ellis 2016 tune their
/// pruning thresholds on held-out pairs in the same way).
public enum HeldOutPieceQueries {
    /// The key prefix of a rendered held-out piece's item in the bench's index (`distractor-<piece>`).
    public static let recordingPrefix = "distractor-"

    /// The seed of the split the shipped models' training scripts draw (`scripts/train/*.sh`: `--seed 20`).
    public static let trainingSeed: UInt64 = 20

    /// The `pieces` (never-used keys: `ShippedModelPieces.unused`, or a split's test part) whose recording
    /// (`recordingPrefix` + key) is among `indexedKeys`, sorted.
    public static func eligible(pieces: [String], indexedKeys: Set<String>) -> [String] {
        pieces.filter { indexedKeys.contains(recordingPrefix + $0) }.sorted()
    }

    /// At most `count` of `keys`, a seeded choice (the same keys and seed choose the same), sorted.
    public static func chosen(_ keys: [String], count: Int, seed: UInt64) -> [String] {
        var order = keys.sorted()
        var random = SplitMix64(seed: seed)
        order.shuffle(using: &random)
        return Array(order.prefix(max(0, count))).sorted()
    }

    /// Throws unless `split` is the split drawn from the MIDI pieces of `corpus` with `seed` (the training
    /// scripts' seed), so that its test part is what no model saw.
    public static func verify(_ split: CorpusSplit, corpus: URL, seed: UInt64 = trainingSeed) throws {
        let drawn = try CorpusSplit.drawn(keys: try CorpusSplit.pieces(in: corpus).map(\.key), seed: seed)
        guard drawn == split else {
            throw RefrainError.invalidArgument("the split is not the one the training scripts draw from \(corpus.path) with seed \(seed): its test part may hold trained pieces")
        }
    }

    /// Writes one MIDI query per key of `keys` into `directory` (`<key>-heldout-<seed>.mid`, made again only when
    /// absent) from `corpus`'s MIDI file of that key (as `CorpusSplit.pieces(in:)` finds them), and returns the
    /// queries in the order of `keys`, each with its recording's key as the relevant item.
    /// - Throws: `RefrainError.fileNotFound` naming a key without a MIDI file; the MIDI reader's error for a bad one.
    public static func queries(keys: [String], corpus: URL, directory: URL, seed: UInt64) throws -> [EvalQuery] {
        let fm = FileManager.default
        try fm.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = Dictionary(try CorpusSplit.pieces(in: corpus).map { ($0.key, $0.url) }, uniquingKeysWith: { first, _ in first })
        return try keys.map { key in
            guard let file = files[key] else { throw RefrainError.fileNotFound(corpus.appendingPathComponent("\(key).mid").path) }
            let target = directory.appendingPathComponent("\(key)-heldout-\(seed).mid")
            if !fm.fileExists(atPath: target.path) {
                var random = SplitMix64(seed: seed ^ FNV1a.hash(key))
                try DevelopmentSet.midiQueryScore(try MIDIScore(contentsOf: file), random: &random).write(to: target)
            }
            return EvalQuery(id: "\(key)-heldout-midi", path: target.path, task: MIDIToAudioTask().name,
                             relevant: [recordingPrefix + key])
        }
    }
}
