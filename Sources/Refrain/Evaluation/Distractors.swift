import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// Distractor items for a scale benchmark, made from the stored features of real items so that their
/// frames have music's statistics while no passage of them matches a real query: each is a source
/// item's sequences reversed in time, resampled by a tempo factor in 0.8...1.25 and (for chroma
/// arrays) cyclically shifted by a random number of semitones. Reversal keeps every frame's chord and
/// timbre but not their order, which is what both retrieval tasks rank by.
public enum Distractors {
    /// Adds `count` distractors to `store` in batches of `batch` items (one flush and one transaction
    /// each), drawn with `seed` from the items already in it except those keyed in `excluding` (the
    /// items the queries look for: a reversed copy of a tune whose chroma hardly moves is a fair match
    /// for it, which would count as a miss), keys `distractor-000000`, ...; then brings the shingle graph
    /// up to date. `progress` gets the number added so far.
    ///
    /// - Returns: the seconds spent adding (arrays and catalog) and updating the shingle graph.
    public static func add(_ count: Int, to store: IndexStore, excluding: Set<String> = [], seed: UInt64 = 7,
                           batch: Int = 256, progress: ((Int) -> Void)? = nil) throws -> (adding: Double, graph: Double) {
        let sources = try store.items().filter { !excluding.contains($0.key) }
        guard !sources.isEmpty else { throw RefrainError.invalidArgument("no items to make distractors from (all \(excluding.count) are looked for by queries: run fewer queries)") }
        var generator = SplitMix64(seed: seed)
        var clock = Date()
        var pending: [StagedItem] = []
        var loaded: [Int64: [(name: String, sequence: FeatureSequence)]] = [:]  // each source read once
        for k in 0..<count {
            let source = sources[Int(generator.next() % UInt64(sources.count))]
            let factor = 0.8 + 0.45 * Double(generator.next() % 1000) / 1000
            let shift = Int(generator.next() % 12)
            if loaded[source.id] == nil {
                loaded[source.id] = try store.arrays(of: source.id).map { (name: $0.name, sequence: try store.feature($0).sequence()) }
            }
            var features: [String: FeatureSequence] = [:]
            for (name, sequence) in loaded[source.id]! {
                features[name] = reversed(sequence, factor: factor, shift: sequence.dimension == 12 ? shift : 0)
            }
            let key = String(format: "distractor-%06d", k)
            let analysis = ItemAnalysis(kind: source.kind, duration: source.duration * factor, features: features)
            pending.append(try store.stage(key: key, path: "distractor:\(source.key)", title: nil,
                                           sha256: SHA256.hex(of: Data("\(seed)/\(key)/\(source.sha256)".utf8)), analysis: analysis))
            if pending.count == batch || k == count - 1 {
                for outcome in try store.commit(pending) { _ = try outcome.get() }
                pending.removeAll(keepingCapacity: true)
                progress?(k + 1)
            }
        }
        let adding = Date().timeIntervalSince(clock)
        clock = Date()
        _ = try ShingleIndex.update(store)
        return (adding, Date().timeIntervalSince(clock))
    }

    /// `sequence` played backwards, `factor` times as long, chroma rotated by `shift` semitones. Frame
    /// times are mirrored (the gaps between beats keep their sizes, in reverse order) and scaled.
    public static func reversed(_ sequence: FeatureSequence, factor: Double, shift: Int) -> FeatureSequence {
        let n = sequence.frameCount, d = sequence.dimension
        var backwards = Matrix(rows: n, cols: d)
        for r in 0..<n { for c in 0..<d { backwards[r, c] = sequence.values[n - 1 - r, c] } }
        let values = cyclicallyShifted(timeScaled(backwards, by: factor), by: shift)
        let start = sequence.times.first ?? 0, end = sequence.times.last ?? 0
        let mirrored = sequence.times.reversed().map { start + (end - $0) }
        // Frame i of the resampled sequence sits at the matching fraction of the mirrored times.
        let times = (0..<values.rows).map { i -> Double in
            let x = Double(i) * Double(n - 1) / Double(max(values.rows - 1, 1))
            let k = min(Int(x), max(n - 2, 0)), f = x - Double(k)
            let t = n > 1 ? mirrored[k] * (1 - f) + mirrored[k + 1] * f : start
            return start + (t - start) * factor
        }
        return FeatureSequence(values: values, times: times)
    }
}
