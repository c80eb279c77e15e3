import ArgumentParser
import Foundation
import Refrain
import RefrainIndex

/// `refrain-bench learned`: the learned cascade (embedding nearest neighbours -> hash-sequence DTW -> exact DTW)
/// on the development benchmark, with realistic and feature-level distractors.
struct LearnedBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learned",
        abstract: "Evaluate the learned embedding and hash stages and the learned MIDI-to-audio cascade (Raffel & Ellis's Table 1).",
        discussion: """
        Renders the development set as `refrain-bench retrieval` does (cached in --work), indexes the recordings \
        with the learned encoders, and runs the MIDI queries of the report half (every second query, odd \
        positions) through: the embedding stage alone and the hash stage alone (every audio item ranked), the \
        learned cascade (embedding-nn keeps --embedding-keep, hash-dtw keeps --keep, then exact Raffel-Ellis \
        DTW), the exhaustive exact stage and today's default cascade (shingle votes -> exact), the peers from \
        the same run. Then adds --realistic distractors (test-part pieces of --train-corpus that no model saw, \
        rendered and indexed as recordings) and feature-level distractors (real items' arrays and hash \
        sequences reversed in time and tempo-scaled, embeddings blended from two real items) up to each \
        --sizes total and measures again (exhaustive and shingle cascades only at the base size).
        """)

    @Option(help: "Folder of MIDI files.") var corpus = "../shared/corpus"
    @Option(help: "Use the first N files (name order).") var limit = Int.max
    @Option(help: "Cache folder for recordings and queries (shared with `retrieval`).") var work = ".cache/bench-retrieval"
    @Option(help: "A hasher model file (default: the shipped model).") var model: String?
    @Option(help: "An embedder model file (default: the shipped model).") var embeddingModel: String?
    @Option(help: "Items the hash stage passes to the exact stage.") var keep = 100
    @Option(help: "Items the embedding stage passes to the hash stage.") var embeddingKeep = 1000
    @Option(help: "The embedding stage scans every item below this many, else searches its HNSW graph.") var exactBelow = 50_000
    @Option(help: "Training corpus whose test-part pieces become realistic distractors.") var trainCorpus = "../shared/train-corpus"
    @Option(help: "The split naming the test part (CSV key,split).") var split = "docs/learned/hasher.split.csv"
    @Option(help: "Realistic distractors (rendered test-part pieces) added before the feature-level ones; 0: none.") var realistic = 433
    @Option(help: "Collection sizes (items, distractors added) to measure at after the base size, comma-separated.") var sizes = "10000"
    @Option(help: "Queries timed at each larger size (spread over the report half).") var timedQueries = 30
    @Option(help: "Which queries: report (odd positions), tuning (even) or all.") var half = "report"
    @Option(help: "Run at most this many queries of the half, spread evenly over it.") var queries = Int.max
    @Flag(help: "Only render the development set into --work, then stop.") var prepareOnly = false

    func run() throws {
        let workURL = URL(fileURLWithPath: work)
        var clock = Date()
        let set = try DevelopmentSet(corpus: URL(fileURLWithPath: corpus), directory: workURL, limit: limit) { line in
            FileHandle.standardError.write(Data("\rpreparing \(line)      ".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("set          \(set.recordings.count) recordings (\(fmt(set.recordingSeconds / 60, 1)) min), \(set.midiQueries.count) MIDI queries; prepared in \(fmt(Date().timeIntervalSince(clock), 1)) s")
        if prepareOnly { return }

        let configuration = Engine.Configuration.learned()
        let indexURL = workURL.appendingPathComponent("learned-index-\(set.recordings.count)")
        try? FileManager.default.removeItem(at: indexURL)
        var settings: [String: [String: String]] = [:]
        if let model { settings[HashEncoder.name] = ["model": URL(fileURLWithPath: model).path] }
        if let embeddingModel { settings[EmbeddingEncoder.name] = ["model": URL(fileURLWithPath: embeddingModel).path] }
        clock = Date()
        let engine = try Engine.create(at: indexURL, layout: .music(settings: settings), configuration: configuration)
        let jobs = try engine.jobs(for: set.recordings).jobs
        let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
        var stats = try engine.stats().stats
        print("")
        print("add          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s (cqt_beats, cens, hashes, embedding), \(Int(stats.bytesPerItem / 1024)) KiB per item")
        for name in [HashEncoder.name, EmbeddingEncoder.name] {
            let encoder = try configuration.encoders.make(name, settings: settings[name] ?? [:])
            print("model        \(encoder.record.identity) (weights SHA-256 \(encoder.record.weightsSHA256 ?? "-"))")
        }

        var queries: [EvalQuery]
        switch half {
        case "report": queries = set.midiQueries.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        case "tuning": queries = set.midiQueries.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        case "all": queries = set.midiQueries
        default: throw RefrainError.invalidArgument("--half is report, tuning or all, not '\(half)'")
        }
        if self.queries < queries.count {
            let stride = Double(queries.count) / Double(max(self.queries, 1))
            queries = (0..<max(self.queries, 1)).map { queries[Int(Double($0) * stride)] }
        }
        print("queries      \(queries.count) MIDI queries (\(half) half)")

        let audioItems = try engine.stats().stats.itemCount
        var measured = try measure(engine, queries: queries, items: audioItems, peers: true)
        if realistic > 0 {
            clock = Date()
            let files = try LearnedRealisticDistractors.recordings(
                corpus: URL(fileURLWithPath: trainCorpus), split: URL(fileURLWithPath: split),
                directory: workURL.appendingPathComponent("distractor-recordings"), count: realistic) { done in
                FileHandle.standardError.write(Data("\rrendering distractors \(done)      ".utf8))
            }
            let rendered = Date().timeIntervalSince(clock)
            let distractorJobs = try engine.jobs(for: files).jobs
            let added = try engine.add(distractorJobs, progress: ProgressReporter(total: distractorJobs.count, label: "indexing distractors"))
            stats = try engine.stats().stats
            print("")
            print("realistic    \(added.added.count) rendered test-part pieces of \(trainCorpus) (no model saw them) added: rendered in \(fmt(rendered, 1)) s, indexed in \(fmt(Date().timeIntervalSince(clock) - rendered, 1)) s; \(stats.itemCount) items, \(Int(stats.bytesPerItem / 1024)) KiB per item")
            measured = try measure(engine, queries: queries, items: stats.itemCount, peers: false)
        }
        for size in try sizeList() where size > (try engine.stats().stats.itemCount) {
            let store = try IndexStore.open(at: indexURL, writable: true)
            let current = try store.itemCount
            guard size > current else { continue }
            clock = Date()
            let seconds = try LearnedDistractors.add(size - current, to: store, excluding: Set(queries.flatMap(\.relevant))) { done in
                FileHandle.standardError.write(Data("\rdistractors \(done)/\(size - current)      ".utf8))
            }
            stats = try engine.stats().stats
            print("")
            print("distractors  \(size - current) feature-level added in \(fmt(seconds, 1)) s; \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h, \(Int(stats.bytesPerItem / 1024)) KiB per item (all arrays)")
            print("memory       \(Self.residentMiB()) MiB resident in this process (index arrays cached for the hash and embedding stages)")
            let step = max(1, queries.count / max(1, timedQueries))
            let timed = stride(from: 0, to: queries.count, by: step).map { queries[$0] }
            measured = try measure(engine, queries: size <= 20_000 ? queries : timed, items: stats.itemCount, peers: false)
        }
        _ = measured
    }

    func sizeList() throws -> [Int] {
        try sizes.split(separator: ",").map { text in
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw RefrainError.invalidArgument("--sizes takes positive item counts, not '\(text)'")
            }
            return n
        }
    }

    /// The rank (1-based) of the first relevant item of `query` in `ranking`, or nil beyond it.
    static func rank(_ query: EvalQuery, _ ranking: [RankedItem]) -> Int? {
        ranking.firstIndex { query.relevant.contains($0.key) }.map { $0 + 1 }
    }

    static func table(_ ranks: [Int?]) -> String {
        let n = Double(max(ranks.count, 1))
        return [1, 10, 100, 1000].map { k in
            "<=\(k) " + fmt(100 * Double(ranks.filter { ($0 ?? .max) <= k }.count) / n, 1) + " %"
        }.joined(separator: "   ")
    }

    static func percentiles(_ values: [Double]) -> String {
        guard !values.isEmpty else { return "-" }
        let sorted = values.sorted()
        func at(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))] }
        return "p50 \(fmt(at(0.5) * 1000, 1)) ms, p95 \(fmt(at(0.95) * 1000, 1)) ms"
    }

    /// Resident memory of this process, MiB (Linux /proc/self/statm).
    static func residentMiB() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return -1 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE))) / (1 << 20)
    }

    @discardableResult
    func measure(_ engine: Engine, queries: [EvalQuery], items: Int, peers: Bool) throws -> [Int?] {
        var embeddingRanks: [Int?] = [], hashRanks: [Int?] = [], cascadeRanks: [Int?] = [], exhaustiveRanks: [Int?] = [], shingleRanks: [Int?] = []
        var embeddingTimes: [Double] = [], hashTimes: [Double] = [], cascadeTimes: [Double] = [], exactTimes: [Double] = []
        var embeddingStageTimes: [Double] = [], hashStageTimes: [Double] = [], shingleTimes: [Double] = [], exhaustiveTimes: [Double] = []
        var agree = 0, shingleAgree = 0, cells = 0, fullCells = 0, hashFullCells = 0, hashCells = 0
        let progress = ProgressReporter(total: queries.count, label: "queries at \(items) items")
        let overrides = ["embedding-nn": ["keep": "\(embeddingKeep)", "exact-below": "\(exactBelow)"], "hash-dtw": ["keep": "\(keep)"]]
        for query in queries {
            let input = QueryInput.file(URL(fileURLWithPath: query.path))
            let embeddingOnly = try engine.query(input, options: QueryOptions(task: EmbeddingOnlyMIDIToAudioTask().name, top: 100_000, id: query.id))
            embeddingRanks.append(Self.rank(query, embeddingOnly.result.ranking))
            embeddingTimes.append(embeddingOnly.trace.first { $0.stage == "embedding-nn" }?.seconds ?? 0)
            _ = HashDTWCells.shared.take()
            let hashOnly = try engine.query(input, options: QueryOptions(task: HashOnlyMIDIToAudioTask().name, top: 1000, id: query.id))
            (hashCells, hashFullCells) = { let c = HashDTWCells.shared.take(); return (hashCells + c.cells, hashFullCells + c.fullCells) }()
            hashRanks.append(Self.rank(query, hashOnly.result.ranking))
            hashTimes.append(hashOnly.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
            let cascade = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000,
                                                                       overrides: overrides, id: query.id))
            let counted = HashDTWCells.shared.take()
            cells += counted.cells
            fullCells += counted.fullCells
            cascadeRanks.append(Self.rank(query, cascade.result.ranking))
            cascadeTimes.append(cascade.result.seconds)
            embeddingStageTimes.append(cascade.trace.first { $0.stage == "embedding-nn" }?.seconds ?? 0)
            hashStageTimes.append(cascade.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
            exactTimes.append(cascade.trace.first { $0.stage == "raffel-ellis" }?.seconds ?? 0)
            if peers {
                let exhaustive = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000, prune: false, id: query.id))
                exhaustiveRanks.append(Self.rank(query, exhaustive.result.ranking))
                exhaustiveTimes.append(exhaustive.result.seconds)
                if exhaustive.result.ranking.first?.key == cascade.result.ranking.first?.key { agree += 1 }
                let shingles = try engine.query(input, options: QueryOptions(task: MIDIToAudioTask().name, top: 1000, id: query.id))
                shingleRanks.append(Self.rank(query, shingles.result.ranking))
                shingleTimes.append(shingles.result.seconds)
                if exhaustive.result.ranking.first?.key == shingles.result.ranking.first?.key { shingleAgree += 1 }
            }
            progress.step()
        }
        let n = queries.count
        func share(_ k: Int, of total: Int) -> String { "\(k) of \(total) (\(fmt(100 * Double(k) / Double(max(total, 1)), 1)) %)" }
        print("")
        print("at \(items) items, \(n) queries: share of queries whose true recording ranks at or above k")
        print("  embedding stage alone   " + Self.table(embeddingRanks) + "   (stage " + Self.percentiles(embeddingTimes) + ", exact scan)")
        print("  hash stage alone        " + Self.table(hashRanks) + "   (stage " + Self.percentiles(hashTimes) + ")")
        print("  learned cascade (embedding keep \(embeddingKeep), hash keep \(keep)) " + Self.table(cascadeRanks) + "   (query " + Self.percentiles(cascadeTimes) + ", analysis included)")
        print("    embedding-nn stage " + Self.percentiles(embeddingStageTimes) + "; hash-dtw stage " + Self.percentiles(hashStageTimes) + "; exact stage " + Self.percentiles(exactTimes))
        print("    hash-dtw cells: alone \(fmt(Double(hashCells) / Double(max(n, 1)) / 1e6, 1)) M per query of \(fmt(Double(hashFullCells) / Double(max(n, 1)) / 1e6, 1)) M without abandoning; in the cascade \(fmt(Double(cells) / Double(max(n, 1)) / 1e6, 2)) M of \(fmt(Double(fullCells) / Double(max(n, 1)) / 1e6, 2)) M")
        let audio = max(items, 1)
        let afterEmbedding = embeddingRanks.filter { ($0 ?? .max) <= embeddingKeep }.count
        let survived = cascadeRanks.filter { $0 != nil }.count
        print("  pruning: embedding-nn keeps \(min(embeddingKeep, audio)) of \(audio) (discards \(fmt(100 * (1 - Double(min(embeddingKeep, audio)) / Double(audio)), 2)) %), true matches kept \(share(afterEmbedding, of: n)); "
              + "then hash-dtw keeps \(min(keep, audio)) (discards \(fmt(100 * (1 - Double(min(keep, audio)) / Double(audio)), 2)) % of all), true matches kept \(share(survived, of: n))")
        for k in [10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10_000] where k < audio {
            let e = embeddingRanks.filter { ($0 ?? .max) <= k }.count, h = hashRanks.filter { ($0 ?? .max) <= k }.count
            print("    keep \(k): true matches kept by the embedding stage alone \(e) of \(n), by the hash stage alone \(h) of \(n)")
        }
        if peers {
            print("  exhaustive exact stage  " + Self.table(exhaustiveRanks) + "   (query " + Self.percentiles(exhaustiveTimes) + ")")
            print("  shingle votes -> exact  " + Self.table(shingleRanks) + "   (query " + Self.percentiles(shingleTimes) + ", today's default)")
            print("  top-1 equal to exhaustive: learned cascade \(agree) of \(n), shingle cascade \(shingleAgree) of \(n)")
        }
        return cascadeRanks
    }
}
