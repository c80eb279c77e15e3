import ArgumentParser
import Foundation
import Refrain
import RefrainIndex

/// `refrain-bench learned`: the learned cascade (hash-sequence DTW -> exact DTW) on the development benchmark.
struct LearnedBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "learned",
        abstract: "Evaluate the learned hash stage and the hashed MIDI-to-audio cascade (Raffel & Ellis's Table 1).",
        discussion: """
        Renders the development set as `refrain-bench retrieval` does (cached in --work), indexes the recordings \
        with the learned encoders, and runs the MIDI queries of the report half (every second query, odd \
        positions) through: the hash stage alone (every audio item ranked by normalised Hamming DTW), the \
        hashed cascade (hash-dtw keeps --keep, then exact Raffel-Ellis DTW), the exhaustive exact stage and \
        today's default cascade (shingle votes -> exact), the peers from the same run. Then adds distractors \
        (real items' arrays and hash sequences reversed in time and tempo-scaled) up to each --sizes total and \
        measures again (exhaustive and shingle cascades only at the base size).
        """)

    @Option(help: "Folder of MIDI files.") var corpus = "../shared/corpus"
    @Option(help: "Use the first N files (name order).") var limit = Int.max
    @Option(help: "Cache folder for recordings and queries (shared with `retrieval`).") var work = ".cache/bench-retrieval"
    @Option(help: "A hasher model file (default: the shipped model).") var model: String?
    @Option(help: "Items the hash stage passes to the exact stage.") var keep = 100
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
        let settings = model.map { [HashEncoder.name: ["model": URL(fileURLWithPath: $0).path]] } ?? [:]
        clock = Date()
        let engine = try Engine.create(at: indexURL, layout: .music(settings: settings), configuration: configuration)
        let jobs = try engine.jobs(for: set.recordings).jobs
        let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
        var stats = try engine.stats().stats
        print("")
        print("add          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s (cqt_beats, cens, hashes), \(Int(stats.bytesPerItem / 1024)) KiB per item")
        let encoder = try configuration.encoders.make(HashEncoder.name, settings: settings[HashEncoder.name] ?? [:])
        print("hasher       \(encoder.record.identity) (weights SHA-256 \(encoder.record.weightsSHA256 ?? "-"))")

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
        for size in try sizeList() where size > audioItems {
            let store = try IndexStore.open(at: indexURL, writable: true)
            let current = try store.itemCount
            guard size > current else { continue }
            clock = Date()
            let seconds = try LearnedDistractors.add(size - current, to: store, excluding: Set(queries.flatMap(\.relevant))) { done in
                FileHandle.standardError.write(Data("\rdistractors \(done)/\(size - current)      ".utf8))
            }
            stats = try engine.stats().stats
            print("")
            print("distractors  \(size - current) added in \(fmt(seconds, 1)) s; \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h, \(Int(stats.bytesPerItem / 1024)) KiB per item (all arrays)")
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

    @discardableResult
    func measure(_ engine: Engine, queries: [EvalQuery], items: Int, peers: Bool) throws -> [Int?] {
        var hashRanks: [Int?] = [], cascadeRanks: [Int?] = [], exhaustiveRanks: [Int?] = [], shingleRanks: [Int?] = []
        var hashTimes: [Double] = [], cascadeTimes: [Double] = [], exactTimes: [Double] = [], hashStageTimes: [Double] = []
        var shingleTimes: [Double] = [], exhaustiveTimes: [Double] = []
        var agree = 0, shingleAgree = 0
        let progress = ProgressReporter(total: queries.count, label: "queries at \(items) items")
        for query in queries {
            let input = QueryInput.file(URL(fileURLWithPath: query.path))
            let hashOnly = try engine.query(input, options: QueryOptions(task: HashOnlyMIDIToAudioTask().name, top: 1000, id: query.id))
            hashRanks.append(Self.rank(query, hashOnly.result.ranking))
            hashTimes.append(hashOnly.result.seconds)
            let cascade = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000,
                                                                       overrides: ["hash-dtw": ["keep": "\(keep)"]], id: query.id))
            cascadeRanks.append(Self.rank(query, cascade.result.ranking))
            cascadeTimes.append(cascade.result.seconds)
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
        print("")
        print("at \(items) items, \(n) queries: share of queries whose true recording ranks at or above k")
        print("  hash stage alone        " + Self.table(hashRanks) + "   (query " + Self.percentiles(hashTimes) + ", analysis included)")
        print("  hashed cascade (keep \(keep)) " + Self.table(cascadeRanks) + "   (query " + Self.percentiles(cascadeTimes) + ")")
        print("    hash-dtw stage " + Self.percentiles(hashStageTimes) + "; exact stage " + Self.percentiles(exactTimes))
        let kept = hashRanks.filter { ($0 ?? .max) <= keep }.count
        let audio = max(items, 1)
        print("  pruning: hash-dtw keeps \(keep) of \(audio) items (discards \(fmt(100 * (1 - Double(min(keep, audio)) / Double(audio)), 2)) %), true matches kept \(kept) of \(n) (\(fmt(100 * Double(kept) / Double(max(n, 1)), 1)) %)")
        for k in [10, 25, 50, 100, 200, 500] where k < audio {
            let kk = hashRanks.filter { ($0 ?? .max) <= k }.count
            print("    keep \(k): true matches kept \(kk) of \(n)")
        }
        if peers {
            print("  exhaustive exact stage  " + Self.table(exhaustiveRanks) + "   (query " + Self.percentiles(exhaustiveTimes) + ")")
            print("  shingle votes -> exact  " + Self.table(shingleRanks) + "   (query " + Self.percentiles(shingleTimes) + ", today's default)")
            print("  top-1 equal to exhaustive: hashed cascade \(agree) of \(n), shingle cascade \(shingleAgree) of \(n)")
            let med = { (v: [Double]) -> Double in v.isEmpty ? 0 : v.sorted()[v.count / 2] }
            print("  median query time ratio, hashed cascade / shingle cascade: \(fmt(med(cascadeTimes) / max(med(shingleTimes), 1e-9), 2))")
        }
        return cascadeRanks
    }
}
