import Foundation
import RefrainIndex

/// Which recordings are other versions of this whole recording: another performance, arrangement, key or
/// tempo of the same work? Document-level version identification (Müller 2015, "Fundamentals of Music
/// Processing", ch. 7.2; Serrà et al. 2008): shingle votes (every second shingle, each tried in its three
/// strongest rotations) prune to the candidates, then the `version` stage aligns the whole CENS sequences
/// by banded DTW after fitting their lengths (global tempo), in the keys the chroma profiles make likely
/// (`VersionMatcher` in `KeyInvariantMatcher`). Ranks the audio items; `--by work` ranks works.
public struct VersionTask: SearchTask {
    public init() {}
    public var name: String { "version" }
    public var summary: String { "which recordings are other versions of this one? (ranks the audio items)" }
    public var inputs: Set<InputKind> { [.audio] }
    public var automaticFor: Set<InputKind> { [] }
    public var encoders: [String] { [CENSEncoder.name] }

    public func stages(_ options: QueryOptions) -> [StageSpec] {
        var vote = options.voteStage
        vote.options["query_hop"] = "2"
        vote.options["rotations"] = "3"
        return [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]), vote,
                StageSpec(stage: "version", options: ["key": options.keyInvariance ? "estimate" : "off"])]
    }
}
