import ArgumentParser
import Foundation
import Refrain
import RefrainIndex

/// `refrain-bench retrieval`: the development benchmark of issue 5 on a folder of MIDI files.
struct BenchRetrievalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retrieval",
        abstract: "Render a MIDI corpus as recordings, index it, and evaluate MIDI and audio-excerpt queries.",
        discussion: """
        Recordings: each MIDI file rendered with FluidR3 and a smooth tempo curve. MIDI queries: tempo change, \
        another program for the first part, one part dropped. Audio queries: 15 s excerpts rendered with \
        TimGM6mb at another tempo, transposed by -2...+2 semitones (searched with transpositions on). Every \
        query runs with the pruning stage and exhaustively; the share of exhaustive top-1 answers the pruned \
        search keeps is printed. Rendered files are cached in --work.
        """)

    @Option(help: "Folder of MIDI files.") var corpus = "../shared/corpus"
    @Option(help: "Use the first N files (name order).") var limit = Int.max
    @Option(help: "Cache folder for recordings, queries and the index.") var work = ".cache/bench-retrieval"
    @Option(help: "Write all results JSON here.") var results: String?
    @Option(help: "Pool the MIDI-to-audio CQT in blocks of this many seconds (0: per beat).")
    var cqtBlockSeconds = CQTBeatsEncoder.Settings().blockSeconds
    @Option(help: "Tasks to evaluate, comma-separated (midi-to-audio, audio-match; with --realistic also version).") var tasks = "midi-to-audio,audio-match"
    @Option(help: "Add this many distractor items (features of the recordings no chosen query looks for, reversed in time, tempo-scaled, transposed) for a scale run.")
    var distractors = 0
    @Option(help: "Run at most this many queries per task, spread evenly over the set (exhaustive search at scale is slow).")
    var queriesPerTask = Int.max
    @Option(name: .customLong("set"), help: "Set a stage option, stage.option=value (repeatable), e.g. raffel-ellis.gully=0.9.")
    var settings: [String] = []
    @Flag(inversion: .prefixedNo, help: "Also run every query exhaustively (the pruning stage off) and compare the top-1 answers.")
    var exhaustive = true
    @Flag(inversion: .prefixedNo, help: "Narrow benchmark: search the audio queries with all twelve transpositions (the cascade of before key invariance became the default; --no-transpositions runs the default cascade).")
    var transpositions = true
    @Flag(help: "The realistic benchmark of issue 18 (RealisticSet): several soundfonts (one unseen), arrangements, keys, tempi 0.6-1.6, rooms, noise, EQ, codecs, 8-48 kHz, excerpts 5 s to whole pieces, version queries; accuracy by condition.")
    var realistic = false
    @Option(help: "Realistic: which half of the pieces to query (tune, report, all).") var half = "tune"
    @Option(help: "Realistic: seed of the set and of the tune/report split.") var seed: UInt64 = 18
    @Option(help: "Realistic: task the version queries run under (version, or audio-match for a baseline).") var versionTask = "version"
    @Option(help: "Realistic: folder of MIDI files rendered as distractor recordings.") var trainCorpus = "../shared/train-corpus"
    @Option(help: "Realistic: render this many train-corpus pieces as distractors.") var trainDistractors = 0
    @Flag(help: "Reuse the index of an earlier run when it exists (narrow: as that run left it, distractors included; --distractors is then ignored).") var reuseIndex = false
    @Option(help: "Realistic: shingle transform of the index (none, 2dftm, canonical-key; default: the music index's).") var shingleTransform: String?
    @Flag(help: "Realistic: leave out each cascade's last (exact) stage, to measure the recall of the pruning stages.") var pruningOnly = false
    @Flag(help: "Realistic: audio matching tries all twelve transpositions (instead of the OTI-estimated ones).") var allTranspositions = false
    @Option(help: "Key invariance: estimate (default) or off (the query's key only).") var key = "estimate"
    @Option(help: "Realistic: FluidSynth interpolation of the engine's score renderings (none, linear, fourth-order, seventh-order; default: the engine's).")
    var renderInterpolation: String?
    @Option(help: "Realistic: this many more audio-excerpt queries per tune-half piece, each from its own seed (the recordings, the split and all other queries stay as they are; 4 makes the round-12 tuning set of 588).")
    var extraTuneExcerpts = 0
    @Option(help: "Realistic: render the engine's scores at this rate (Hz) and resample them up to the encoders' rate (default: the engine's).")
    var renderRate: Double?

    func run() throws {
        let overrides = try QueryOptions.overrides(settings)
        guard key == "estimate" || key == "off" else { throw RefrainError.invalidArgument("--key takes estimate or off, not '\(key)'") }
        if realistic {
            let chosen = Set(tasks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            try RealisticRetrievalBench(corpus: corpus, work: work, limit: limit, seed: seed, half: half, tasks: chosen,
                                        versionTask: versionTask, trainCorpus: trainCorpus, trainDistractors: trainDistractors,
                                        distractors: distractors, queriesPerTask: queriesPerTask, overrides: overrides,
                                        exhaustive: exhaustive, reuseIndex: reuseIndex, results: results,
                                        shingleTransform: shingleTransform, pruningOnly: pruningOnly,
                                        transpositions: allTranspositions, keyInvariance: key != "off",
                                        renderInterpolation: try renderInterpolation.map(RealisticRetrievalBench.interpolation),
                                        renderRate: renderRate, extraTuneExcerpts: extraTuneExcerpts).run()
            return
        }
        let workURL = URL(fileURLWithPath: work)
        var clock = Date()
        let set = try DevelopmentSet(corpus: URL(fileURLWithPath: corpus), directory: workURL, limit: limit) { line in
            FileHandle.standardError.write(Data("\rpreparing \(line)      ".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        print("set          \(set.recordings.count) recordings (\(fmt(set.recordingSeconds / 60, 1)) min), \(set.midiQueries.count) MIDI queries, \(set.audioQueries.count) audio queries; prepared in \(fmt(Date().timeIntervalSince(clock), 1)) s")

        clock = Date()
        let indexURL = workURL.appendingPathComponent("index-\(set.recordings.count)")
        let reusing = reuseIndex && FileManager.default.fileExists(atPath: indexURL.appendingPathComponent(IndexStore.catalogName).path)
        let engine: Engine
        if reusing {
            engine = try Engine.open(at: indexURL)
            let stats = try engine.stats().stats
            print("index        reusing \(indexURL.path): \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h")
        } else {
            try? FileManager.default.removeItem(at: indexURL)
            let encoderSettings = cqtBlockSeconds == 0 ? [:] : [CQTBeatsEncoder.name: ["cqt_block_seconds": String(cqtBlockSeconds)]]
            engine = try Engine.create(at: indexURL, layout: .music(settings: encoderSettings))
            let jobs = try engine.jobs(for: set.recordings).jobs
            let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
            let stats = try engine.stats().stats
            print("add          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s: \(Int(report.realTimeFactor))x real time (decode + features, 2 threads), \(Int(stats.bytesPerItem / 1024)) KiB per item")
        }

        func selection(_ queries: [EvalQuery]) -> [EvalQuery] {
            guard queriesPerTask < queries.count else { return queries }
            let step = max(1, (queries.count + queriesPerTask - 1) / max(queriesPerTask, 1))
            return Array(stride(from: 0, to: queries.count, by: step).map { queries[$0] }.prefix(queriesPerTask))
        }
        let selected = selection(set.midiQueries) + selection(set.audioQueries)
        if distractors > 0 && !reusing {
            let store = try IndexStore.open(at: indexURL, writable: true)
            let (adding, graph) = try Distractors.add(distractors, to: store, excluding: Set(selected.flatMap(\.relevant))) { done in
                FileHandle.standardError.write(Data("\rdistractors \(done)/\(distractors)      ".utf8))
            }
            let stats = try engine.stats().stats
            print("")
            print("distractors  \(distractors) added in \(fmt(adding, 1)) s, shingle graph updated in \(fmt(graph, 1)) s; \(stats.itemCount) items, \(fmt(stats.totalDuration / 3600, 1)) h, \(Int(stats.bytesPerItem / 1024)) KiB per item")
        }

        var all: [QueryResult] = []
        let chosen = Set(tasks.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        let taskTable = [("MIDI to audio", set.midiQueries, MIDIToAudioTask().name, false),
                         ("audio match", set.audioQueries, AudioMatchTask().name, transpositions)]
        guard chosen.isSubset(of: taskTable.map { $0.2 }) else {
            throw RefrainError.invalidArgument("unknown task in --tasks '\(tasks)' (midi-to-audio, audio-match)")
        }
        for (name, everyQuery, task, transpose) in taskTable where chosen.contains(task) {
            let queries = selection(everyQuery)
            var pruned: [QueryResult] = [], everything: [QueryResult] = []
            var stageTimes = StageTimes()
            let progress = ProgressReporter(total: queries.count * (exhaustive ? 2 : 1), label: name)
            for query in queries {
                for prune in exhaustive ? [true, false] : [true] {
                    let options = QueryOptions(task: task, top: 100, prune: prune, transpositions: transpose,
                                               keyInvariance: key != "off", overrides: overrides,
                                               id: query.id)
                    let answer = try engine.query(.file(URL(fileURLWithPath: query.path)), options: options)
                    let result = answer.result
                    if prune {
                        pruned.append(result)
                        stageTimes.add(total: result.seconds, trace: answer.trace)
                    } else {
                        everything.append(result)
                    }
                    progress.step()
                }
            }
            let agree = zip(pruned, everything).filter { $0.ranking.first?.key == $1.ranking.first?.key }.count
            print("")
            print("\(name), pruned (shingle votes -> exact):")
            print(RetrievalMetrics(queries: queries, results: pruned).summary)
            print("pruned query time by step, median: \(stageTimes.summary)")
            all += pruned
            guard self.exhaustive else { continue }
            print("\(name), exhaustive (exact stage on every item):")
            print(RetrievalMetrics(queries: queries, results: everything).summary)
            print("pruned search keeps the exhaustive top-1 for \(agree) of \(queries.count) queries (\(fmt(100 * Double(agree) / Double(max(queries.count, 1)), 1)) %)")
        }
        if let results {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try encoder.encode(QueryResultsFile(results: all)).write(to: URL(fileURLWithPath: results))
        }
    }
}

/// Where a query's time goes: the analysis of the query file (rendering, features) and each stage of
/// the cascade, collected over queries and reported as medians.
struct StageTimes {
    private var seconds: [String: [Double]] = [:]
    private var order: [String] = []

    mutating func add(total: Double, trace: [(stage: String, input: Int, output: Int, seconds: Double)]) {
        record("analysis", total - trace.reduce(0) { $0 + $1.seconds })
        for step in trace { record(step.stage, step.seconds) }
    }

    private mutating func record(_ name: String, _ value: Double) {
        if seconds[name] == nil { order.append(name) }
        seconds[name, default: []].append(value)
    }

    var summary: String {
        order.map { name in
            let values = seconds[name]!.sorted()
            return "\(name) \(String(format: "%.3f", values[values.count / 2])) s"
        }.joined(separator: ", ")
    }
}
