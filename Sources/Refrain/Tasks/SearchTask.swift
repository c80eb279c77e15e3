import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// A kind of question a query asks of a collection — which recording is this score, where else does this
/// passage occur, which works does this hum come from — as a registered type: the inputs it takes, the
/// encoders it needs (the query computes only those, and the index must have them), and its default
/// cascade of search stages. New tasks (learned cascades, humming) plug in by registering one
/// (`TaskRegistry`).
public protocol SearchTask: Sendable {
    /// The task's name, as `--task` and the API's `task=` take it (`midi-to-audio`).
    var name: String { get }
    /// One line: the question the task answers.
    var summary: String { get }
    /// The kinds of query input it takes.
    var inputs: Set<InputKind> { get }
    /// The kinds of input for which `--task auto` picks this task (at most one task per kind).
    var automaticFor: Set<InputKind> { get }
    /// Encoders (stored array names) the query is encoded with; the index must have each.
    var encoders: [String] { get }
    /// The stage list of the task's cascade under `options` (pruning on or off, items kept ...).
    func stages(_ options: QueryOptions) -> [StageSpec]
    /// Encoders the query is also encoded with when the index has their arrays (a stage that uses them
    /// is skipped on an index without them). Default: none.
    var optionalEncoders: [String] { get }
    /// Lanes the query's encoders run on side by side, each with the engine's threads, so that the arrays are
    /// the serial ones bit for bit (`MusicAnalyzer.analysis(of:encoders:lanes:)`, `AnalysisSource.lanes(_:)`;
    /// while both compute, their parallel parts may ask for up to `lanes` times the budget): worth more than 1
    /// only where the encoders read different transforms of the input, which then run at once. Default: 1.
    var analysisLanes: Int { get }
}

extension SearchTask {
    public var optionalEncoders: [String] { [] }
    public var analysisLanes: Int { 1 }
}

/// The tasks this program has, by name.
public struct TaskRegistry: Sendable {
    private var tasks: [String: any SearchTask] = [:]
    private var order: [String] = []

    public init() {}

    /// MIDI to audio, audio matching, version identification, query by humming, and the learned cascade's tasks.
    public static var standard: TaskRegistry {
        var registry = TaskRegistry()
        registry.register(MIDIToAudioTask())
        registry.register(AudioMatchTask())
        registry.register(VersionTask())
        registry.register(HummingTask())
        registry.registerLearned()
        return registry
    }

    public mutating func register(_ task: any SearchTask) {
        if tasks[task.name] == nil { order.append(task.name) }
        tasks[task.name] = task
    }

    /// Task names in registration order.
    public var names: [String] { order }

    public var all: [any SearchTask] { order.compactMap { tasks[$0] } }

    public func task(named name: String) -> (any SearchTask)? { tasks[name] }

    /// The task `name` for an input of `kind`: `auto` picks the task registered for that kind; a named task
    /// must accept it.
    public func resolve(_ name: String, for kind: InputKind) throws -> any SearchTask {
        if name == "auto" {
            guard let task = all.first(where: { $0.automaticFor.contains(kind) }) else {
                throw RefrainError.invalidArgument("no task answers \(kind.rawValue) queries automatically; name one with --task (\(names.joined(separator: ", ")))")
            }
            return task
        }
        guard let task = tasks[name] else {
            throw RefrainError.invalidArgument("unknown task '\(name)' (auto, \(names.joined(separator: ", ")))")
        }
        guard task.inputs.contains(kind) else {
            throw RefrainError.invalidArgument("the task \(name) takes \(task.inputs.map(\.rawValue).sorted().joined(separator: " or ")) queries, not \(kind.rawValue)")
        }
        return task
    }
}

/// Which recording is this score? (Raffel & Ellis 2015, 2016.) The score is rendered and compared with every
/// recording by beat-synchronous CQT DTW (plus a CENS term); shingle votes (at the score's tempo) prune first, and a
/// document-level CENS DTW (the `version` stage) keeps the best 25 for the costlier CQT alignment. In any
/// key by default: both DTW stages try the transpositions the chroma profiles make likely
/// (`KeyInvariantMatcher`); `options.keyInvariance = false` searches in the score's key only.
public struct MIDIToAudioTask: SearchTask {
    public init() {}
    public var name: String { "midi-to-audio" }
    public var summary: String { "which recording is this score? (ranks the audio items)" }
    public var inputs: Set<InputKind> { [.midi] }
    public var automaticFor: Set<InputKind> { [.midi] }
    public var encoders: [String] { [CQTBeatsEncoder.name, CENSEncoder.name] }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        var vote = options.voteStage
        // Every second shingle of the whole score is enough. The score votes at its own tempo only: voting
        // also at 0.8 and 1.25 cost 3.6x the vote stage's time (tune half p50 0.109 -> 0.030 s) and changed
        // no result there; the version stage that follows fits the lengths (issue 18, round 3).
        vote.options["query_hop"] = "2"
        let key = options.keyInvariance ? "estimate" : "off"
        return [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]), vote,
                StageSpec(stage: "version", enabled: options.prune, options: ["keep": "25", "key": key]),
                StageSpec(stage: "raffel-ellis", options: ["key": key])]
    }
}

