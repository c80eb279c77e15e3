import Foundation
import Refrain

/// `refrain-bench retrieval --realistic`: the development benchmark of issue 18 (`RealisticSet`): renders
/// and conditions the corpus, indexes the recordings (and rendered train-corpus distractors), runs the
/// queries of one half with the default cascades, and prints accuracy broken down by condition.
struct RealisticRetrievalBench {
    var corpus: String
    var work: String
    var limit: Int
    var seed: UInt64
    /// "tune", "report" or "all".
    var half: String
    var tasks: Set<String>
    /// Task the version queries run under ("version", or "audio-match" for a baseline without the task).
    var versionTask: String
    var trainCorpus: String
    var trainDistractors: Int
    var distractors: Int
    var queriesPerTask: Int
    var overrides: [String: [String: String]]
    var exhaustive: Bool
    var reuseIndex: Bool
    var results: String?
    /// Shingle transform of the index (nil: the default of `IndexSettings.music()`).
    var shingleTransform: String?
    /// Run the cascade without its last (exact) stage: the pruning stages' own ranking, for their recall.
    var pruningOnly = false

    func run() throws {
        guard ["tune", "report", "all"].contains(half) else { throw RefrainError.invalidArgument("--half must be tune, report or all") }
        var options = RealisticSet.Options()
        options.limit = limit
        options.seed = seed
        if trainDistractors > 0 {
            options.distractorCorpus = URL(fileURLWithPath: trainCorpus)
            options.distractorCount = trainDistractors
        }
        let directory = URL(fileURLWithPath: work).appendingPathComponent("realistic-\(seed)")
        var clock = Date()
        let set = try RealisticSet(corpus: URL(fileURLWithPath: corpus), directory: directory, options: options) { line in
            FileHandle.standardError.write(Data("\rpreparing \(line)      ".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("set          \(set.items.count) recordings of \(set.tuneWorks.count + set.reportWorks.count) pieces (\(fmt(set.recordingSeconds / 60, 1)) min), \(set.distractors.count) rendered train-corpus distractors, \(set.queries.count) queries; prepared in \(fmt(Date().timeIntervalSince(clock), 1)) s")
        print("soundfonts   tuning: \(options.tuningSoundfonts.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")); unseen (report half only): \(options.unseenSoundfonts.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))")
        print("split        seed \(seed): tune half \(set.tuneWorks.count) pieces, report half \(set.reportWorks.count) pieces (listed in \(directory.path)/set.json)")
        print("works        pieces that are one work (answer each other, same half): \(set.sameWork.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }.joined(separator: ", "))")

        clock = Date()
        var settings = IndexSettings.music()
        if let shingleTransform {
            guard let transform = ShingleTransform(rawValue: shingleTransform) else {
                throw RefrainError.invalidArgument("--shingle-transform must be one of \(ShingleTransform.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            settings.shingles?.transform = transform
        }
        let transformName = settings.shingles?.effectiveTransform.rawValue ?? "none"
        let indexURL = directory.appendingPathComponent("index-\(set.items.count)-\(set.distractors.count)-\(transformName)")
        if !(reuseIndex && FileManager.default.fileExists(atPath: indexURL.path)) {
            try? FileManager.default.removeItem(at: indexURL)
            let store = try IndexStore.create(at: indexURL, settings: settings)
            let analyzer = try AnalyzerRegistry.refrain().analyzer(for: store.settings)
            let jobs = (set.items + set.distractors).map { AddJob(key: $0.key, url: URL(fileURLWithPath: $0.path)) }
            let report = try IndexAdder.add(jobs, to: store, analyzer: analyzer, progress: ProgressReporter(total: jobs.count, label: "indexing"))
            print("add          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s (\(report.failed.count) failed)")
            if distractors > 0 {
                let (adding, graph) = try Distractors.add(distractors, to: store, excluding: Set(set.items.map(\.key))) { done in
                    FileHandle.standardError.write(Data("\rdistractors \(done)/\(distractors)      ".utf8))
                }
                print("\ndistractors  \(distractors) feature distractors added in \(fmt(adding, 1)) s, graph \(fmt(graph, 1)) s")
            }
        } else {
            print("index        reusing \(indexURL.path)")
        }
        let stats = try IndexStats(store: try IndexStore.open(at: indexURL))
        print("index        \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h, shingle transform \(transformName)")

        let searcher = try Searcher(directory: indexURL)
        var everything: [QueryResult] = []
        for task in ["midi-to-audio", "audio-match", "version"] where tasks.contains(task) {
            let all = set.queries.filter { $0.task == task && (half == "all" || $0.half == half) }
            let step = queriesPerTask < all.count ? max(1, (all.count + queriesPerTask - 1) / queriesPerTask) : 1
            let queries = Array(stride(from: 0, to: all.count, by: step).map { all[$0] }.prefix(queriesPerTask))
            let runAs = task == "version" ? versionTask : task
            guard let retrievalTask = RetrievalTask(rawValue: runAs) else { throw RefrainError.invalidArgument("unknown task '\(runAs)'") }
            var pruned = ConditionBreakdown(), full = ConditionBreakdown()
            var stageTimes = StageTimes()
            var agree = 0
            let progress = ProgressReporter(total: queries.count, label: task)
            for query in queries {
                let url = URL(fileURLWithPath: query.path)
                var specs = searcher.stages(for: retrievalTask, query: url, options: Searcher.Options(overrides: overrides))
                if pruningOnly, let last = specs.indices.last { specs[last].enabled = false }
                // `--set STAGE.enabled=false` leaves a stage out (e.g. to time a cascade as it was before).
                for i in specs.indices where overrides[specs[i].stage]?["enabled"] == "false" {
                    specs[i].enabled = false
                    specs[i].options["enabled"] = nil
                }
                let cascade = try StageRegistry.refrain.cascade(specs, store: searcher.store)
                let (result, outcome) = try QueryEngine(store: searcher.store, analyzer: searcher.analyzer, cascade: cascade)
                    .query(url, id: query.id, topK: pruningOnly ? 1000 : 100)
                pruned.add(query, result)
                stageTimes.add(total: result.seconds, trace: outcome.trace)
                everything.append(result)
                if exhaustive {
                    let (all, _) = try searcher.query(url, id: query.id, task: retrievalTask, topK: 100,
                                                      options: Searcher.Options(prune: false, overrides: overrides))
                    full.add(query, all)
                    if all.ranking.first?.key == result.ranking.first?.key { agree += 1 }
                }
                progress.step()
            }
            print("")
            print(pruned.table(title: "\(task) (run as \(runAs)), \(half) half, default cascade:"))
            print("  query time by step, median: \(stageTimes.summary)")
            let ranks = pruned.outcomes.map { $0.rank ?? Int.max }
            print("  first relevant item at rank <= k: " + [1, 3, 10, 25, 50, 100, 200].map { k in
                "\(k): \(fmt(Double(ranks.filter { $0 <= k }.count) / Double(max(ranks.count, 1)), 3))"
            }.joined(separator: ", "))
            let misses = pruned.outcomes.filter { !$0.hit }.map { "\($0.id)(\($0.rank.map(String.init) ?? "-"))" }
            print("  misses (rank): \(misses.joined(separator: " "))")
            if exhaustive {
                let row = full.all
                print("  exhaustive: P@1 \(fmt(row.precisionAt1, 3)), MAP \(fmt(row.meanAveragePrecision, 3)), span \(row.spanShare.map { fmt($0, 3) } ?? "-"), p50 \(fmt(row.medianSeconds, 3)) s; pruned keeps the exhaustive top-1 for \(agree) of \(queries.count)")
            }
        }
        if let results {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(QueryResultsFile(results: everything)).write(to: URL(fileURLWithPath: results))
        }
    }
}
