import Foundation
import RefrainIndex
import RefrainMath

/// Which recording is this score, through the learned cascade (Raffel & Ellis 2015, 2016): audio items only,
/// then the union (`candidate-union`) of the nearest learned embeddings (`candidate-union.embedding-nn.keep`, default
/// 2,000 or a fifth of the items) and the best 250 items by CENS shingle votes (Zalkow & Müller 2020;
/// `candidate-union.shingle-vote.keep`; 50 neighbours per score shingle, `voteBreadth`), then Hamming DTW over learned hash
/// sequences (within a band of 10 % of each item's length, `hash-dtw.band`) keeps the `hash-dtw.keep` best
/// (default 500, and the vote's first `hashPass` whatever their cost; `hashPianoRoll` for a second reading of the
/// score from its piano roll), then the default cascade's `version` stage (banded
/// CENS DTW at half rate, `MIDIToAudioTask`) keeps `versionKeep` (10) and hash-dtw's first `versionPass` (3) whatever their version
/// cost, and the exact Raffel-Ellis CQT DTW ranks them (on the tune
/// half at 10,000 items the version stage cut the exact stage's p50 from 0.25 to 0.03 s with the same ranks).
/// With pruning off (`QueryOptions.prune` false) the three pruning stages are skipped and the exact stage sees
/// every audio item: exhaustive search. The version and exact stages are key invariant like
/// `MIDIToAudioTask`'s; the hash stage is not (in training a rendition
/// shares its score's key), so a recording in another key than its score may be pruned before it.
public struct HashedMIDIToAudioTask: SearchTask {
    public init() {}
    public var name: String { "midi-to-audio-hashed" }
    public var summary: String { "which recording is this score? (hash-sequence DTW pruning, then exact DTW)" }
    public var inputs: Set<InputKind> { [.midi] }
    public var automaticFor: Set<InputKind> { [] }
    public var encoders: [String] { [CQTBeatsEncoder.name, CENSEncoder.name, EmbeddingEncoder.name, HashEncoder.name] }
    /// Two: after the rendering, `cqt_beats`' CQT and the embedder run beside the chroma CQT of `cens` and the
    /// hasher (`MusicAnalyzer.analysis(of:encoders:lanes:)`). Thirteenth round, tune half at 10,000 items:
    /// see docs/learned-models.md.
    public var analysisLanes: Int { 2 }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        let key = options.keyInvariance ? "estimate" : "off"
        return [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]),
         StageSpec(stage: "candidate-union", enabled: options.prune, options: Self.firstStage(options)),
         StageSpec(stage: "hash-dtw", enabled: options.prune, options: ["band": Self.hashBand, "pass": "\(Self.hashPass)",
                                                                          "pianoroll": Self.hashPianoRoll]),
         StageSpec(stage: "version", enabled: options.prune, options: ["keep": "\(Self.versionKeep)", "pass": "\(Self.versionPass)", "key": key]),
         StageSpec(stage: "raffel-ellis", options: ["key": key])]
    }
}

extension HashedMIDIToAudioTask {
    /// Items the shingle vote passes to the hash stage beside the embedding's (`candidate-union`). Seventh round,
    /// tune half at 10,000 items (embedding 4,000, hash-dtw 1,000, version 25): with the vote keeping 0 / 250 /
    /// 1,000, 97 / 98 / 98 of 98 true matches survive the cascade, query p50 268 / 311 / 305 ms (load 3.5-4.4,
    /// docs/learned/bench-learned-round7-tuning-10000-union.txt).
    public static let shingleKeep = 250

    /// The hash stage's Sakoe-Chiba band, a share of each item's length (`HashBand`; the version stage after it
    /// aligns within 10 % too). Tenth round, tune half at 10,000 items (embedding 2,000, vote 250, hash-dtw 500,
    /// version 25): bands 0 / 0.1 / 0.2 / 0.3 kept 98 of 98 true matches with the same top-1 (92.9 %) and
    /// computed 307 / 66 / 117 / 162 M hash-DTW cells per query, stage p50 151 / 110 / 115 / 129 ms under load
    /// 6-9.5 (docs/learned/bench-learned-round10-bands-tuning-10000.txt).
    public static let hashBand = "0.1"

    /// Items the `version` stage passes to the exact stage. Eleventh round, tune half at 10,000 items (embedding
    /// 2,000, vote 250, hash-dtw 500): the version stage ranked every true recording 1st or 2nd of its 500; keeps
    /// 10 and 25 both let 98 of 98 survive with the same top-1 (92.9 %), and the exact stage's p50 fell from 93 to
    /// 48 ms under load 7.5-9.6 (docs/learned/bench-learned-round11-keeps-tuning-10000.txt). 25 until then, as
    /// `MIDIToAudioTask`'s.
    public static let versionKeep = 10

    /// hash-dtw's cheapest items, which go on to the exact stage whatever the `version` stage made of them
    /// (`KeepBestStage.pass`). Fifteenth round, 300 held-out tune queries at 10,000 items (`HeldOutPieceQueries`):
    /// the version stage's keep of 10 lost 5 true recordings, 4 of which hash-dtw ranked first; passing its first 3
    /// kept 291 instead of 287 of 300 at the same top-1, for 3 more items in the exact stage (docs/learned-models.md).
    public static let versionPass = 3

    /// The shingle vote's best items, which `candidate-union` puts first, that pass the hash stage whatever their
    /// hash cost (`HashDTWStage.pass`). Eleventh round, tune half at 10,000 items: the hash stage ranked the true
    /// recording up to 488th of the union's items (95th percentile 181st) for its keep of 500, while the vote
    /// ranked most of those queries' recordings first; the version stage after it ranked every true recording
    /// 1st or 2nd of its 500 (docs/learned-models.md).
    public static let hashPass = 10