/// Where else does this passage occur, in which recording, at what time? (Müller, Kurth & Clausen 2005.)
/// Subsequence DTW of CENS joined with the timbre-robust `crp_coarse` (`JointChroma`) at seven tempi, up to three
/// matches per item, after shingle votes (joined by the best 20 items of a key-invariant scan, `FourierPatchStage`,
/// the unvoted items filling the keep in the order of a coarse DTW, `CoarseDTWOrdering`);
/// the best 20 items are matched again on the finer `cens_fine` and `crp` where the index has them (`FineRescoreStage`). In
/// any key by default, coarse to fine over the transpositions the chroma profiles make likely
/// (`CoarseToFineAudioMatcher`); `options.transpositions` tries all twelve instead, `options.keyInvariance =
/// false` the query's key only.
public struct AudioMatchTask: SearchTask {
    public init() {}
    public var name: String { "audio-match" }
    public var summary: String { "where else does this passage occur? (ranks passages of any item)" }
    public var inputs: Set<InputKind> { [.audio, .midi] }
    public var automaticFor: Set<InputKind> { [.audio] }
    public var encoders: [String] { [CENSEncoder.name] }
    public var optionalEncoders: [String] { [FineCENSEncoder.name, CRPEncoder.name, CoarseCRPEncoder.name] }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        let shifts = options.transpositions ? "12" : "1"
        let key = options.keyInvariance ? "estimate" : "off"
        // Items without a vote follow the voted ones up to `keep`: a collection no larger than `keep` is
        // searched exhaustively (issue 18, round 4: 2 of the 5 tune-half misses at 390 items had no vote).
        var vote = options.voteStage
        vote.options["fill"] = "true"
        // Excerpts shorter than about 10 s (22 CENS frames, 11 shingles) vote with each shingle rotated to
        // its 4 strongest pitch classes instead of 2 and keep 1.5 times as many items: on the tune half of
        // the realistic benchmark a 7 s excerpt in a reverberant, noisy room got no vote otherwise (P@1
        // 0.980 -> 0.985, MAP 0.941 -> 0.947); doing so for every query cost 1.3x the median query time,
        // and for queries up to 20 s added nothing there (issue 18, round 6).
        vote.options["short_frames"] = "22"
        vote.options["short_rotations"] = "4"
        vote.options["short_keep"] = String(options.keep + options.keep / 2)
        // The 20 items nearest by the 2-D Fourier magnitude of CENS patches join the voted ones
        // (`FourierPatchStage`), so that an item the vote misses can still reach the DTW stages. On the tune half
        // of the realistic benchmark, with the vote cut to 50 items (75 for short queries) as a stand-in for a
        // larger collection, they raised P@1 / MAP 0.944 / 0.856 -> 0.959 / 0.881; at the default 200 of 390
        // items every true item already passes and the answers were unchanged. Report half, run once: P@1 / MAP /
        // span 0.974 / 0.919 / 0.984 -> 0.974 / 0.925 / 0.984 (issue 18, round 11).
        vote.options["fourier_keep"] = "20"
        // The items without a vote fill the keep in the order of a coarse subsequence DTW of the whole query (cens and
        // crp_coarse joined at a quarter of the frame rate, `CoarseDTWOrdering`), not in catalogue order: heavy
        // degradation (a changed arrangement, a low-pass or a room, noise at 10-12 dB, a far tempo) can move every
        // 20-frame shingle away from the true item while the whole query still aligns with it. Larger tune set
        // (980 excerpts, `--extra-tune-excerpts 8`, quiet): P@1 / MAP / span 0.981 / 0.944 / 0.981 -> 0.985 / 0.949 /
        // 0.981 (19 -> 15 misses, none lost; on the 588 of round 14 +2, on the 392 added since +2), p50 0.068 ->
        // 0.072 s. At 10,000 items the vote's own items fill the keep and answers and times are unchanged (issue 18,
        // round 14).
        vote.options["fill_order"] = "coarse"
        // The best 20 are re-scored on the mean of `cens_fine` and the timbre-robust `crp` (Müller & Ewert 2010),
        // each item's span from the array that matched it best. On the realistic benchmark's larger tune set (588
        // excerpts, `--extra-tune-excerpts 4`) the mean raised P@1 / MAP / span 0.966 / 0.927 / 0.986 -> 0.976 /
        // 0.935 / 0.981 (20 -> 14 misses: 7 of the 8 that `cens_fine` alone ranked wrong are right, one is lost);
        // spans from `cens_fine` instead gave 0.976 there; re-scoring the best 50 gained one query more at twice the
        // stage's time. Narrow benchmark: P@1 / MAP 0.980 / 0.984 -> 1.000 / 1.000, span share 0.979 -> 0.959 (47
        // right spans of 49 queries in both: one more query found at its place, one found span moved to another
        // passage of its item). Round 9 had left it off on the 196-query tune half (+2 queries) and the report half
        // (0.974 -> 0.969) (issue 18, rounds 9 and 12).
        // The first DTW stage reads `cens` and the timbre-robust `crp_coarse` joined frame by frame (`JointChroma`): one
        // subsequence DTW whose cost is the mean of the two cosine costs on one path. On the larger tune set (588
        // excerpts) it raised P@1 / MAP / span 0.976 / 0.935 / 0.981 -> 0.981 / 0.944 / 0.979 (14 -> 11 misses: 4 items
        // the stage had ranked beyond the fine stage's 20 are found, one is lost). Each array's own best path, key and
        // tempo (`joint=false`, `ArrayMeanMatcher`) gave 0.983 / 0.947 / 0.979 but took the stage 2.3x `cens`'s time;
        // joined, 1.4-1.5x (stage medians 0.058-0.062 s against 0.040-0.042 s, query p50 1.2-1.4x, all under load 5-7)
        // (issue 18, round 13). An index without `crp_coarse` matches `cens` alone.
        return [vote, StageSpec(stage: "audio-match", options: ["matches_per_item": "3", "transpositions": shifts, "key": key,
                                                                "array": "cens,crp_coarse", "joint": "true"]),
                StageSpec(stage: "fine-rescore", options: ["matches_per_item": "3", "key": key, "array": "cens_fine,crp"])]
    }
}
