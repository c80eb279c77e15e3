import Foundation
import Refrain
import RefrainSymbolic

extension LearnedBenchCommand {
    /// `--render-split-timing`: how much of a MIDI query's rendering two threads can take
    /// (`MIDIScore.renderingParts`, as the engine renders a query's score by default). For every query of the
    /// half, the score rendered whole and each of its two parts rendered alone, one after another on one thread
    /// (16 kHz, linear interpolation: the engine's defaults), each the fastest of `repeats` tries, so that the
    /// ratio holds on a loaded machine: on two free cores the split render lasts about its slower part.
    func renderSplitTiming(_ queries: [EvalQuery], repeats: Int = 3) throws {
        let renderer = try MIDIRenderer(sampleRate: 16000, interpolation: .linear)
        func fastest(_ score: MIDIScore, end: Double) throws -> Double {
            var best = Double.infinity
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                _ = try renderer.render(score, end: end)
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            return best
        }
        var whole: [Double] = [], slower: [Double] = [], both: [Double] = []
        for query in queries {
            let score = try MIDIScore(contentsOf: URL(fileURLWithPath: query.path))
            let parts = score.renderingParts(2)
            let times = try parts.map { try fastest($0, end: score.endTime) }
            whole.append(try fastest(score, end: score.endTime))
            slower.append(times.max() ?? 0)
            both.append(times.reduce(0, +))
        }
        let sum = { (values: [Double]) in values.reduce(0, +) }
        print("render split timing, \(queries.count) queries (fastest of \(repeats) each, one thread, one after another):")
        print("  whole render       " + Self.percentiles(whole) + ", total \(fmt(sum(whole), 2)) s")
        print("  slower part        " + Self.percentiles(slower) + ", total \(fmt(sum(slower), 2)) s (the split render's time on two free cores)")
        print("  both parts         " + Self.percentiles(both) + ", total \(fmt(sum(both), 2)) s (work added by splitting: both parts against whole)")
        print("  per query, slower part / whole: p50 " + fmt(Self.median(zip(slower, whole).map { $0 / max($1, 1e-9) }), 3))
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}
