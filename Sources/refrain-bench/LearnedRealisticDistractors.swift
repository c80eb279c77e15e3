import Foundation
import Refrain
import RefrainAudio
import RefrainSymbolic

/// Realistic distractors for `refrain-bench learned`: pieces of the training corpus that no learned model saw
/// (the `test` part of the hasher's split, docs/learned/hasher.split.csv), each rendered once as a recording
/// with the engine's soundfont and a smooth tempo curve (0.9-1.1, seeded per piece) and indexed like every
/// other recording. Renders are cached in `directory`.
enum LearnedRealisticDistractors {
    /// The rendered recordings of up to `count` test-part pieces of `corpus` (keys from `split`, name order).
    static func recordings(corpus: URL, split: URL, directory: URL, count: Int, progress: (Int) -> Void) throws -> [URL] {
        let text = try String(contentsOf: split, encoding: .utf8)
        let keys = text.split(separator: "\n").dropFirst().compactMap { line -> String? in
            let parts = line.split(separator: ",")
            return parts.count == 2 && parts[1] == "test" ? String(parts[0]) : nil
        }.sorted().prefix(count)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let renderer = try MIDIRenderer()
        var out: [URL] = []
        for (n, key) in keys.enumerated() {
            let target = directory.appendingPathComponent("distractor-\(key).wav")
            if !FileManager.default.fileExists(atPath: target.path) {
                guard let file = ["mid", "midi"].map({ corpus.appendingPathComponent("\(key).\($0)") })
                    .first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { continue }
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
