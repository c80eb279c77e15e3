import Foundation
import RefrainIndex
import RefrainMath

/// A query's answer: the ranking (as JSON results carry it) and what each step took.
public struct SearchResult: Sendable {
    /// The ranking with the query's id, task, time and ranking mode.
    public var result: QueryResult
    /// Seconds spent decoding (or rendering) and encoding the query.
    public var analysisSeconds: Double
    /// Per stage, in order: name, candidates in and out, seconds.
    public var trace: [(stage: String, input: Int, output: Int, seconds: Double)]
}

extension Engine {
    /// Answers `input` with the task `options.task` (or the one `auto` picks for the input's kind): the query
    /// is encoded with the task's encoders only, searched with the task's cascade on the engine's budget,
    /// and the ranking carries each item's work and title (and, with `options.path`, the alignment). Safe to
    /// call from many threads at once.
    public func query(_ input: QueryInput, options: QueryOptions = QueryOptions()) throws -> SearchResult {
        try options.validate()
        let started = DispatchTime.now().uptimeNanoseconds
        let state = try searchableState()
        let store = state.store
        let threads = configuration.budget.threads
        let analysis: ItemAnalysis
        let specs: [StageSpec]
        var taskName: String?
        if let music = state.analyzer as? MusicAnalyzer {
            let source = try makeSource(input, threads: threads)
            let task = try configuration.tasks.resolve(options.task, for: source.kind)
            taskName = task.name
            let encoders = try task.encoders.map { name -> any MusicEncoder in
                guard let encoder = state.encoders[name] else {
                    let answered = configuration.tasks.all.filter { $0.encoders.allSatisfy { state.encoders[$0] != nil } }.map(\.name)
                    let remedy = configuration.encoders.entry(name)?.isDefault == false
                        ? "it is made on request: `refrain reindex \(directory.path) --learned` adds it (a new index: `refrain index create DIR --learned`)"
                        : "run `refrain reindex \(directory.path)` to encode its items with this Refrain's encoders"
                    throw RefrainError(.index, "\(directory.path) has no '\(name)' arrays, which the task \(task.name) needs (this index answers "
                                       + "\(answered.joined(separator: ", "))); \(remedy)")
                }
                return encoder
            }
            let optional = task.optionalEncoders.compactMap { state.encoders[$0] }
            analysis = try music.analysis(of: source, encoders: encoders + optional, lanes: task.analysisLanes)
            specs = Self.stageSpecs(task, options: options)
        } else {
            guard options.task == "auto" else {
                throw RefrainError.invalidArgument("an index of .npy features answers with its own cascade; leave the task on auto")
            }
            guard case .file(let url) = input else {
                throw RefrainError.invalidArgument("an index of .npy features is queried with a .npy file")
            }
            analysis = try state.analyzer.analyze(url, bytes: nil, threads: threads)
            specs = QueryEngine.defaultSpecs(for: store.settings, prune: options.prune, keep: options.keep).map { spec in
                var spec = spec
                spec.options.merge(options.overrides[spec.stage] ?? [:]) { _, new in new }
                return spec
            }
        }
        let analysisSeconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let cascade = try configuration.stages.cascade(specs, store: store)
        // Works are ranked by their best item: ask for enough entries that `top` distinct works remain.
        let wanted = options.by == .work ? max(options.top * 10, 100) : options.top
        let outcome = try cascade.search(SearchQuery(analysis: analysis, topK: wanted, threads: threads, wantsPath: options.path),
                                         store: store)
        let items = try store.items(ids: outcome.ranking.map(\.itemID))
        var ranking = outcome.ranking.map { candidate -> RankedItem in
            let item = items[candidate.itemID]
            return RankedItem(key: candidate.key, work: item?.workKey ?? candidate.key, title: item?.title,
                              score: candidate.score, start: candidate.start, end: candidate.end,
                              path: options.path ? candidate.path : nil)
        }
        if options.by == .work {
            var seen = Set<String>()
            ranking = ranking.filter { seen.insert($0.work ?? $0.key).inserted }
        }
        ranking = Array(ranking.prefix(options.top))
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let result = QueryResult(id: options.id ?? input.name, seconds: seconds, task: taskName, by: options.by.rawValue,
                                 ranking: ranking)
        return SearchResult(result: result, analysisSeconds: analysisSeconds, trace: outcome.trace)
    }

    /// The stage list a query of `task` runs under `options`: the task's cascade with `options.overrides`
    /// merged into the stages they name (settings for a stage the list does not hold are ignored); the
    /// override `enabled=false` (or `true`) switches a stage off (or on).
    public static func stageSpecs(_ task: any SearchTask, options: QueryOptions) -> [StageSpec] {
        task.stages(options).map { spec in
            var spec = spec
            spec.options.merge(options.overrides[spec.stage] ?? [:]) { _, new in new }
            if let enabled = spec.options.removeValue(forKey: "enabled") { spec.enabled = enabled != "false" }
            return spec
        }
    }

    /// The analysis source of a query input.
    func makeSource(_ input: QueryInput, threads: Int) throws -> AnalysisSource {
        switch input {
        case .file(let url):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
                throw RefrainError.fileNotFound(url.path)
            }
            guard !isDirectory.boolValue else {
                throw RefrainError.invalidFile(url.path, "is a directory, not an audio or MIDI file")
            }
            return try AnalysisSource(url: url, renderers: renderers, threads: threads)
        case .bytes(let data, let name):
            guard !data.isEmpty else { throw RefrainError.invalidFile(name, "the upload is empty") }
            return try AnalysisSource(url: URL(fileURLWithPath: name), bytes: data, name: name, renderers: renderers,
                                      threads: threads)
        case .audio(let signal, let name):
            guard !signal.samples.isEmpty else { throw RefrainError.invalidArgument("\(name): no audio samples") }
            return AnalysisSource(signal: signal, name: name, threads: threads)
        case .score(let score, let name):
            return try AnalysisSource(score: score, bytes: nil, name: name, renderers: renderers, threads: threads)
        case .melody(let notes, let name):
            return try AnalysisSource(melody: notes, name: name, threads: threads)
        }
    }
}
