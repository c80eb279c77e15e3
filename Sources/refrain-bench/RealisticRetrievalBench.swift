import Foundation
import Refrain
import RefrainIndex
import RefrainSymbolic

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
    /// Shingle transform of the index (nil: the default of `Engine.musicShingles`).
    var shingleTransform: String?
    /// Run the cascade without its last (exact) stage: the pruning stages' own ranking, for their recall.
    var pruningOnly = false
    /// Audio matching with all twelve transpositions (instead of the estimated ones).
    var transpositions = false
    /// False: every task in the query's key only.
    var keyInvariance = true
    /// FluidSynth's interpolation for the engine's renderings of scores (nil: the engine's default).
    var renderInterpolation: MIDIRenderer.Interpolation? = nil
    /// Rate of the engine's score renderings before resampling (nil: the engine's default).
    var renderRate: Double? = nil
    /// More audio-excerpt queries per tune-half piece (`RealisticSet.Options.extraTuneExcerptQueries`).
    var extraTuneExcerpts = 0

    /// `none`, `linear`, `fourth-order` or `seventh-order`.
    static func interpolation(_ name: String) throws -> MIDIRenderer.Interpolation {
        let names: [String: MIDIRenderer.Interpolation] = ["none": .none, "linear": .linear, "fourth-order": .fourthOrder,
                                                           "seventh-order": .seventhOrder]
        guard let chosen = names[name] else {
            throw RefrainError.invalidArgument("--render-interpolation must be none, linear, fourth-order or seventh-order")
        }
        return chosen
    }

    func run() throws {
        guard ["tune", "report", "all"].contains(half) else { throw RefrainError.invalidArgument("--half must be tune, report or all") }
        var options = RealisticSet.Options(unseenSoundfonts: try RealisticSet.unseenPerformers())
        options.limit = limit
        options.seed = seed
        guard extraTuneExcerpts >= 0 else { throw RefrainError.invalidArgument("--extra-tune-excerpts must be 0 or more") }
        options.extraTuneExcerptQueries = extraTuneExcerpts
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
        var transform = ShingleTransform.canonicalKey
        if let shingleTransform {
            guard let chosen = ShingleTransform(rawValue: shingleTransform) else {
                throw RefrainError.invalidArgument("--shingle-transform must be one of \(ShingleTransform.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            transform = chosen
        }
        let indexURL = directory.appendingPathComponent("index-\(set.items.count)-\(set.distractors.count)-\(distractors)-\(transform.rawValue)")
        let engine: Engine
        if !(reuseIndex && FileManager.default.fileExists(atPath: indexURL.path)) {
            try? FileManager.default.removeItem(at: indexURL)
            engine = try Engine.create(at: indexURL, layout: .music(transform: transform))
            let jobs = (set.items + set.distractors).map { AddJob(key: $0.key, url: URL(fileURLWithPath: $0.path), work: $0.work) }
            let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
            print("add          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s (\(report.failed.count) failed)")
            if distractors > 0 {
                let store = try IndexStore.open(at: indexURL, writable: true)
                let (adding, graph) = try Distractors.add(distractors, to: store, excluding: Set(set.items.map(\.key))) { done in
                    FileHandle.standardError.write(Data("\rdistractors \(done)/\(distractors)      ".utf8))
                }
                print("\ndistractors  \(distractors) feature distractors added in \(fmt(adding, 1)) s, graph \(fmt(graph, 1)) s")
            }
        } else {
            var configuration = Engine.Configuration()
            if let renderInterpolation { configuration.renderInterpolation = renderInterpolation }
            if let renderRate { configuration.renderSampleRate = renderRate }
            engine = try Engine.open(at: indexURL, configuration: configuration)
            print("index        reusing \(indexURL.path); scores rendered with \(configuration.renderInterpolation) interpolation"
                  + (configuration.renderSampleRate.map { " at \(Int($0)) Hz" } ?? ""))
        }
        let stats = try engine.stats().stats
        print("index        \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h, shingle transform \(transform.rawValue)")

        var everything: [QueryResult] = []
        for task in ["midi-to-audio", "audio-match", "version"] where tasks.contains(task) {
            let all = set.queries.filter { $0.task == task && (half == "all" || $0.half == half) }
            let step = queriesPerTask < all.count ? max(1, (all.count + queriesPerTask - 1) / queriesPerTask) : 1
            let queries = Array(stride(from: 0, to: all.count, by: step).map { all[$0] }.prefix(queriesPerTask))
            let runAs = task == "version" ? versionTask : task
            guard let searchTask = TaskRegistry.standard.task(named: runAs) else {
                throw RefrainError.invalidArgument("unknown task '\(runAs)' (\(TaskRegistry.standard.names.joined(separator: ", ")))")
            }
            var options = QueryOptions(task: runAs, top: pruningOnly ? 1000 : 100, transpositions: transpositions,
                                       keyInvariance: keyInvariance, overrides: overrides)
            // Without its last (exact) stage, the cascade ranks by its pruning stages (their recall).
            if pruningOnly, let last = Engine.stageSpecs(searchTask, options: options).last {
                options.overrides[last.stage, default: [:]]["enabled"] = "false"
            }
            var pruned = ConditionBreakdown(), full = ConditionBreakdown()
            var stageTimes = StageTimes()
            var agree = 0
            let progress = ProgressReporter(total: queries.count, label: task)
            for query in queries {
                let url = URL(fileURLWithPath: query.path)
                options.id = query.id
                options.prune = true
                let answer = try engine.query(.file(url), options: options)
                pruned.add(query, answer.result)
                stageTimes.add(total: answer.result.seconds, trace: answer.trace)
                everything.append(answer.result)
                if exhaustive {
                    options.prune = false
                    let all = try engine.query(.file(url), options: options).result
                    full.add(query, all)
                    if all.ranking.first?.key == answer.result.ranking.first?.key { agree += 1 }
                }
                progress.step()
            }
            print("")
            let stageList = Engine.stageSpecs(searchTask, options: options).filter(\.enabled).map(\.stage).joined(separator: " > ")
            print(pruned.table(title: "\(task) (run as \(runAs): \(stageList)), \(half) half, \(queries.count) queries:"))
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
