import Foundation
import Refrain
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// One setting of the learned cascade's keep counts and what the queries gave under it.
struct LearnedCascadeRun {
    var embeddingKeep = 0
    /// Items the shingle vote adds beside the embedding's (0: the embedding alone).
    var shingleKeep = 0
    var hashKeep = 0
    /// The hash stage's band (share of an item's length; 0: full DTW).
    var hashBand = 0.0
    /// Items the version stage passes to the exact stage (0: the version stage off).
    var versionKeep = 0
    /// The union's first items (the vote's best) that pass the hash stage whatever their cost.
    var hashPass = 0
    /// The vote's HNSW breadth and neighbours per score shingle (0: the task's).
    var shingleEf = 0
    /// hash-dtw's `relative_weight` (0: the cost per code alone).
    var hashRelativeWeight = 0.0
    /// candidate-union's `lead`: each source's first items listed first (so the hash pass takes every source's best).
    var unionLead = 0
    /// hash-dtw's `margin` (0: none): candidates within `1 + margin` times the keep-th cost go on too.
    var hashMargin = 0.0
    /// The version stage's `pass`: hash-dtw's first (cheapest) items go to the exact stage whatever their version rank.
    var versionPass = 0
    /// hash-dtw's `pianoroll` (a second reading of the score from its piano roll, and how the costs combine).
    var hashPianoRoll = HashedMIDIToAudioTask.hashPianoRoll
    /// hash-dtw's `embedding_weight` (0: the keep by hash cost).
    var hashEmbeddingWeight = 0.0
    /// hash-dtw's `fusion_k` (reciprocal rank fusion's k).
    var hashFusionK = HashStageFusion.defaultK
    /// Items a third union source, hash-dtw on the piano-roll reading alone over every item, adds (0: none).
    var unionPianoRollKeep = 0
    /// Rank of the true recording per query (nil: pruned).
    var ranks: [Int?] = []
    /// Per query: the keys the cascade ranked, best first (the first is its top-1; empty: none ranked).
    var rankedKeys: [[String]] = []
    /// Seconds per query (analysis included) and per stage.
    var times: [Double] = [], analysisTimes: [Double] = [], embeddingTimes: [Double] = [], hashTimes: [Double] = [], versionTimes: [Double] = [], exactTimes: [Double] = []
    /// Hash-stage DTW cells computed, and those full runs would have computed.
    var cells = 0, fullCells = 0
    /// With `--stage-ranks`, per query: the true recording's rank by hash-dtw among the union's items, and by
    /// the version stage among hash-dtw's (nil: not among them).
    var hashStageRanks: [Int?] = [], versionStageRanks: [Int?] = []
    /// With `--stage-ranks`, per query: of the items hash-dtw and the version stage ranked above the true
    /// recording, the most that are copies of one piece (a piece and its feature-level distractors, which
    /// `LearnedDistractors` makes from held-out recordings: about 22 each, up to 30, drawn with replacement before the
    /// sixteenth round; 6 or 7 each, drawn evenly from 1,335 since), with that piece's key: a piece whose copies
    /// crowd many queries' keeps is a hub that the distractors multiply (fifteenth round: fiddle-0400).
    var hashCopiesAhead: [(count: Int, piece: String)] = [], versionCopiesAhead: [(count: Int, piece: String)] = []
}

extension LearnedCascadeRun {
    /// The run's settings, as its result lines name them.
    var settings: String {
        "embedding keep \(embeddingKeep), shingle keep \(shingleKeep), hash keep \(hashKeep), hash band \(hashBand), hash pass \(hashPass), "
            + "version keep \(versionKeep)" + LearnedBenchCommand.extraSettings(self)
    }

