import ArgumentParser
import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// `refrain-bench index`: a synthetic collection of chroma-like `.npy` sequences, added through the real
/// add path (files, hashing, both cores, durable writes, shingle graph), then excerpt queries with and
/// without shingle pruning.
struct BenchIndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index",
        abstract: "Add throughput, bytes per item and query latency on a synthetic chroma collection.")

    @Option(help: "Items in the collection.") var items = 1000
    @Option(help: "Queries (excerpts of random items with noise).") var queries = 50
    @Option(help: "Feature frames per second (CENS-like rate).") var frameRate = 2.0
    @Option(help: "Query excerpt length, seconds.") var excerptSeconds = 30.0
    @Option(help: "Work directory (default: a fresh temporary one, removed afterwards).") var workDirectory: String?

    func run() throws {
        let fm = FileManager.default
        let work = URL(fileURLWithPath: workDirectory ?? (NSTemporaryDirectory() + "refrain-bench-index-\(getpid())"))
        try? fm.removeItem(at: work)
        let files = work.appendingPathComponent("files"), dir = work.appendingPathComponent("index")
        try fm.createDirectory(at: files, withIntermediateDirectories: true)
        defer { if workDirectory == nil { try? fm.removeItem(at: work) } }

        var generator = SplitMix64(seed: 42)
        var collection: [Matrix] = []
        for i in 0..<items {
            let seconds = 120 + Double(generator.next() % 240)
            let matrix = SyntheticChroma.sequence(frames: Int(seconds * frameRate), using: &generator)
            collection.append(matrix)
            try NPY.write(matrix, to: files.appendingPathComponent(String(format: "item%06d.npy", i)))
        }
        let analyzer = NPYFeatureAnalyzer(arrayName: "cens", frameRate: frameRate)
        let settings = IndexSettings(analyzer: analyzer.identifier, features: analyzer.settings,
                                     shingles: ShingleSettings(array: "cens", length: 20, hop: 5, dimensions: 30))
        let store = try IndexStore.create(at: dir, settings: settings)
        let jobs = IndexAdder.jobs(for: [files], analyzer: analyzer).jobs
        let report = try IndexAdder.add(jobs, to: store, analyzer: analyzer, threads: 2)
        let stats = try IndexStats(store: store)
        print(String(format: "add: %d items, %.1f h of content in %.2f s: %.0f items/s, %.0fx real time",
                     report.added.count, stats.totalDuration / 3600, report.seconds,
                     Double(report.added.count) / report.seconds, report.realTimeFactor))
        print(String(format: "size: %.0f bytes per item (arrays %lld, ann %lld, catalog %lld bytes in all)",
                     stats.bytesPerItem, stats.arrayBytes, stats.annBytes, stats.catalogBytes))

        let registry = StageRegistry.standard
        let pruned = try registry.cascade(QueryEngine.defaultSpecs(for: settings, prune: true), store: store)
        let exhaustive = try registry.cascade(QueryEngine.defaultSpecs(for: settings, prune: false), store: store)
        var prunedTimes: [Double] = [], fullTimes: [Double] = []
        var kept = 0, prunedHits = 0, fullHits = 0
        let excerptFrames = Int(excerptSeconds * frameRate)
        for q in 0..<queries {
            let target = Int(generator.next() % UInt64(items))
            let source = collection[target]
            let start = Int(generator.next() % UInt64(max(source.rows - excerptFrames, 1)))
            let excerpt = SyntheticChroma.noisy(source.rows(start..<min(start + excerptFrames, source.rows)), using: &generator)
            let times = (0..<excerpt.rows).map { Double($0) / frameRate }
            let query = SearchQuery(analysis: ItemAnalysis(kind: .features, duration: Double(excerpt.rows) / frameRate,
                                                           features: ["cens": FeatureSequence(values: excerpt, times: times)]), topK: 10)
            let key = String(format: "item%06d", target)
            var t0 = DispatchTime.now().uptimeNanoseconds
            let a = try pruned.search(query, store: store).ranking
            prunedTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            t0 = DispatchTime.now().uptimeNanoseconds
            let b = try exhaustive.search(query, store: store).ranking
            fullTimes.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            if a.first?.key == b.first?.key { kept += 1 }
            if a.first?.key == key { prunedHits += 1 }
            if b.first?.key == key { fullHits += 1 }
            _ = q
        }
        let p = RetrievalMetrics.percentile
        print(String(format: "query with pruning:    p50 %.4f s, p95 %.4f s, top-1 correct %d/%d",
                     p(prunedTimes, 50), p(prunedTimes, 95), prunedHits, queries))
        print(String(format: "query exhaustive:      p50 %.4f s, p95 %.4f s, top-1 correct %d/%d",
                     p(fullTimes, 50), p(fullTimes, 95), fullHits, queries))
        print(String(format: "exhaustive top-1 kept by pruning: %d/%d (%.1f %%)", kept, queries, 100 * Double(kept) / Double(max(queries, 1))))
        print("peer: none measured (no peer library implements this index end to end)")
    }
}

/// Chroma-like test sequences: a slowly drifting non-negative 12-dim random walk, each frame unit length.
enum SyntheticChroma {
    static func uniform(_ generator: inout SplitMix64) -> Float { Float(generator.next() >> 40) / Float(1 << 24) }

    static func sequence(frames: Int, using generator: inout SplitMix64) -> Matrix {
        var m = Matrix(rows: frames, cols: 12)
        var state = (0..<12).map { _ in uniform(&generator) }
        for r in 0..<frames {
            if generator.next() % 8 == 0 { state = (0..<12).map { _ in uniform(&generator) } }  // a chord change
            for c in 0..<12 { state[c] = max(0, state[c] + 0.1 * (uniform(&generator) - 0.5)) }
            let norm = max(state.reduce(0) { $0 + $1 * $1 }.squareRoot(), 1e-6)
            for c in 0..<12 { m[r, c] = state[c] / norm }
        }
        return m
    }

    static func noisy(_ matrix: Matrix, using generator: inout SplitMix64) -> Matrix {
        var m = matrix
        for r in 0..<m.rows {
            var norm: Float = 0
            for c in 0..<12 { m[r, c] = max(0, m[r, c] + 0.15 * (uniform(&generator) - 0.5)); norm += m[r, c] * m[r, c] }
            for c in 0..<12 { m[r, c] /= max(norm.squareRoot(), 1e-6) }
        }
        return m
    }
}
