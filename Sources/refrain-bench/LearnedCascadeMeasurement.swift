import Foundation
import Refrain
import RefrainIndex
import RefrainSymbolic

/// One setting of the learned cascade's keep counts and what the queries gave under it.
struct LearnedCascadeRun {
    let embeddingKeep: Int
    let hashKeep: Int
    /// Items the version stage passes to the exact stage (0: the version stage off).
    let versionKeep: Int
    /// Rank of the true recording per query (nil: pruned).
    var ranks: [Int?] = []
    /// Seconds per query (analysis included) and per stage.
    var times: [Double] = [], embeddingTimes: [Double] = [], hashTimes: [Double] = [], versionTimes: [Double] = [], exactTimes: [Double] = []
    /// Hash-stage DTW cells computed, and those full runs would have computed.
    var cells = 0, fullCells = 0
}

extension LearnedBenchCommand {
    /// Comma-separated positive counts.
    static func counts(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw RefrainError.invalidArgument("\(option) takes positive counts, not '\(part)'")
            }
            return n
        }
    }

    /// Non-negative counts (`--version-keeps`: 0 switches the version stage off).
    static func versionKeepList(_ text: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw RefrainError.invalidArgument("--version-keeps takes counts (0: off), not '\(part)'")
            }
            return n
        }
    }

    /// The stage settings of one cascade run.
    func overrides(embedding: Int, hash: Int, version: Int) -> [String: [String: String]] {
        ["embedding-nn": ["keep": "\(embedding)", "exact-below": "\(exactBelow)"], "hash-dtw": ["keep": "\(hash)"],
         "version": version > 0 ? ["keep": "\(version)"] : ["enabled": "false"]]
    }

    /// Runs one cascade query (first keep setting) and prints its time: the first query at a size loads the
    /// stages' arrays and builds (or loads the saved) HNSW graph, which later queries reuse.
    func warmUp(_ engine: Engine, query: EvalQuery) throws {
        let e = try Self.counts(embeddingKeep, option: "--embedding-keep")[0]
        let h = try hashKeeps.map { try Self.counts($0, option: "--hash-keeps")[0] } ?? keep
        let overrides = overrides(embedding: e, hash: h, version: try Self.versionKeepList(versionKeeps)[0])
        let started = Date()
        let result = try engine.query(QueryInput.file(URL(fileURLWithPath: query.path)),
                                      options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 10, overrides: overrides, id: query.id))
        let stages = result.trace.map { "\($0.stage) \(fmt($0.seconds, 2)) s" }.joined(separator: ", ")
        print("first query  \(fmt(Date().timeIntervalSince(started), 2)) s (\(stages))")
    }

    /// Runs `queries` through the embedding stage alone, the hash stage alone, the learned cascade at every
    /// (`--embedding-keep`, `--hash-keeps`) pair and, with `peers`, exhaustive exact search and the shingle
    /// cascade; prints Raffel & Ellis's Table 1, pruning shares and times.
    func measure(_ engine: Engine, queries: [EvalQuery], items: Int, peers: Bool) throws {
        let embeddingKeeps = try Self.counts(embeddingKeep, option: "--embedding-keep")
        let hashKeepList = try hashKeeps.map { try Self.counts($0, option: "--hash-keeps") } ?? [keep]
        let versionKeepList = try Self.versionKeepList(versionKeeps)
        var runs = embeddingKeeps.flatMap { e in
            hashKeepList.flatMap { h in versionKeepList.map { LearnedCascadeRun(embeddingKeep: e, hashKeep: h, versionKeep: $0) } }
        }
        var embeddingRanks: [Int?] = [], hashRanks: [Int?] = [], exhaustiveRanks: [Int?] = [], shingleRanks: [Int?] = []
        var embeddingTimes: [Double] = [], hashTimes: [Double] = [], shingleTimes: [Double] = [], exhaustiveTimes: [Double] = []
        var agree = 0, shingleAgree = 0, hashFullCells = 0, hashCells = 0
        let progress = ProgressReporter(total: queries.count, label: "queries at \(items) items")
        for query in queries {
            let input = QueryInput.file(URL(fileURLWithPath: query.path))
            let embeddingOnly = try engine.query(input, options: QueryOptions(task: EmbeddingOnlyMIDIToAudioTask().name, top: 100_000, id: query.id))
            embeddingRanks.append(Self.rank(query, embeddingOnly.result.ranking))
            let ahead = embeddingOnly.result.ranking.prefix((embeddingRanks.last ?? nil).map { $0 - 1 } ?? embeddingOnly.result.ranking.count)
            let blendedAhead = ahead.filter { Self.isFeatureLevel($0.key) }.count
            let blended = embeddingOnly.result.ranking.filter { Self.isFeatureLevel($0.key) }.count
            embeddingTimes.append(embeddingOnly.trace.first { $0.stage == "embedding-nn" }?.seconds ?? 0)
            _ = HashDTWCells.shared.take()
            let hashOnly = try engine.query(input, options: QueryOptions(task: HashOnlyMIDIToAudioTask().name, top: 1000, id: query.id))
            let counted = HashDTWCells.shared.take()
            hashCells += counted.cells
            hashFullCells += counted.fullCells
            hashRanks.append(Self.rank(query, hashOnly.result.ranking))
            hashTimes.append(hashOnly.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
            var firstTop: String?
            for r in runs.indices {
                let overrides = overrides(embedding: runs[r].embeddingKeep, hash: runs[r].hashKeep, version: runs[r].versionKeep)
                let cascade = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000,
                                                                           overrides: overrides, id: query.id))
                let counted = HashDTWCells.shared.take()
                runs[r].cells += counted.cells
                runs[r].fullCells += counted.fullCells
                runs[r].ranks.append(Self.rank(query, cascade.result.ranking))
                runs[r].times.append(cascade.result.seconds)
                runs[r].embeddingTimes.append(cascade.trace.first { $0.stage == "embedding-nn" }?.seconds ?? 0)
                runs[r].hashTimes.append(cascade.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
                runs[r].versionTimes.append(cascade.trace.first { $0.stage == "version" }?.seconds ?? 0)
                runs[r].exactTimes.append(cascade.trace.first { $0.stage == "raffel-ellis" }?.seconds ?? 0)
                if r == 0 { firstTop = cascade.result.ranking.first?.key }
            }
            if peers {
                let exhaustive = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000, prune: false, id: query.id))
                exhaustiveRanks.append(Self.rank(query, exhaustive.result.ranking))
                exhaustiveTimes.append(exhaustive.result.seconds)
                if exhaustive.result.ranking.first?.key == firstTop { agree += 1 }
                let shingles = try engine.query(input, options: QueryOptions(task: MIDIToAudioTask().name, top: 1000, id: query.id))
                shingleRanks.append(Self.rank(query, shingles.result.ranking))
                shingleTimes.append(shingles.result.seconds)
                if exhaustive.result.ranking.first?.key == shingles.result.ranking.first?.key { shingleAgree += 1 }
            }
            if self.perQuery {
                let cascades = runs.map { "\($0.embeddingKeep)/\($0.hashKeep)/\($0.versionKeep) " + Self.rankText($0.ranks.last ?? nil) }
                print("\nquery \(query.id): embedding \(Self.rankText(embeddingRanks.last ?? nil)), hash \(Self.rankText(hashRanks.last ?? nil)), cascade "
                      + cascades.joined(separator: ", ") + "; " + Self.describe(query, corpus: corpus)
                      + "; ahead by embedding: \(blendedAhead) of \(blended) feature-level (blended) distractors, "
                      + "\(ahead.count - blendedAhead) of \(embeddingOnly.result.ranking.count - blended - 1) other items")
            }
            progress.step()
        }
        let n = queries.count, audio = max(items, 1)
        func share(_ k: Int, of total: Int) -> String { "\(k) of \(total) (\(fmt(100 * Double(k) / Double(max(total, 1)), 1)) %)" }
        func perQuery(_ count: Int) -> String { fmt(Double(count) / Double(max(n, 1)) / 1e6, 2) }
        print("")
        print("at \(items) items, \(n) queries: share of queries whose true recording ranks at or above k")
        print("  embedding stage alone   " + Self.table(embeddingRanks) + "   (stage " + Self.percentiles(embeddingTimes) + ", exact scan)")
        print("  hash stage alone        " + Self.table(hashRanks) + "   (stage " + Self.percentiles(hashTimes) + "; cells \(perQuery(hashCells)) M per query of \(perQuery(hashFullCells)) M without abandoning)")
        for run in runs {
            let afterEmbedding = embeddingRanks.filter { ($0 ?? .max) <= run.embeddingKeep }.count
            let survived = run.ranks.filter { $0 != nil }.count
            let e = min(run.embeddingKeep, audio), h = min(run.hashKeep, audio)
            print("  learned cascade (embedding keep \(run.embeddingKeep), hash keep \(run.hashKeep), version keep \(run.versionKeep)) " + Self.table(run.ranks)
                  + "   (query " + Self.percentiles(run.times) + ", analysis included)")
            print("    stages: embedding-nn " + Self.percentiles(run.embeddingTimes) + "; hash-dtw " + Self.percentiles(run.hashTimes)
                  + "; version " + Self.percentiles(run.versionTimes) + "; exact " + Self.percentiles(run.exactTimes) + "; hash-dtw cells \(perQuery(run.cells)) M of \(perQuery(run.fullCells)) M per query")
            print("    pruning: embedding-nn keeps \(e) of \(audio) (discards \(fmt(100 * (1 - Double(e) / Double(audio)), 2)) %), true matches kept \(share(afterEmbedding, of: n)); "
                  + "then hash-dtw keeps \(h) (discards \(fmt(100 * (1 - Double(h) / Double(audio)), 2)) % of all), true matches kept \(share(survived, of: n))")
        }
        for k in [10, 25, 50, 100, 250, 500, 1000, 2000, 4000, 5000, 10_000, 20_000] where k < audio {
            let e = embeddingRanks.filter { ($0 ?? .max) <= k }.count, h = hashRanks.filter { ($0 ?? .max) <= k }.count
            print("    keep \(k): true matches kept by the embedding stage alone \(e) of \(n), by the hash stage alone \(h) of \(n)")
        }
        if peers {
            print("  exhaustive exact stage  " + Self.table(exhaustiveRanks) + "   (query " + Self.percentiles(exhaustiveTimes) + ")")
            print("  shingle votes -> exact  " + Self.table(shingleRanks) + "   (query " + Self.percentiles(shingleTimes) + ", today's default)")
            print("  top-1 equal to exhaustive: learned cascade (first setting) \(agree) of \(n), shingle cascade \(shingleAgree) of \(n)")
        }
    }

    /// Whether `key` names a feature-level distractor (`LearnedDistractors`: `distractor-` and six digits;
    /// rendered realistic distractors are `distractor-<category>-<number>`).
    static func isFeatureLevel(_ key: String) -> Bool {
        key.hasPrefix("distractor-") && key.count == 17 && key.suffix(6).allSatisfy(\.isNumber)
    }

    static func rankText(_ rank: Int?) -> String { rank.map { "\($0)" } ?? "pruned" }

    /// What might explain a lost match of a development-set MIDI query: its category, the score's and the
    /// query's lengths (seconds) and their ratio (the query's global tempo change), parts and the share of
    /// the score's notes the query keeps (it drops one part), and the score's pitch range.
    static func describe(_ query: EvalQuery, corpus: String) -> String {
        guard let key = query.relevant.first,
              let score = try? MIDIScore(contentsOf: URL(fileURLWithPath: corpus).appendingPathComponent("\(key).mid")),
              let played = try? MIDIScore(contentsOf: URL(fileURLWithPath: query.path)) else { return "-" }
        let notes = score.instruments.reduce(0) { $0 + $1.notes.count }, kept = played.instruments.reduce(0) { $0 + $1.notes.count }
        let drums = score.instruments.filter(\.isDrum).count
        return "score \(fmt(score.endTime, 1)) s, query \(fmt(played.endTime, 1)) s (tempo x\(fmt(score.endTime / max(played.endTime, 1e-9), 2))), "
            + "parts \(score.instruments.count) -> \(played.instruments.count) (drums \(drums)), notes kept \(fmt(100 * Double(kept) / Double(max(notes, 1)), 0)) %"
    }
}