    /// The p50 and p95 of each stage, and the hash cells per query.
    var stageTimes: String {
        let p = LearnedBenchCommand.percentiles, n = Double(max(times.count, 1))
        return "analysis " + p(analysisTimes) + "; candidate-union " + p(embeddingTimes) + "; hash-dtw " + p(hashTimes) + "; version " + p(versionTimes)
            + "; exact " + p(exactTimes) + "; hash-dtw cells \(fmt(Double(cells) / n / 1e6, 2)) M of \(fmt(Double(fullCells) / n / 1e6, 2)) M per query"
    }

    /// Adds one query's cascade result: the true recording's rank, the times, the hash cells counted since the
    /// last call.
    mutating func record(_ cascade: SearchResult, _ query: EvalQuery) {
        let counted = HashDTWCells.shared.take()
        cells += counted.cells
        fullCells += counted.fullCells
        ranks.append(LearnedBenchCommand.rank(query, cascade.result.ranking))
        rankedKeys.append(cascade.result.ranking.map(\.key))
        times.append(cascade.result.seconds)
        analysisTimes.append(cascade.analysisSeconds)
        embeddingTimes.append(cascade.trace.first { $0.stage == "candidate-union" }?.seconds ?? 0)
        hashTimes.append(cascade.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
        versionTimes.append(cascade.trace.first { $0.stage == "version" }?.seconds ?? 0)
        exactTimes.append(cascade.trace.first { $0.stage == "raffel-ellis" }?.seconds ?? 0)
    }
}

extension LearnedBenchCommand {
    /// The stage settings of `run`.
    func runOverrides(_ run: LearnedCascadeRun) -> [String: [String: String]] {
        var changed = overrides(embedding: run.embeddingKeep, shingle: run.shingleKeep, hash: run.hashKeep, band: run.hashBand, pass: run.hashPass,
                                version: run.versionKeep)
        if run.shingleEf > 0 {
            changed["candidate-union", default: [:]]["shingle-vote.ef"] = "\(run.shingleEf)"
            changed["candidate-union", default: [:]]["shingle-vote.neighbours"] = "\(run.shingleEf)"
        }
        if run.hashRelativeWeight > 0 { changed["hash-dtw", default: [:]]["relative_weight"] = "\(run.hashRelativeWeight)" }
        if run.unionLead > 0 { changed["candidate-union", default: [:]]["lead"] = "\(run.unionLead)" }
        if run.hashMargin > 0 { changed["hash-dtw", default: [:]]["margin"] = "\(run.hashMargin)" }
        if run.versionKeep > 0 { changed["version", default: [:]]["pass"] = "\(run.versionPass)" }
        if run.hashPianoRoll != HashedMIDIToAudioTask.hashPianoRoll { changed["hash-dtw", default: [:]]["pianoroll"] = run.hashPianoRoll }
        if run.hashEmbeddingWeight > 0 { changed["hash-dtw", default: [:]]["embedding_weight"] = "\(run.hashEmbeddingWeight)" }
        if run.hashFusionK != HashStageFusion.defaultK { changed["hash-dtw", default: [:]]["fusion_k"] = "\(run.hashFusionK)" }
        if run.unionPianoRollKeep > 0 {
            let sources = changed["candidate-union"]?["sources"] ?? "embedding-nn"
            changed["candidate-union", default: [:]]["sources"] = sources + ",hash-dtw"
            changed["candidate-union", default: [:]]["hash-dtw.keep"] = "\(run.unionPianoRollKeep)"
            changed["candidate-union", default: [:]]["hash-dtw.band"] = "\(run.hashBand)"
            changed["candidate-union", default: [:]]["hash-dtw.pianoroll"] = HashPianoRollReading.only.rawValue
        }
        return changed
    }

