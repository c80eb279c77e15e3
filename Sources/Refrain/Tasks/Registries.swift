import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
extension StageRegistry {
    /// The index module's stages plus the music tasks' own: `kind-filter`, `raffel-ellis` (MIDI to
    /// audio), `audio-match` (CENS subsequence matching) and `version` (whole-sequence CENS DTW; with
    /// `keep`, a pruning stage that passes on its best items); `shingle-vote` gains the options
    /// `transpositions` (12: vote with every cyclic shift of the query's chroma) and `tempi`
    /// (comma-separated factors: vote with the query resampled in time by each, e.g. `0.8,1,1.25`) and
    /// `short_frames`, `short_rotations`, `short_keep` (queries shorter than `short_frames` frames vote with
    /// those rotations and keep that many items; `QueryLengthSwitchStage`) and `fourier_keep` (the best that
    /// many items of a `fourier-patches` scan join the voted ones; `CandidateUnionStage`; `fourier_pool`: its
    /// `FourierPatchPooling`, median or max) and `fill_order` (`catalogue`, `fourier`, `profile` or `coarse`: which
    /// items without a vote fill the keep), and queries shorter
    /// than one shingle vote played slower. The DTW stages are key-invariant unless their
    /// option `key` is `off`.
    public static var refrain: StageRegistry {
        var registry = StageRegistry.standard
        registry.register("shingle-vote") { spec, store in
            var stage = try ShingleVoteStage(spec: spec, store: store)
            // Option `fill_order`: the order of the items without a vote that fill the keep (with `fill=true`).
            stage.fillOrder = try fillOrder(spec)
            let shifts = try spec.int("transpositions", default: 1), tempi = try spec.doubles("tempi", default: [1])
            guard tempi.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw RefrainError.invalidArgument("shingle-vote: tempi must be positive factors")
            }
            func voting(_ stage: ShingleVoteStage) -> any SearchStage {
                let variants: any SearchStage = shifts > 1 || tempi != [1] ? QueryVariantsStage(stage, shifts: shifts, tempi: tempi, keep: stage.keep) : stage
                // Queries shorter than one shingle vote played slower (ShortQueryStage).
                return stage.index.map { ShortQueryStage(variants, array: $0.settings.array, minimumFrames: $0.settings.length, keep: stage.keep) } ?? variants
            }
            // Option `fourier_keep`: that many items of the 2-D Fourier magnitude scan join the vote's (0: none).
            let fourierKeep = try spec.int("fourier_keep", default: 0)
            guard fourierKeep >= 0 else { throw RefrainError.invalidArgument("shingle-vote: fourier_keep must not be negative") }
            // Option `fourier_pool`: median (default) or max (`FourierPatchPooling`).
            let fourierPooling = try pooling(spec, option: "fourier_pool")
            func joined(_ vote: any SearchStage) -> any SearchStage {
                fourierKeep == 0 ? vote : CandidateUnionStage(sources: [vote, FourierPatchStage(keep: fourierKeep, pooling: fourierPooling)], name: vote.name)
            }
            // Queries shorter than `short_frames` frames vote with `short_rotations` and keep `short_keep`.
            let shortFrames = try spec.int("short_frames", default: 0)
            guard shortFrames > 0, let index = stage.index else { return joined(voting(stage)) }
            var wide = stage
            wide.rotations = try spec.int("short_rotations", default: stage.rotations)
            wide.keep = try spec.int("short_keep", default: stage.keep)
            guard wide.rotations > 0, wide.keep > 0 else {
                throw RefrainError.invalidArgument("shingle-vote: short_rotations and short_keep must be positive")
            }
            return joined(QueryLengthSwitchStage(short: voting(wide), long: voting(stage), array: index.settings.array, frames: shortFrames))
        }
        registry.register("kind-filter") { spec, _ in try KindFilterStage(spec: spec) }
        // The key-invariant scan alone (options keep, pool), as the vote's `fourier_keep` adds it.
        registry.register("fourier-patches") { spec, _ in
            let keep = try spec.int("keep", default: 20)
            guard keep > 0 else { throw RefrainError.invalidArgument("fourier-patches: keep must be positive") }
            return FourierPatchStage(keep: keep, pooling: try pooling(spec, option: "pool"))
        }
        registry.register("hash-dtw") { spec, _ in try HashDTWStage(spec: spec) }
        registry.register("embedding-nn") { spec, _ in try EmbeddingNNStage(spec: spec) }
        registry.register("candidate-union") { spec, store in try CandidateUnionStage(spec: spec, store: store, registry: .refrain) }
        // Key invariance by default (KeyInvariantMatcher; option key=off for the query's key only).
        registry.register("raffel-ellis") { spec, _ in
            ExactStage(name: "raffel-ellis", matcher: try KeyInvariantMatcher.wrapping(try RaffelEllisMatcher(spec: spec), spec: spec, window: .whole))
        }
        // Audio matching: all twelve keys when transpositions=12; else the estimated keys, coarse to fine
        // (method=full: every tempo version at the full rate).
        registry.register("audio-match") { spec, _ in
            let matcher = try AudioMatchMatcher(spec: spec)
            if matcher.transpositions == 1, spec.options["method"] != "full", spec.options["array"] != nil {
                // Option `array`: the chroma arrays matched, comma-separated; with several, an item scores the
                // mean of its best on each (ArrayMeanMatcher).
                let arrays = try chromaArrays(spec, default: CENSEncoder.name)
                // Option `joint=true`: the arrays' frames joined, one DTW of their mean cost (`JointChroma`).
                if try spec.bool("joint", default: false), arrays.count > 1 {
                    var joint = try CoarseToFineAudioMatcher(spec: spec, base: matcher)
                    joint.base.array = arrays[0]
                    joint.joint = arrays
                    return ExactStage(name: "audio-match", matcher: joint, maxMatchesPerItem: matcher.matchesPerItem)
                }
                let matchers = try coarseToFineMatchers(spec, base: matcher, arrays: arrays)
                return ExactStage(name: "audio-match", matcher: matchers.count == 1 ? matchers[0] : ArrayMeanMatcher(matchers),
                                  maxMatchesPerItem: matcher.matchesPerItem)
            }
            let chosen: any SequenceMatcher = matcher.transpositions > 1 ? matcher
                : spec.options["method"] == "full" ? try KeyInvariantMatcher.wrapping(matcher, spec: spec, window: .query)
                : try CoarseToFineAudioMatcher(spec: spec)
            return ExactStage(name: "audio-match", matcher: chosen, maxMatchesPerItem: matcher.matchesPerItem)
        }
        // Audio matching's best items again, on the finer `cens_fine` chroma (FineRescoreStage); option
        // `array` names other 12-d chroma arrays instead, comma-separated (`cens_fine,crp`: the mean of both).
        registry.register("fine-rescore") { spec, _ in
            let arrays = try chromaArrays(spec, default: FineCENSEncoder.name)
            let base = try AudioMatchMatcher(spec: spec)
            let inners: [any SearchStage] = try coarseToFineMatchers(spec, base: base, arrays: arrays).map {
                ExactStage(name: "fine-rescore", matcher: $0, maxMatchesPerItem: base.matchesPerItem)
            }
            let weight = try spec.double("weight", default: 1)
            guard (0...1).contains(weight) else { throw RefrainError.invalidArgument("fine-rescore: weight must be between 0 and 1") }
            return FineRescoreStage(inners, arrays: arrays, top: try spec.int("top", default: 20), weight: weight)
        }
        registry.register("version") { spec, _ in
            let stage = ExactStage(name: "version", matcher: try KeyInvariantMatcher.wrapping(try VersionMatcher(spec: spec), spec: spec, window: .whole))
            guard spec.options["keep"] != nil else { return stage }
            let pass = try spec.int("pass", default: 0)
            guard pass >= 0 else { throw RefrainError.invalidArgument("version: pass is a number of candidates, 0 or more") }
            return KeepBestStage(stage, keep: try spec.int("keep", default: 25), pass: pass)
        }
        registry.registerHummingStages()
        return registry
    }

    /// One `CoarseToFineAudioMatcher` per array, each `base` (the stage's `audio-match` options) reading that array.
    static func coarseToFineMatchers(_ spec: StageSpec, base: AudioMatchMatcher, arrays: [String]) throws -> [any SequenceMatcher] {
        try arrays.map { array in
            var matcher = base
            matcher.array = array
            return try CoarseToFineAudioMatcher(spec: spec, base: matcher)
        }
    }

    /// The `CandidateOrdering` the vote's option `fill_order` names: `catalogue` (default: nil, the order the
    /// items came in), `fourier` (`FourierPatchStage`'s scan), `profile` (`ChromaProfileOrdering`) or `coarse`
    /// (`CoarseDTWOrdering`, its clock halved `fill_halvings` times, default 2, over at most `fill_limit` unvoted
    /// items, default 2,000).
    static func fillOrder(_ spec: StageSpec) throws -> (any CandidateOrdering)? {
        switch spec.options["fill_order"] ?? "catalogue" {
        case "catalogue": return nil
        case "fourier": return FourierPatchStage(pooling: try pooling(spec, option: "fourier_pool"))
        case "profile": return ChromaProfileOrdering()
        case "coarse":
            let halvings = try spec.int("fill_halvings", default: 2)
            guard halvings >= 0 else { throw RefrainError.invalidArgument("shingle-vote: fill_halvings must not be negative") }
            let limit = try spec.int("fill_limit", default: 2_000)
            guard limit >= 0 else { throw RefrainError.invalidArgument("shingle-vote: fill_limit must not be negative") }
            return CoarseDTWOrdering(halvings: halvings, maxCandidates: limit)
        case let other: throw RefrainError.invalidArgument("shingle-vote: fill_order must be catalogue, fourier, profile or coarse, got '\(other)'")
        }
    }

    /// The `FourierPatchPooling` a stage's `option` names (`median` when absent).
    static func pooling(_ spec: StageSpec, option: String) throws -> FourierPatchPooling {
        let name = spec.options[option] ?? FourierPatchPooling.median.rawValue
        guard let pooling = FourierPatchPooling(rawValue: name) else {
            throw RefrainError.invalidArgument("\(spec.stage): \(option) must be median or max, got '\(name)'")
        }
        return pooling
    }

    /// The 12-d chroma arrays a matching stage's option `array` names (comma-separated, each once), or `fallback`.
    static func chromaArrays(_ spec: StageSpec, default fallback: String) throws -> [String] {
        let known = [CENSEncoder.name, CoarseCRPEncoder.name, FineCENSEncoder.name, CRPEncoder.name]
        let arrays = (spec.options["array"] ?? fallback).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !arrays.isEmpty, arrays.allSatisfy(known.contains), Set(arrays).count == arrays.count else {
            throw RefrainError.invalidArgument("\(spec.stage): array must name one or more of \(known.joined(separator: ", ")) (comma-separated, each once), got '\(spec.options["array"] ?? "")'")
        }
        return arrays
    }
}
