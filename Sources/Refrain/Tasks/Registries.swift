import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
extension StageRegistry {
    /// The index module's stages plus the music tasks' own: `kind-filter`, `raffel-ellis` (MIDI to
    /// audio) and `audio-match` (CENS subsequence matching); `shingle-vote` gains the options
    /// `transpositions` (12: vote with every cyclic shift of the query's chroma) and `tempi`
    /// (comma-separated factors: vote with the query resampled in time by each, e.g. `0.8,1,1.25`).
    public static var refrain: StageRegistry {
        var registry = StageRegistry.standard
        registry.register("shingle-vote") { spec, store in
            let stage = try ShingleVoteStage(spec: spec, store: store)
            let shifts = try spec.int("transpositions", default: 1), tempi = try spec.doubles("tempi", default: [1])
            guard tempi.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                throw RefrainError.invalidArgument("shingle-vote: tempi must be positive factors")
            }
            return shifts > 1 || tempi != [1] ? QueryVariantsStage(stage, shifts: shifts, tempi: tempi, keep: stage.keep) : stage
        }
        registry.register("kind-filter") { spec, _ in try KindFilterStage(spec: spec) }
        registry.register("raffel-ellis") { spec, _ in
            ExactStage(name: "raffel-ellis", matcher: try RaffelEllisMatcher(spec: spec))
        }
        registry.register("audio-match") { spec, _ in
            let matcher = try AudioMatchMatcher(spec: spec)
            return ExactStage(name: "audio-match", matcher: matcher, maxMatchesPerItem: matcher.matchesPerItem)
        }
        registry.registerHummingStages()
        return registry
    }
}