    /// The settings of `run` beyond the keeps, for its result lines (empty when it has the task's).
    static func extraSettings(_ run: LearnedCascadeRun) -> String {
        (run.shingleEf > 0 ? ", vote ef \(run.shingleEf)" : "") + (run.hashRelativeWeight > 0 ? ", hash relative weight \(run.hashRelativeWeight)" : "")
            + (run.unionLead > 0 ? ", union lead \(run.unionLead)" : "") + (run.hashMargin > 0 ? ", hash margin \(run.hashMargin)" : "")
            + (run.versionPass != HashedMIDIToAudioTask.versionPass ? ", version pass \(run.versionPass)" : "")
            + (run.hashPianoRoll != HashedMIDIToAudioTask.hashPianoRoll ? ", hash pianoroll \(run.hashPianoRoll)" : "")
            + (run.hashEmbeddingWeight > 0 ? ", hash embedding weight \(run.hashEmbeddingWeight)" : "")
            + (run.hashFusionK != HashStageFusion.defaultK ? ", fusion k \(run.hashFusionK)" : "")
            + (run.unionPianoRollKeep > 0 ? ", union piano-roll hash \(run.unionPianoRollKeep)" : "")
    }

    /// Each of `runs` once per value of `values`, with `setting` set to it (the runs outer, the values inner).
    static func combining<T>(_ runs: [LearnedCascadeRun], _ setting: WritableKeyPath<LearnedCascadeRun, T>, _ values: [T]) -> [LearnedCascadeRun] {
        runs.flatMap { run in values.map { value in var made = run; made[keyPath: setting] = value; return made } }
    }

