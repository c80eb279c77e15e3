import ArgumentParser
import Foundation
import Refrain
import RefrainAudio
import RefrainSymbolic

extension LearnedDistractors.SourceDraw: ExpressibleByArgument {}

/// Realistic distractors for `refrain-bench learned`: pieces of the training corpus that no shipped model trained
/// or validated on, each rendered once as a recording with the engine's soundfont and a smooth tempo curve
/// (0.9-1.1, its phase from the piece's place in the list) and indexed like every other recording. Renders are
/// cached in a folder of `work` per choice of pieces.
enum LearnedRealisticDistractors {
    /// Which never-used pieces are rendered.
    enum Pieces: String, ExpressibleByArgument, CaseIterable {
        /// Every piece no shipped model's script chose (`ShippedModelPieces.unused`: 1,335 of the 2,165
        /// train-corpus pieces), from the sixteenth round.
        case neverUsed = "never-used"
        /// The split's test part only (433 pieces), as before the sixteenth round.
        case testPart = "test-part"

        /// The cache folder of these renders under the bench's work folder (the test part's is the old one).
        var folder: String { self == .testPart ? "distractor-recordings" : "distractor-recordings-never-used" }
    }

    /// The keys of `pieces` in `corpus`, sorted, after checking that `split` (CSV key,split) is the split the
    /// training scripts draw from `corpus` (so that the corpus is the one the shipped models were trained on).
    static func keys(_ pieces: Pieces, corpus: URL, split: URL) throws -> [String] {
        let parts = try CorpusSplit.read(split)
        try HeldOutPieceQueries.verify(parts, corpus: corpus)
        switch pieces {
        case .testPart: return parts.keys(.test)
        case .neverUsed: return try ShippedModelPieces.unused(corpus: corpus).map(\.key)
        }
    }

    /// The rendered recordings (`distractor-<key>.wav` in `directory`, rendered when absent) of the first `count`
    /// of `keys` (sorted) in `corpus`; a piece shorter than 2 s when rendered is left out.
    static func recordings(corpus: URL, keys: [String], directory: URL, count: Int, progress: (Int) -> Void) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = Dictionary(try CorpusSplit.pieces(in: corpus).map { ($0.key, $0.url) }, uniquingKeysWith: { first, _ in first })
        let renderer = try MIDIRenderer()
        var out: [URL] = []
        for (n, key) in keys.sorted().prefix(max(0, count)).enumerated() {
            let target = directory.appendingPathComponent("distractor-\(key).wav")
            if !FileManager.default.fileExists(atPath: target.path) {
                guard let file = files[key] else { continue }
                let score = try MIDIScore(contentsOf: file)
                let phase = Double(n % 97) / 97 * 6.28
                let played = try score.applyingTempoCurve { seconds in 1 + 0.1 * sin(seconds / 11 + phase) }
                let samples = try renderer.render(played)
                guard samples.count > Int(renderer.sampleRate) * 2 else { continue }
                try writeAudio(samples, sampleRate: Int(renderer.sampleRate), format: .wav16, to: target)
            }
            out.append(target)
            progress(n + 1)
        }
        return out
    }
}