    /// Whether `hash-dtw` reads the score a second time, from its piano roll with the shipped piano-roll hasher (no
    /// synthesizer; `HashPianoRollReading`): `off` by default; `--set hash-dtw.pianoroll=min` keeps each candidate at
    /// the smaller of the two normalised costs. Seventeenth round at 10,000 items (embedding 2,000, vote 250, hash-dtw
    /// 500, band 0.1, pass 10; the sixteenth round's collection), `min` against `off`: true recordings kept 97 / 97 of
    /// the tune half's 98, 291 / 283 of 300 held-out queries, 95 / 93 of the report half's 97; top-1 92 / 91, 265 /
    /// 263, 89 / 89 (none lost). Quiet, alone, alternating: query p50 104.2-127.9 against 91.4-97.7 ms (hash-dtw
    /// 18.7-21.6 against 6.5-7.0 ms: a second banded pass and the piano-roll network), so `min` would give up the
    /// p50 <= 0.1 s this task meets at 10,000 items for one top-1 in a hundred; it stays an option
    /// (docs/learned-models.md, "Seventeenth round, the lead").
    public static let hashPianoRoll = HashPianoRollReading.off.rawValue

    /// The vote's HNSW search breadth (`ef`), which is also the neighbours each score shingle fetches; `MIDIToAudioTask`'s
    /// vote searches 200 of each. Twelfth round, tune half at 10,000 items (the settings above), interleaved per
    /// query: breadths 200 / 100 / 50 all kept 98 of 98 true matches at the same top-1 (92.9 %), and the union's
    /// p50 fell from 417.6 to 310.5 and 261.1 ms under load 7-11 (docs/learned/bench-learned-round12-vote-ef-tuning-10000.txt);
    /// the vote was 37 % of a query's CPU samples (perf) before.
    public static let voteBreadth = 50

    /// The options of the first pruning stage, `candidate-union`: the shingle vote's `shingleKeep` best, voting as
    /// `MIDIToAudioTask`'s does but with `voteBreadth` neighbours (every second shingle of the score, its own tempo), first (so that its best are
    /// the ones `hashPass` lets through), then the embedding's nearest items (its own default keep). An index
    /// without a shingle graph passes every item on from the vote (`ShingleVoteStage`), so the hash stage then
    /// ranks them all: slower, never a lost match.
    static func firstStage(_ options: QueryOptions) -> [String: String] {
        var union = ["sources": "shingle-vote,embedding-nn"]
        var vote = options.voteStage.options
        vote["query_hop"] = "2"
        vote["keep"] = "\(shingleKeep)"
        vote["ef"] = "\(voteBreadth)"
        vote["neighbours"] = "\(voteBreadth)"
        for (key, value) in vote { union["shingle-vote." + key] = value }
        return union
    }
}

/// The hash stage alone (for measuring it, Raffel & Ellis's Table 1): audio items ranked by Hamming DTW of
/// their learned hash sequences against the score's, every item kept.
public struct HashOnlyMIDIToAudioTask: SearchTask {
    public init() {}
    public var name: String { "midi-to-audio-hash-only" }
    public var summary: String { "which recording is this score? (hash-sequence DTW alone, every item ranked)" }
    public var inputs: Set<InputKind> { [.midi] }
    public var automaticFor: Set<InputKind> { [] }
    public var encoders: [String] { [HashEncoder.name] }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]),
         StageSpec(stage: "hash-dtw", options: ["keep": "\(Int(Int32.max))"])]
    }
}

/// The embedding stage alone (Raffel & Ellis 2016's Table 1 for the embedding): audio items ranked by the
/// distance of their learned embeddings to the score's, every item kept.
public struct EmbeddingOnlyMIDIToAudioTask: SearchTask {
    public init() {}
    public var name: String { "midi-to-audio-embedding-only" }
    public var summary: String { "which recording is this score? (learned embedding distance alone, every item ranked)" }
    public var inputs: Set<InputKind> { [.midi] }
    public var automaticFor: Set<InputKind> { [] }
    public var encoders: [String] { [EmbeddingEncoder.name] }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]),
         StageSpec(stage: "embedding-nn", options: ["keep": "\(Int(Int32.max))", "exact-below": "\(Int(Int32.max))"])]
    }
}

extension TaskRegistry {
    /// The learned cascade's tasks (`midi-to-audio-hashed`, `midi-to-audio-hash-only`,
    /// `midi-to-audio-embedding-only`), part of `standard`: an index offers them when it has their encoders
    /// (`Engine.tasks`).
    mutating func registerLearned() {
        register(HashedMIDIToAudioTask())
        register(HashOnlyMIDIToAudioTask())
        register(EmbeddingOnlyMIDIToAudioTask())
    }

    /// The standard tasks (which include the learned cascade's).
    public static var learned: TaskRegistry { .standard }
}

extension StageRegistry {
    /// Refrain's stages (which include `hash-dtw`).
    public static var learned: StageRegistry { .refrain }
}

extension Engine.Configuration {
    /// A configuration with the learned encoders, tasks and stages (`EncoderRegistry.learned` ...).
    public static func learned(budget: ComputeBudget = .machine, soundfont: String? = nil) -> Engine.Configuration {
        Engine.Configuration(budget: budget, soundfont: soundfont, encoders: .learned, tasks: .learned, stages: .learned)
    }
}