    /// Comma-separated positive counts.
    static func counts(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw RefrainError.invalidArgument("\(option) takes positive counts, not '\(part)'")
            }
            return n
        }
    }

    /// Hash-stage bands (`--hash-bands`: shares of an item's length, 0: full DTW) or other non-negative numbers.
    static func bands(_ text: String, option: String = "--hash-bands") throws -> [Double] {
        try text.split(separator: ",").map { part in
            guard let band = Double(part.trimmingCharacters(in: .whitespaces)), band >= 0, band.isFinite else {
                throw RefrainError.invalidArgument("\(option) takes numbers, 0 or more (0: off), not '\(part)'")
            }
            return band
        }
    }

    /// `--hash-pianoroll` readings: comma-separated names of `HashPianoRollReading`.
    static func pianoRollReadings(_ text: String) throws -> [String] {
        try text.split(separator: ",").map { part in
            let name = part.trimmingCharacters(in: .whitespaces)
            guard HashPianoRollReading(rawValue: name) != nil else {
                throw RefrainError.invalidArgument("--hash-pianorolls takes \(HashPianoRollReading.allCases.map(\.rawValue).joined(separator: ", ")), not '\(name)'")
            }
            return name
        }
    }

    /// Non-negative counts (`--version-keeps`, `--shingle-keeps`: 0 switches the stage off).
    static func keepsOrOff(_ text: String, option: String) throws -> [Int] {
        try text.split(separator: ",").map { part in
            guard let n = Int(part.trimmingCharacters(in: .whitespaces)), n >= 0 else {
                throw RefrainError.invalidArgument("\(option) takes counts (0: off), not '\(part)'")
            }
            return n
        }
    }

    /// The stage settings of one cascade run (`shingle` 0: the embedding alone in `candidate-union`).
    func overrides(embedding: Int, shingle: Int = 0, hash: Int, band: Double = 0, pass: Int = 0, version: Int) -> [String: [String: String]] {
        var union = ["embedding-nn.keep": "\(embedding)", "embedding-nn.exact-below": "\(exactBelow)",
                     "sources": shingle > 0 ? "shingle-vote,embedding-nn" : "embedding-nn", "shingle-vote.keep": "\(max(shingle, 1))"]
        if let shingleHop { union["shingle-vote.query_hop"] = "\(shingleHop)" }
        return ["candidate-union": union, "hash-dtw": ["keep": "\(hash)", "band": "\(band)", "pass": "\(pass)"],
                "version": version > 0 ? ["keep": "\(version)"] : ["enabled": "false"]]
    }

    /// The shingle vote alone as the learned cascade's union runs it (`MIDIToAudioTask`'s vote, every voted item
    /// kept, the stages after it off): the true recording's rank and the stage's seconds.
    func shingleAlone(_ engine: Engine, _ input: QueryInput, _ query: EvalQuery) throws -> (rank: Int?, seconds: Double) {
        var vote = ["keep": "100000"]
        if let shingleHop { vote["query_hop"] = "\(shingleHop)" }
        let overrides = ["shingle-vote": vote, "version": ["enabled": "false"], "raffel-ellis": ["enabled": "false"]]
        let result = try engine.query(input, options: QueryOptions(task: MIDIToAudioTask().name, top: 100_000, overrides: overrides, id: query.id))
        return (Self.rank(query, result.result.ranking), result.trace.first { $0.stage == "shingle-vote" }?.seconds ?? 0)
    }

    /// Runs one cascade query (first keep setting) and prints its time: the first query at a size loads the
    /// stages' arrays and builds (or loads the saved) HNSW graph, which later queries reuse.
    func warmUp(_ engine: Engine, query: EvalQuery) throws {
        let e = try Self.counts(embeddingKeep, option: "--embedding-keep")[0]
        let h = try hashKeeps.map { try Self.counts($0, option: "--hash-keeps")[0] } ?? keep
        let overrides = overrides(embedding: e, shingle: try Self.keepsOrOff(shingleKeeps, option: "--shingle-keeps")[0], hash: h,
                                  band: try Self.bands(hashBands)[0], version: try Self.keepsOrOff(versionKeeps, option: "--version-keeps")[0])
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
        let versionKeepList = try Self.keepsOrOff(versionKeeps, option: "--version-keeps")
        let shingleKeepList = try Self.keepsOrOff(shingleKeeps, option: "--shingle-keeps")
        let bandList = try Self.bands(hashBands)
        let passList = try Self.keepsOrOff(hashPasses, option: "--hash-passes")
        let efList = try Self.keepsOrOff(shingleEfs, option: "--shingle-efs")
        let relativeList = try Self.bands(hashRelativeWeights, option: "--hash-relative-weights")
        let leadList = try Self.keepsOrOff(unionLeads, option: "--union-leads")
        let marginList = try Self.bands(hashMargins, option: "--hash-margins")
        let versionPassList = try Self.keepsOrOff(versionPasses, option: "--version-passes")
        let pianoRollList = try Self.pianoRollReadings(hashPianoRolls)
        let embeddingWeightList = try Self.bands(hashEmbeddingWeights, option: "--hash-embedding-weights")
        let fusionKList = try Self.bands(hashFusionKs, option: "--hash-fusion-ks").map { $0 > 0 ? $0 : HashStageFusion.defaultK }
        let unionRollList = try Self.keepsOrOff(unionPianoRollKeeps, option: "--union-piano-roll-keeps")
        // Every combination of the lists, the first outermost: the order the runs are listed and interleaved in.
        var runs = [LearnedCascadeRun()]
        runs = Self.combining(runs, \.embeddingKeep, embeddingKeeps)
        runs = Self.combining(runs, \.shingleKeep, shingleKeepList)
        runs = Self.combining(runs, \.hashBand, bandList)
        runs = Self.combining(runs, \.hashPass, passList)
        runs = Self.combining(runs, \.hashKeep, hashKeepList)
        runs = Self.combining(runs, \.versionKeep, versionKeepList)
        runs = Self.combining(runs, \.shingleEf, efList)
        runs = Self.combining(runs, \.hashRelativeWeight, relativeList)
        runs = Self.combining(runs, \.unionLead, leadList)
        runs = Self.combining(runs, \.hashMargin, marginList)
        runs = Self.combining(runs, \.versionPass, versionPassList)
        runs = Self.combining(runs, \.hashPianoRoll, pianoRollList)
        runs = Self.combining(runs, \.hashEmbeddingWeight, embeddingWeightList)
        runs = Self.combining(runs, \.hashFusionK, fusionKList)
        runs = Self.combining(runs, \.unionPianoRollKeep, unionRollList)
        let voting = shingleKeepList.contains { $0 > 0 }
        var shingleAloneRanks: [Int?] = [], shingleAloneTimes: [Double] = []
        var embeddingRanks: [Int?] = [], hashRanks: [Int?] = [], exhaustiveRanks: [Int?] = [], shingleRanks: [Int?] = []
        var embeddingTimes: [Double] = [], hashTimes: [Double] = [], shingleTimes: [Double] = [], exhaustiveTimes: [Double] = []
        var agree = 0, shingleAgree = 0, hashFullCells = 0, hashCells = 0
        var exhaustiveSearch = LearnedExhaustiveComparison()
        // Feature-level distractors by the piece they were made from (path `distractor:<source key>`).
        let sourceOf = stageRanks ? Dictionary(try engine.items().filter { $0.path.hasPrefix("distractor:") }
            .map { ($0.key, String($0.path.dropFirst("distractor:".count))) }, uniquingKeysWith: { a, _ in a }) : [:]
        let progress = ProgressReporter(total: queries.count, label: "queries at \(items) items")
        for query in queries {
            let input = QueryInput.file(URL(fileURLWithPath: query.path))
            if cascadeOnly {
                for r in runs.indices {
                    let cascade = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000,
                                                                               overrides: runOverrides(runs[r]), id: query.id))
                    runs[r].record(cascade, query)
                    if self.perQuery { print(Self.rankingText(cascade, query: query, run: r)) }
                }
                var embeddingText = ""
                if stageRanks {
                    for r in runs.indices { try recordStageRanks(&runs[r], engine, input, query, sourceOf: sourceOf) }
                    // The embedding's rank of the true recording among every audio item (the union keeps its first E).
                    let alone = try engine.query(input, options: QueryOptions(task: EmbeddingOnlyMIDIToAudioTask().name, top: 100_000, id: query.id))
                    embeddingText = "embedding alone \(Self.rankText(Self.rank(query, alone.result.ranking))), "
                }
                if self.perQuery {
                    print("\nquery \(query.id): " + embeddingText + Self.cascadeLegend
                          + runs.map { cascadeRanks($0) }.joined(separator: ", "))
                }
                if exhaustive {
                    exhaustiveSearch.record(try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000, prune: false,
                                                                                         id: query.id)), query)
                }
                progress.step()
                continue
            }
            let embeddingOnly = try engine.query(input, options: QueryOptions(task: EmbeddingOnlyMIDIToAudioTask().name, top: 100_000, id: query.id))
            embeddingRanks.append(Self.rank(query, embeddingOnly.result.ranking))
            let ahead = embeddingOnly.result.ranking.prefix((embeddingRanks.last ?? nil).map { $0 - 1 } ?? embeddingOnly.result.ranking.count)
            let blendedAhead = ahead.filter { Self.isFeatureLevel($0.key) }.count
            let blended = embeddingOnly.result.ranking.filter { Self.isFeatureLevel($0.key) }.count
            embeddingTimes.append(embeddingOnly.trace.first { $0.stage == "embedding-nn" }?.seconds ?? 0)
            if self.embeddingOnly {
                if self.perQuery { print("\nquery \(query.id): embedding \(Self.rankText(embeddingRanks.last ?? nil))") }
                progress.step()
                continue
            }
            _ = HashDTWCells.shared.take()
            let hashOnly = try engine.query(input, options: QueryOptions(task: HashOnlyMIDIToAudioTask().name, top: 1000, id: query.id))
            let counted = HashDTWCells.shared.take()
            hashCells += counted.cells
            hashFullCells += counted.fullCells
            hashRanks.append(Self.rank(query, hashOnly.result.ranking))
            hashTimes.append(hashOnly.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
            if voting {
                let alone = try shingleAlone(engine, input, query)
                shingleAloneRanks.append(alone.rank)
                shingleAloneTimes.append(alone.seconds)
            }
            var firstTop: String?
            for r in runs.indices {
                let overrides = runOverrides(runs[r])
                let cascade = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 1000,
                                                                           overrides: overrides, id: query.id))
                runs[r].record(cascade, query)
                if r == 0 { firstTop = cascade.result.ranking.first?.key }
                if stageRanks { try recordStageRanks(&runs[r], engine, input, query, sourceOf: sourceOf) }
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
                let cascades = runs.map { cascadeRanks($0) }
                let shingleText = voting ? ", shingle vote \(Self.rankText(shingleAloneRanks.last ?? nil))" : ""
                print("\nquery \(query.id): embedding \(Self.rankText(embeddingRanks.last ?? nil)), hash \(Self.rankText(hashRanks.last ?? nil))\(shingleText), " + Self.cascadeLegend
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
        if cascadeOnly {
            for run in runs {
                print("  learned cascade (\(run.settings)) " + Self.table(run.ranks)
                      + "   (query " + Self.percentiles(run.times) + ", analysis included; true matches kept \(share(run.ranks.filter { $0 != nil }.count, of: n)))")
                print("    stages: " + run.stageTimes)
                if stageRanks {
                    print("    true recording's rank, hash-dtw among the union's items: " + Self.rankSpread(run.hashStageRanks))
                    if run.versionKeep > 0 { print("    true recording's rank, version among hash-dtw's \(run.hashKeep): " + Self.rankSpread(run.versionStageRanks)) }
                }
            }
            if exhaustive { exhaustiveSearch.lines(runs).forEach { print($0) } }
            return
        }
        print("  embedding stage alone   " + Self.table(embeddingRanks) + "   (stage " + Self.percentiles(embeddingTimes) + ", exact scan)")
        if embeddingOnly { return print("  embedding stage alone   " + Self.rankSummary(embeddingRanks)) }
        if voting {
            print("  shingle vote alone      " + Self.table(shingleAloneRanks) + "   (stage " + Self.percentiles(shingleAloneTimes) + ", items without a vote unranked)")
        }
        print("  hash stage alone        " + Self.table(hashRanks) + "   (stage " + Self.percentiles(hashTimes) + "; cells \(perQuery(hashCells)) M per query of \(perQuery(hashFullCells)) M without abandoning)")
        for run in runs {
            // True matches the first stage keeps: the embedding's, or (with the vote) the union's.
            let afterEmbedding = embeddingRanks.indices.filter { q in
                (embeddingRanks[q] ?? .max) <= run.embeddingKeep || (run.shingleKeep > 0 && (shingleAloneRanks[q] ?? .max) <= run.shingleKeep)
            }.count
            let survived = run.ranks.filter { $0 != nil }.count
            let e = min(run.embeddingKeep, audio), h = min(run.hashKeep, audio)
            print("  learned cascade (\(run.settings)) " + Self.table(run.ranks)
                  + "   (query " + Self.percentiles(run.times) + ", analysis included)")
            print("    stages: " + run.stageTimes)
            print("    pruning: candidate-union keeps at most \(e + run.shingleKeep) of \(audio) (discards at least \(fmt(100 * (1 - Double(min(e + run.shingleKeep, audio)) / Double(audio)), 2)) %), true matches kept \(share(afterEmbedding, of: n)); "
                  + "then hash-dtw keeps \(h) (discards \(fmt(100 * (1 - Double(h) / Double(audio)), 2)) % of all), true matches kept \(share(survived, of: n))")
            if stageRanks {
                let missed = embeddingRanks.indices.filter { (embeddingRanks[$0] ?? .max) > run.embeddingKeep }
                print("    true recording's rank, embedding among all \(audio): " + Self.rankSpread(embeddingRanks))
                if run.shingleKeep > 0 {
                    print("    true recording's rank, shingle vote, for the \(missed.count) queries beyond the embedding's keep: " + Self.rankSpread(missed.map { shingleAloneRanks[$0] }))
                }
                print("    true recording's rank, hash-dtw among the union's items: " + Self.rankSpread(run.hashStageRanks))
                if run.hashPass > 0 && run.shingleKeep > 0 {
                    let exposed = run.hashStageRanks.indices.filter { (shingleAloneRanks[$0] ?? .max) > run.hashPass }
                    print("    true recording's rank, hash-dtw among the union's items, for the \(exposed.count) queries whose recording the vote ranks below its first \(run.hashPass) (the pass): "
                          + Self.rankSpread(exposed.map { run.hashStageRanks[$0] }))
                }
                if run.versionKeep > 0 { print("    true recording's rank, version among hash-dtw's \(h): " + Self.rankSpread(run.versionStageRanks)) }
            }
        }
        for k in [10, 25, 50, 100, 250, 500, 1000, 2000, 4000, 5000, 10_000, 20_000] where k < audio {
            let e = embeddingRanks.filter { ($0 ?? .max) <= k }.count, h = hashRanks.filter { ($0 ?? .max) <= k }.count
            let s = voting ? ", by the shingle vote alone \(shingleAloneRanks.filter { ($0 ?? .max) <= k }.count) of \(n)" : ""
            print("    keep \(k): true matches kept by the embedding stage alone \(e) of \(n), by the hash stage alone \(h) of \(n)\(s)")
        }
        if peers {
            print("  exhaustive exact stage  " + Self.table(exhaustiveRanks) + "   (query " + Self.percentiles(exhaustiveTimes) + ")")
            print("  shingle votes -> exact  " + Self.table(shingleRanks) + "   (query " + Self.percentiles(shingleTimes) + ", today's default)")
            print("  top-1 equal to exhaustive: learned cascade (first setting) \(agree) of \(n), shingle cascade \(shingleAgree) of \(n)")
        }
    }

    /// `run`'s settings and its last query's rank (with `--stage-ranks`, also the hash and version stages').
    func cascadeRanks(_ run: LearnedCascadeRun) -> String {
        // Only for a ranked recording: an unranked one has every item ahead.
        func copies(_ rank: Int??, _ list: [(count: Int, piece: String)]) -> String {
            guard case .some(.some) = rank, let most = list.last, most.count > 0 else { return "" }
            return " [\(most.count) ahead are \(most.piece) or its copies]"
        }
        let stages = stageRanks ? " (hash \(Self.rankText(run.hashStageRanks.last ?? nil))\(copies(run.hashStageRanks.last, run.hashCopiesAhead)), "
            + "version \(Self.rankText(run.versionStageRanks.last ?? nil))\(copies(run.versionStageRanks.last, run.versionCopiesAhead)))" : ""
        return "\(run.embeddingKeep)/\(run.shingleKeep)/\(run.hashKeep)/\(run.hashBand)/\(run.hashPass)/\(run.versionKeep)\(Self.extraSettings(run)) " + Self.rankText(run.ranks.last ?? nil) + stages
    }

    /// Appends to `run`'s stage ranks the true recording's rank after hash-dtw (among every item the union passed
    /// it: its keep lifted, the stages after it off) and after the version stage (among hash-dtw's `keep`: the
    /// version keep lifted, the exact stage off) under `run`'s settings; the hash cells these extra queries count
    /// are dropped, so that they do not enter the run's.
    /// `sourceOf` maps each feature-level distractor's key to the key of the item it was made from.
    func recordStageRanks(_ run: inout LearnedCascadeRun, _ engine: Engine, _ input: QueryInput, _ query: EvalQuery,
                          sourceOf: [String: String]) throws {
        let overrides = runOverrides(run)
        func rank(_ changes: [String: [String: String]]) throws -> (rank: Int?, copies: (count: Int, piece: String)) {
            let options = overrides.merging(changes) { old, new in old.merging(new) { _, n in n } }
            let result = try engine.query(input, options: QueryOptions(task: HashedMIDIToAudioTask().name, top: 100_000, overrides: options, id: query.id))
            let rank = Self.rank(query, result.result.ranking)
            let ahead = result.result.ranking.prefix(rank.map { $0 - 1 } ?? result.result.ranking.count)
            var byPiece: [String: Int] = [:]
            for item in ahead { byPiece[sourceOf[item.key] ?? item.key, default: 0] += 1 }
            let most = byPiece.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }
            return (rank, (most?.value ?? 0, most?.key ?? "-"))
        }
        let off = ["enabled": "false"]
        let hash = try rank(["hash-dtw": ["keep": "100000"], "version": off, "raffel-ellis": off])
        let versionOn = overrides["version"]?["enabled"] != "false"
        let none: (rank: Int?, copies: (count: Int, piece: String)) = (nil, (0, "-"))
        let version = versionOn ? try rank(["version": ["keep": "100000"], "raffel-ellis": off]) : none
        _ = HashDTWCells.shared.take()
        run.hashStageRanks.append(hash.rank)
        run.versionStageRanks.append(version.rank)
        run.hashCopiesAhead.append(hash.copies)
        run.versionCopiesAhead.append(version.copies)
    }

    /// The spread of per-query ranks (nil: not ranked): the five largest, the 95th and 99th percentiles and the
    /// median, so that a keep's margin can be read off (a keep of k loses every query ranked beyond k).
    static func rankSpread(_ ranks: [Int?]) -> String {
        let ranked = ranks.compactMap { $0 }.sorted()
        guard !ranked.isEmpty else { return "none ranked of \(ranks.count)" }
        func at(_ p: Double) -> Int { ranked[min(ranked.count - 1, Int((Double(ranked.count - 1) * p).rounded()))] }
        return "largest \(ranked.suffix(5).reversed().map(String.init).joined(separator: ", ")); p99 \(at(0.99)), p95 \(at(0.95)), "
            + "p50 \(at(0.5)); \(ranks.count - ranked.count) of \(ranks.count) not ranked"
    }

    /// Whether `key` names a feature-level distractor (`LearnedDistractors`: `distractor-` and six digits;
    /// rendered realistic distractors are `distractor-<category>-<number>`).
    static func isFeatureLevel(_ key: String) -> Bool {
        key.hasPrefix("distractor-") && key.count == 17 && key.suffix(6).allSatisfy(\.isNumber)
    }

    /// What the per-query lines' cascade entries hold (`cascadeRanks`).
    static let cascadeLegend = "cascade (embedding/shingle/hash keeps, hash band, hash pass, version keep; with --stage-ranks the hash and version stages' ranks) "

    static func rankText(_ rank: Int?) -> String { rank.map { "\($0)" } ?? "pruned" }

    /// One cascade query's outcome for comparing two builds line by line (`--cascade-only --per-query`): the true
    /// recording's rank, each stage's items in and out, the first 10 items with their scores in full, and
    /// an FNV-1a fingerprint of every ranked key and score.
    static func rankingText(_ cascade: SearchResult, query: EvalQuery, run: Int) -> String {
        let stages = cascade.trace.map { "\($0.stage) \($0.input)->\($0.output)" }.joined(separator: ", ")
        let first = cascade.result.ranking.prefix(10).map { "\($0.key) \($0.score)" }.joined(separator: ", ")
        var fingerprint = FNV1a()  // over every ranked key and score
        for item in cascade.result.ranking { fingerprint.add("\(item.key) \(item.score)\n") }
        return "query \(query.id) run \(run): rank \(rankText(rank(query, cascade.result.ranking))); \(stages); "
            + "\(cascade.result.ranking.count) ranked, fingerprint \(String(fingerprint.value, radix: 16)); first: \(first)"
    }

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
