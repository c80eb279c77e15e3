import Foundation
import RefrainIndex
import RefrainMath

/// Distractors for an index that also stores hash sequences (`Distractors` reads float arrays only): each is
/// a real item's arrays played backwards and resampled by a tempo factor in 0.8...1.25, chroma arrays also
/// rotated by a random number of semitones, hash sequences reversed and resampled by the same factor (nearest
/// code). Real music's frame and code statistics, no passage matching any query. A one-frame array (a learned
/// embedding, which pooling makes blind to time reversal) is instead a blend of two real items' vectors,
/// `normalise(a + w b)` with `w` in 0.3...0.7: synthetic, between real pieces, matching no query's piece.
public enum LearnedDistractors {
    /// How the source item of each distractor is drawn.
    public enum SourceDraw: String, Sendable, CaseIterable {
        /// A seeded permutation of the sources, cycled: after `n` feature-level distractors in the index (over
        /// every call), each of `k` sources has been used floor(n/k) or ceil(n/k) times, so that no piece is
        /// copied more than the others (the default from the sixteenth round).
        case evenly
        /// Uniformly with replacement (before the sixteenth round): with 433 sources and 9,372 distractors some
        /// pieces had 30 copies, and one that resembles many queries (a "hub") filled their version places.
        case withReplacement = "with-replacement"
    }

    /// The source (an index into the sources) of the `n`-th feature-level distractor of an index, counted over
    /// every call, under `SourceDraw.evenly`: `order` (`sourceOrder`) cycled.
    static func evenSource(_ n: Int, order: [Int]) -> Int { order[n % order.count] }

    /// The permutation `evenSource` cycles, drawn with `seed` (its own stream, so the tempo factors, key shifts
    /// and blend partners drawn from `seed` stay those of `SourceDraw.withReplacement`).
    static func sourceOrder(sources: Int, seed: UInt64) -> [Int] {
        var order = Array(0..<sources)
        var random = SplitMix64(seed: seed ^ 0x5EED_50C3)
        order.shuffle(using: &random)
        return order
    }

    /// Adds `count` distractors made from the items of `store` not keyed in `excluding` (indexed recordings,
    /// rendered realistic distractors included; never another feature-level distractor), each source drawn as
    /// `draw` says, in batches of `batch`; `progress` gets the number added so far. Keys `distractor-000000`,
    /// .... Then the shingle graph is
    /// brought up to date on `threads` threads (`ShingleIndex.update`: rebuilt from scratch once the collection
    /// has doubled, as `refrain index rebuild` does), since the learned cascade's shingle vote reads it: a graph
    /// without the distractors hands the vote's keep to real items only, which lowered survival at 10,000 items
    /// from 95.9 % to 90.7 % on the report half (ninth round).
    /// - Returns: seconds spent, the graph's update included.
    public static func add(_ count: Int, to store: IndexStore, excluding: Set<String> = [], seed: UInt64 = 7,
                           draw: SourceDraw = .evenly, batch: Int = 256, threads: Int = ComputeBudget.machine.threads,
                           progress: ((Int) -> Void)? = nil) throws -> Double {
        let started = Date()
        // Real items only (indexed files, realistic distractors included), never a feature-level distractor.
        let items = try store.items()
        let sources = items.filter { !excluding.contains($0.key) && !$0.path.hasPrefix("distractor:") }
        guard !sources.isEmpty else {
            throw RefrainError.invalidArgument("no items to make distractors from: every indexed item is looked for by a query (add realistic distractors first)")
        }
        var generator = SplitMix64(seed: seed)
        var pending: [StagedItem] = []
        var loaded: [Int64: [(info: StoredArrayInfo, feature: StoredFeature)]] = [:]
        let first = items.filter { $0.key.hasPrefix("distractor-") }.count
        // Feature-level distractors already made (by an earlier call): the even draw goes on where it stopped.
        let made = items.filter { $0.path.hasPrefix("distractor:") }.count
        let order = sourceOrder(sources: sources.count, seed: seed)
        for k in 0..<count {
            let drawn = sources[Int(generator.next() % UInt64(sources.count))]
            let source = draw == .evenly ? sources[evenSource(made + k, order: order)] : drawn
            let factor = 0.8 + 0.45 * Double(generator.next() % 1000) / 1000
            let shift = Int(generator.next() % 12)
            let partner = sources[Int(generator.next() % UInt64(sources.count))]
            let weight = 0.3 + 0.4 * Float(generator.next() % 1000) / 1000
            for id in [source.id, partner.id] where loaded[id] == nil {
                loaded[id] = try store.arrays(of: id).map { ($0, try store.feature($0)) }
            }
            var features: [String: FeatureSequence] = [:], codes: [String: CodeSequence] = [:]
            for (info, feature) in loaded[source.id]! {
                if info.dtype == .uint16 {
                    let values = feature.values.withElements(of: UInt16.self) { Array($0) }
                    codes[info.name] = try reversedCodes(values, dims: info.dims, times: feature.times, factor: factor)
                } else if !info.dtype.isInteger && info.frames == 1 {
                    let other = loaded[partner.id]!.first { $0.info.name == info.name }?.feature.sequence().values.storage
                    features[info.name] = blended(feature.sequence(), other, weight: weight)
                } else if !info.dtype.isInteger {
                    let sequence = feature.sequence()
                    features[info.name] = Distractors.reversed(sequence, factor: factor, shift: sequence.dimension == 12 ? shift : 0)
                }
            }
            let key = String(format: "distractor-%06d", first + k)
            let analysis = ItemAnalysis(kind: source.kind, duration: source.duration * factor, features: features, codes: codes)
            pending.append(try store.stage(key: key, path: "distractor:\(source.key)", title: nil,
                                           sha256: SHA256.hex(of: Data("\(seed)/\(key)/\(source.sha256)".utf8)), analysis: analysis))
            if pending.count == batch || k == count - 1 {
                for outcome in try store.commit(pending) { _ = try outcome.get() }
                pending.removeAll(keepingCapacity: true)
                progress?(k + 1)
            }
        }
        _ = try ShingleIndex.update(store, threads: threads)
        return Date().timeIntervalSince(started)
    }

    /// `normalise(a + weight b)` of a one-frame sequence `a` and values `b` (`a` unchanged when `b` is absent or
    /// of another size).
    static func blended(_ a: FeatureSequence, _ b: [Float]?, weight: Float) -> FeatureSequence {
        var v = a.values.storage
        if let b, b.count == v.count { for k in 0..<v.count { v[k] += weight * b[k] } }
        let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
        if norm > 0 { v = v.map { $0 / norm } }
        return FeatureSequence(values: Matrix(rows: 1, cols: v.count, storage: v), times: a.times)
    }

    /// A `frames x dims` uint16 code sequence backwards, `factor` times as long (nearest code), with evenly
    /// spaced times over the scaled span.
    static func reversedCodes(_ values: [UInt16], dims: Int, times: [Double], factor: Double) throws -> CodeSequence {
        let n = values.count / max(dims, 1)
        let m = max(1, Int((Double(n) * factor).rounded()))
        var out = [UInt16](repeating: 0, count: m * dims)
        for i in 0..<m {
            let source = n - 1 - min(n - 1, Int(Double(i) / factor))
            for c in 0..<dims { out[i * dims + c] = values[source * dims + c] }
        }
        let start = times.first ?? 0, step = n > 1 ? (times[n - 1] - start) / Double(n - 1) * factor : 1
        return try CodeSequence(array: NPYArray(out, shape: [m, dims]), times: (0..<m).map { start + Double($0) * step })
    }
}
