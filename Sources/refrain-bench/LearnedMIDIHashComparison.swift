import Foundation
import Refrain
import RefrainIndex
import RefrainMath
import RefrainSymbolic

extension LearnedBenchCommand {
    /// The hash stage alone (every recording ranked by Hamming DTW, `midi-to-audio-hash-only`) with each MIDI
    /// query hashed two ways against the same audio codes: from the score synthesized and read by the hasher's
    /// `synth` network (the engine's query, FluidSynth included), and from its piano roll read by the piano-roll
    /// hasher (`PianoRollHasher`: the MIDI file read, `LearnedInput.rollFrames`, the network; no synthesizer).
    /// The index holds the development set's recordings with the `hashes` encoder only (no shingle graph), in
    /// `learned-hashes-index-N` under the work folder, kept and reused. Prints the share of queries whose true
    /// recording ranks within 1, 10, 100, 1000 and each way's analysis and stage times.
    func compareMIDIHashes(_ set: DevelopmentSet, work: URL) throws {
        var registry = EncoderRegistry()
        registry.register(HashEncoder.name, version: HashEncoder.version, summary: "learned hash sequences") { try HashEncoder(settings: $0) }
        let configuration = Engine.Configuration(encoders: registry, tasks: .learned, stages: .learned)
        var hasherSettings: [String: String] = [:]
        if let model { hasherSettings["model"] = URL(fileURLWithPath: model).path }
        let index = work.appendingPathComponent("learned-hashes-index-\(set.recordings.count)")
        let engine: Engine
        if FileManager.default.fileExists(atPath: index.appendingPathComponent(IndexStore.catalogName).path) {
            engine = try Engine.open(at: index, configuration: configuration)
        } else {
            let clock = Date()
            engine = try Engine.create(at: index, layout: .music(settings: [HashEncoder.name: hasherSettings], shingles: false),
                                       configuration: configuration)
            let jobs = try engine.jobs(for: set.recordings).jobs
            let report = try engine.add(jobs, progress: ProgressReporter(total: jobs.count, label: "indexing"))
            print("\nadd          \(report.added.count) items in \(fmt(Date().timeIntervalSince(clock), 1)) s (hashes only)")
        }
        let queries = try chosenQueries(set)
        print("queries      \(queries.count) MIDI queries (\(half) half)")
        let hasher = try HashEncoder(settings: hasherSettings)
        let pianoRoll = try pianorollModel.map { try PianoRollHasher.load(URL(fileURLWithPath: $0).path, audioHasher: hasher.model) }
            ?? PianoRollHasher.shipped(audioHasher: hasher.model)
        let rollEncoder = try HashEncoder(model: hasher.model, source: "bench", pianoRoll: pianoRoll)
        print("hasher       \(hasher.model.sha256); piano roll \(pianorollModel ?? "shipped") \(pianoRoll.model.sha256)")
        let store = try IndexStore.open(at: index)
        let candidates = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let stage = HashDTWStage(keep: Int(Int32.max))
        var synthRanks: [Int?] = [], rollRanks: [Int?] = []
        var synthAnalysis: [Double] = [], rollAnalysis: [Double] = [], synthStage: [Double] = [], rollStage: [Double] = []
        let progress = ProgressReporter(total: queries.count, label: "queries hashed two ways")
        for query in queries {
            let url = URL(fileURLWithPath: query.path)
            let synth = try engine.query(.file(url), options: QueryOptions(task: HashOnlyMIDIToAudioTask().name, top: 100_000, id: query.id))
            synthRanks.append(Self.rank(query, synth.result.ranking))
            synthAnalysis.append(synth.analysisSeconds)
            synthStage.append(synth.trace.first { $0.stage == "hash-dtw" }?.seconds ?? 0)
            var clock = Date()
            let score = try MIDIScore(contentsOf: url)
            let codes = try rollEncoder.codes(frames: LearnedInput.rollFrames(score), role: "pianoroll", threads: engine.configuration.budget.threads)
            rollAnalysis.append(Date().timeIntervalSince(clock))
            let analysis = ItemAnalysis(kind: .midi, duration: score.endTime, features: [:], codes: [
                HashEncoder.name: try CodeSequence(array: NPYArray(codes, shape: [codes.count, 1]), times: codes.indices.map { (Double($0 * 4) + 1.5) / LearnedInput.frameRate })])
            clock = Date()
            let ranked = try stage.run(SearchQuery(analysis: analysis, topK: candidates.count, threads: engine.configuration.budget.threads),
                                       candidates: candidates, store: store)
            rollStage.append(Date().timeIntervalSince(clock))
            rollRanks.append(ranked.firstIndex { query.relevant.contains($0.key) }.map { $0 + 1 })
            if perQuery {
                print("\nquery \(query.id): synth \(Self.rankText(synthRanks.last ?? nil)), pianoroll \(Self.rankText(rollRanks.last ?? nil))")
            }
            progress.step()
        }
        print("")
        print("hash stage alone at \(candidates.count) items, \(queries.count) queries (\(half) half):")
        print("  synthesized CQT (synth)  " + Self.table(synthRanks) + "   (analysis " + Self.percentiles(synthAnalysis) + "; hash-dtw " + Self.percentiles(synthStage) + ")")
        print("  piano roll (pianoroll)   " + Self.table(rollRanks) + "   (analysis " + Self.percentiles(rollAnalysis) + "; hash-dtw " + Self.percentiles(rollStage) + ")")
        let better = zip(synthRanks, rollRanks).filter { ($1 ?? .max) < ($0 ?? .max) }.count
        let worse = zip(synthRanks, rollRanks).filter { ($1 ?? .max) > ($0 ?? .max) }.count
        print("  piano roll ranks the true recording higher for \(better), lower for \(worse) of \(queries.count) queries")
    }
}
