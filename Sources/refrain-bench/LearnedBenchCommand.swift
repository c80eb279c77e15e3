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
        the same run. Then adds --realistic distractors (pieces of --train-corpus that no shipped model trained or \
        validated on, rendered and indexed as recordings) and feature-level distractors (real items' arrays \
        and hash sequences reversed in time and tempo-scaled, embeddings blended from two real items; each \
        rendered piece the source of as many as the others) up to each --sizes total and measures again \
        (exhaustive and shingle cascades only at the base size). Figures before the sixteenth round used the \
        old collection: --realistic-pieces test-part --distractor-draw with-replacement.
        """)

    @Option(help: "Folder of MIDI files.") var corpus = "../shared/corpus"
    @Option(help: "Use the first N files (name order).") var limit = Int.max
    @Option(help: "Cache folder for recordings and queries (shared with `retrieval`).") var work = ".cache/bench-retrieval"
    @Option(help: "A hasher model file (default: the shipped model).") var model: String?
    @Option(help: "An embedder model file (default: the shipped model).") var embeddingModel: String?
    @Flag(help: "Measure only the hash stage alone with scores hashed two ways, from their synthesized CQT and from their piano roll (same index, same queries), then stop.")
    var compareMidiHashes = false
    @Option(help: "With --compare-midi-hashes: a piano-roll hasher model file (default: the shipped model).") var pianorollModel: String?
    @Option(help: "Items the hash stage passes on (to the version stage).") var keep = 500
    @Option(help: "Items the embedding stage passes to the hash stage; a comma-separated list measures the cascade at each.") var embeddingKeep = "2000"
    @Option(help: "Items the hash stage passes to the exact stage, as a comma-separated list (default: --keep).") var hashKeeps: String?
    @Flag(help: "Keep an existing --work index (its base set, realistic and feature-level distractors) instead of building it again.") var reuseIndex = false
    @Flag(help: "Measure only at the --sizes (not at the base set nor after the realistic distractors).") var onlySizes = false
    @Option(help: "The embedding stage scans every item below this many, else searches its HNSW graph.") var exactBelow = 50_000
    @Option(help: "Training corpus whose never-used pieces become realistic distractors.") var trainCorpus = "../shared/train-corpus"
    @Option(help: "The training scripts' split (CSV key,split), checked against --train-corpus so that its pieces are those the shipped models saw.") var split = "docs/learned/hasher.split.csv"
    @Option(help: "Realistic distractors (rendered never-used pieces, the first N by name) added before the feature-level ones; all of them when absent; 0: none (then --sizes beyond the base set cannot be reached: feature-level distractors are made from realistic ones only).") var realistic: Int?
    @Option(help: "Which train-corpus pieces are rendered as realistic distractors and may be --held-out-queries: never-used (every piece no shipped model's script chose, from the sixteenth round) or test-part (the split's test part, as before).")
    var realisticPieces: LearnedRealisticDistractors.Pieces = .neverUsed
    @Option(help: "How feature-level distractors draw their source recordings: evenly (a seeded permutation, from the sixteenth round) or with-replacement (as before).")
    var distractorDraw: LearnedDistractors.SourceDraw = .evenly
    @Option(help: "Collection sizes (items, distractors added) to measure at after the base size, comma-separated.") var sizes = "10000"
    @Option(help: "Queries timed at each larger size (spread over the report half).") var timedQueries = 30
    @Option(help: "Which queries: report (odd positions), tuning (even) or all.") var half = "report"
    @Option(help: "Run at most this many queries of the half, spread evenly over it (0: none of it, with --held-out-queries: those alone).") var queries = Int.max
    @Option(help: "With --half tuning: also run this many MIDI queries made from held-out train-corpus pieces (those of --realistic-pieces, which no shipped model trained or validated on) whose rendered recordings the index holds as realistic distractors, each recording the true match (HeldOutPieceQueries; a seeded choice; 0: none).")
    var heldOutQueries = 0
    @Option(help: "The seed of the --held-out-queries choice and of their tempo, program and dropped part.") var heldOutSeed: UInt64 = 15
    @Flag(help: "Only render the development set into --work, then stop.") var prepareOnly = false
    @Option(help: "Items the version stage (banded CENS DTW) passes to the exact stage after hash-dtw, comma-separated; 0: the version stage off.") var versionKeeps = "\(HashedMIDIToAudioTask.versionKeep)"
    @Option(help: "The hash stage's Sakoe-Chiba band as a share of each item's length, comma-separated; 0: full DTW.") var hashBands = HashedMIDIToAudioTask.hashBand
    @Option(help: "Items the shingle vote adds to the embedding's before the hash stage (candidate-union), comma-separated; 0: the embedding alone.") var shingleKeeps = "0"
    @Option(help: "The shingle vote's first items that pass the hash stage whatever their cost (hash-dtw's pass; the vote goes first in the union), comma-separated; 0: none.")
    var hashPasses = "\(HashedMIDIToAudioTask.hashPass)"
    @Option(help: "Frames between the shingles the score votes with in candidate-union (default: the task's).") var shingleHop: Int?
    @Option(help: "The shingle vote's HNSW search breadth in candidate-union, which is also the neighbours each score shingle fetches, comma-separated; 0: the task's (ef and neighbours 200).")
    var shingleEfs = "0"
    @Option(help: "hash-dtw's relative_weight (the cost per code times 1 + w / the mean Hamming distance of all code pairs), comma-separated; 0: the cost per code alone.")
    var hashRelativeWeights = "0"
    @Option(help: "candidate-union's lead: each source's first N items listed first, source by source, so that the hash pass (--hash-passes) takes every source's best, not only the vote's; comma-separated; 0: the vote's list, then the embedding's.")
    var unionLeads = "0"
    @Option(help: "hash-dtw's margin: candidates past its keep whose cost is within 1 + margin times the keep-th cost go on too (at most the keep again); comma-separated; 0: none.")
    var hashMargins = "0"
    @Option(help: "The version stage's pass: hash-dtw's first (cheapest) N items go on to the exact stage whatever their version rank; comma-separated; 0: none.")
    var versionPasses = "\(HashedMIDIToAudioTask.versionPass)"
    @Option(name: .customLong("hash-pianorolls"), help: ArgumentHelp("hash-dtw's pianoroll: a second reading of each MIDI query from its piano roll (the shipped piano-roll hasher) and how the two normalised costs combine: off, only (the piano roll alone), min, mean, rank (reciprocal rank fusion); comma-separated; default: the task's (off)."))
    var hashPianoRolls = HashedMIDIToAudioTask.hashPianoRoll
    @Option(help: "hash-dtw's embedding_weight: the keep taken by reciprocal rank fusion (k 60) of the hash ranking with the candidates' embedding-distance ranking at this weight; comma-separated; 0: by hash cost.")
    var hashEmbeddingWeights = "0"
    @Option(help: "hash-dtw's fusion_k: reciprocal rank fusion's constant k (weight over k + rank) for --hash-embedding-weights and --hash-pianorolls rank; comma-separated.")
    var hashFusionKs = "60"
    @Option(help: "A third source in candidate-union: hash-dtw reading each MIDI query from its piano roll alone (pianoroll=only, the hash band) over every audio item, keeping this many; comma-separated; 0: none.")
    var unionPianoRollKeeps = "0"
    @Flag(help: "Measure only the embedding stage alone (every item ranked; with its mean reciprocal rank and median rank) at each size, nothing after it.")
    var embeddingOnly = false
    @Flag(help: "Print each query's ranks per stage with what might explain a loss (category, tempo ratio, share of notes kept).") var perQuery = false
    @Flag(help: "Also run each cascade setting twice more per query to find the true recording's rank after each stage (hash-dtw among the union's items, the version stage among hash-dtw's), and print each rank's largest values and 95th/99th percentiles: how near each keep is to losing a query (with --cascade-only: only these ranks beside the cascade's).")
    var stageRanks = false
    @Flag(help: "Run only the learned cascade settings per query (no stage-alone diagnostics, no peers): for timing, with top-1 and survival.")
    var cascadeOnly = false
    @Flag(help: "With --cascade-only: also run exhaustive search per query (every pruning stage off: the exact stage ranks every audio item; slow: 14 s per query at 10,000 items under load 7 in the thirteenth round) and print how many queries' first item it shares with each cascade setting and, for the others, whether the cascade pruned exhaustive search's first item or ranked it lower.")
    var exhaustive = false
    @Flag(help: "Only time the MIDI queries' rendering whole and in the two parts the engine renders at once, then stop.")
    var renderSplitTiming = false
    @Flag(help: "Render each MIDI query in parts on every thread at once (Engine.Configuration.splitsScoreRendering, off by default) instead of whole on one thread.")
    var renderSplit = false

    func run() throws {
        guard !exhaustive || cascadeOnly else {
            throw RefrainError.invalidArgument("--exhaustive goes with --cascade-only (without it, exhaustive search runs at the base size only)")
        }
        let workURL = URL(fileURLWithPath: work)
        var clock = Date()
        let set = try DevelopmentSet(corpus: URL(fileURLWithPath: corpus), directory: workURL, limit: limit) { line in
            FileHandle.standardError.write(Data("\rpreparing \(line)      ".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("set          \(set.recordings.count) recordings (\(fmt(set.recordingSeconds / 60, 1)) min), \(set.midiQueries.count) MIDI queries; prepared in \(fmt(Date().timeIntervalSince(clock), 1)) s")
        if prepareOnly { return }
        if compareMidiHashes { return try compareMIDIHashes(set, work: workURL) }
        if renderSplitTiming { return try renderSplitTiming(try chosenQueries(set)) }

        var configuration = Engine.Configuration.learned()
        configuration.splitsScoreRendering = renderSplit
        let indexURL = workURL.appendingPathComponent("learned-index-\(set.recordings.count)")
        let reusing = reuseIndex && FileManager.default.fileExists(atPath: indexURL.appendingPathComponent(IndexStore.catalogName).path)
        if !reusing { try? FileManager.default.removeItem(at: indexURL) }
        var settings: [String: [String: String]] = [:]
        if let model { settings[HashEncoder.name] = ["model": URL(fileURLWithPath: model).path] }
        if let embeddingModel { settings[EmbeddingEncoder.name] = ["model": URL(fileURLWithPath: embeddingModel).path] }
        clock = Date()
        let engine: Engine
        var stats: IndexStats
        if reusing {
            engine = try Engine.open(at: indexURL, configuration: configuration)
            stats = try engine.stats().stats
            print("reused       \(indexURL.path): \(stats.itemCount) items, \(Int(stats.bytesPerItem / 1024)) KiB per item")
        } else {
            engine = try Engine.create(at: indexURL, layout: .music(settings: settings), configuration: configuration)
            let jobs = try engine.jobs(for: set.recordings).jobs
            let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
            stats = try engine.stats().stats
            print("")
            print("add          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s (cqt_beats, cens, hashes, embedding), \(Int(stats.bytesPerItem / 1024)) KiB per item")
        }
        for name in [HashEncoder.name, EmbeddingEncoder.name] {
            let encoder = try configuration.encoders.make(name, settings: settings[name] ?? [:])
            print("model        \(encoder.record.identity) (weights SHA-256 \(encoder.record.weightsSHA256 ?? "-"))")
        }

        var queries = try chosenQueries(set)
        print("queries      \(queries.count) MIDI queries (\(half) half)")
        if heldOutQueries > 0 {
            let extra = try heldOutQueries(keys: Set(try engine.items().map(\.key)), work: workURL)
            print("held out     \(extra.count) MIDI queries from \(realisticPieces.rawValue) pieces of \(trainCorpus) (split \(split), seed \(heldOutSeed)), each recording in the index its true match")
            queries += extra
        }
        guard !queries.isEmpty else { throw RefrainError.invalidArgument("no queries: --queries 0 runs the --held-out-queries alone") }

        let audioItems = try engine.stats().stats.itemCount
        if !onlySizes { try measure(engine, queries: queries, items: audioItems, peers: !reusing) }
        // The realistic distractors go into an index holding the base set only (a new one, or one reused before them).
        if realistic ?? 1 > 0 && audioItems == set.recordings.count {
            clock = Date()
            let trainURL = URL(fileURLWithPath: trainCorpus)
            let keys = try LearnedRealisticDistractors.keys(realisticPieces, corpus: trainURL, split: URL(fileURLWithPath: split))
            let files = try LearnedRealisticDistractors.recordings(
                corpus: trainURL, keys: keys, directory: workURL.appendingPathComponent(realisticPieces.folder),
                count: realistic ?? keys.count) { done in
                FileHandle.standardError.write(Data("\rrendering distractors \(done)      ".utf8))
            }
            let rendered = Date().timeIntervalSince(clock)
            let distractorJobs = try engine.jobs(for: files).jobs
            let added = try engine.add(distractorJobs, progress: ProgressReporter(total: distractorJobs.count, label: "indexing distractors"))
            stats = try engine.stats().stats
            print("")
            print("realistic    \(added.added.count) rendered \(realisticPieces.rawValue) pieces of \(trainCorpus) (of \(keys.count); no shipped model trained or validated on them) added: rendered in \(fmt(rendered, 1)) s, indexed in \(fmt(Date().timeIntervalSince(clock) - rendered, 1)) s; \(stats.itemCount) items, \(Int(stats.bytesPerItem / 1024)) KiB per item")
            if !onlySizes { try measure(engine, queries: queries, items: stats.itemCount, peers: false) }
        }
        for size in try sizeList() where size >= (try engine.stats().stats.itemCount) {
            let opening = Date()
            let store = try IndexStore.open(at: indexURL, writable: true)
            let current = try store.itemCount
            print("open         writable in \(fmt(Date().timeIntervalSince(opening), 2)) s (a sweep of unreferenced files unless the last writer closed cleanly)")
            if size > current {
                clock = Date()
                // Made from no query's recording, of either half (so one index serves both halves).
                let seconds = try LearnedDistractors.add(size - current, to: store, excluding: Set(set.midiQueries.flatMap(\.relevant)),
                                                         draw: distractorDraw, threads: configuration.budget.threads) { done in
                    FileHandle.standardError.write(Data("\rdistractors \(done)/\(size - current)      ".utf8))
                }
                print("")
                print("distractors  \(size - current) feature-level added (sources drawn \(distractorDraw.rawValue)) in \(fmt(seconds, 1)) s (the shingle graph brought up to date)")
            } else {
                // A reused index whose graph missed its distractors (built before the tenth round's fix) is mended.
                _ = try ShingleIndex.update(store, threads: configuration.budget.threads)
            }
            stats = try engine.stats().stats
            print("collection   \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h, \(Int(stats.bytesPerItem / 1024)) KiB per item on disk (all arrays)")
            let step = max(1, queries.count / max(1, timedQueries))
            let timed = stride(from: 0, to: queries.count, by: step).map { queries[$0] }
            try warmUp(engine, query: timed[0])
            print("memory       \(Self.residentMiB()) MiB resident in this process after the first query")
            try measure(engine, queries: size <= 20_000 ? queries : timed, items: stats.itemCount, peers: false)
            print("memory       \(Self.residentMiB()) MiB resident in this process after the queries")
        }
    }

    /// The MIDI queries of `--half`, at most `--queries` of them spread evenly over it.
    func chosenQueries(_ set: DevelopmentSet) throws -> [EvalQuery] {
        var queries: [EvalQuery]
        switch half {
        case "report": queries = set.midiQueries.enumerated().filter { $0.offset % 2 == 1 }.map(\.element)
        case "tuning": queries = set.midiQueries.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        case "all": queries = set.midiQueries
        default: throw RefrainError.invalidArgument("--half is report, tuning or all, not '\(half)'")
        }
        if self.queries == 0 { return [] }
        if self.queries < queries.count {
            let stride = Double(queries.count) / Double(max(self.queries, 1))
            queries = (0..<max(self.queries, 1)).map { queries[Int(Double($0) * stride)] }
        }
        return queries
    }

    /// `--held-out-queries` of the `--realistic-pieces` whose recordings are among `keys`, written into
    /// `work`/held-out-queries; only with the tune half, after checking that the split is the training scripts'.
    func heldOutQueries(keys: Set<String>, work: URL) throws -> [EvalQuery] {
        guard half == "tuning" else { throw RefrainError.invalidArgument("--held-out-queries are tune queries: use them with --half tuning") }
        let corpusURL = URL(fileURLWithPath: trainCorpus)
        let pieces = try LearnedRealisticDistractors.keys(realisticPieces, corpus: corpusURL, split: URL(fileURLWithPath: split))
        let eligible = HeldOutPieceQueries.eligible(pieces: pieces, indexedKeys: keys)
        return try HeldOutPieceQueries.queries(keys: HeldOutPieceQueries.chosen(eligible, count: heldOutQueries, seed: heldOutSeed), corpus: corpusURL,
                                               directory: work.appendingPathComponent("held-out-queries"), seed: heldOutSeed)
    }

    func sizeList() throws -> [Int] { try positiveInts(sizes, option: "--sizes") }

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

    /// The mean reciprocal rank and the median rank of `ranks` (a query whose true recording is not ranked
    /// counts 0 and last).
    static func rankSummary(_ ranks: [Int?]) -> String {
        guard !ranks.isEmpty else { return "-" }
        let sorted = ranks.map { $0 ?? .max }.sorted()
        let mrr = ranks.reduce(0.0) { $0 + ($1.map { 1 / Double($0) } ?? 0) } / Double(ranks.count)
        let median = sorted[sorted.count / 2]
        return "mean reciprocal rank \(fmt(mrr, 3)), median rank \(median == .max ? "unranked" : "\(median)")"
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
}
