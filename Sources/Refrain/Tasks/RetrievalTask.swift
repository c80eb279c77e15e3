import Foundation

/// What a query asks.
public enum RetrievalTask: String, CaseIterable, Codable, Sendable {
    /// Which recording is this score? (Raffel & Ellis 2015) Ranks the audio items.
    case midiToAudio = "midi-to-audio"
    /// Where else does this passage occur, in which recording, at what time? (Müller, Kurth & Clausen 2005)
    case audioMatch = "audio-match"
    /// Which recordings are other versions of this whole recording (another performance, arrangement,
    /// key or tempo)? Document-level, as in Müller's version identification. Ranks the audio items.
    case version
    /// Picks from the query file's kind: MIDI -> `midiToAudio`, audio -> `audioMatch`.
    case auto

    /// The task for a query file under `auto`.
    public func resolved(for url: URL) -> RetrievalTask {
        guard self == .auto else { return self }
        return RefrainAnalyzer.isMIDI(url) ? .midiToAudio : .audioMatch
    }

    /// The default cascade: shingle votes prune to a few hundred items, the exact DTW stage ranks them.
    /// `prune: false` switches pruning off for exhaustive search.
    public func stages(prune: Bool = true, transpositions: Bool = false) -> [StageSpec] {
        let shifts = transpositions ? "12" : "1"
        let vote = StageSpec(stage: "shingle-vote", enabled: prune,
                             options: ["keep": "200", "neighbours": "200", "ef": "200", "transpositions": shifts])
        switch self {
        case .midiToAudio, .auto:
            // A score and a recording differ in tempo: the query votes at three tempi (every second shingle
            // of the whole score is enough).
            var tempoVote = vote
            tempoVote.options["tempi"] = "0.8,1,1.25"
            tempoVote.options["query_hop"] = "2"
            // Document-level CENS DTW (the version stage) keeps the best few for the costlier CQT alignment.
            return [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]), tempoVote,
                    StageSpec(stage: "version", enabled: prune, options: ["keep": "25"]), StageSpec(stage: "raffel-ellis")]
        case .audioMatch:
            return [vote, StageSpec(stage: "audio-match", options: ["matches_per_item": "3",
                                                                      "transpositions": shifts])]
        case .version:
            var wholeVote = vote
            wholeVote.options["query_hop"] = "2"
            wholeVote.options["rotations"] = "3"
            return [StageSpec(stage: "kind-filter", options: ["kinds": "audio"]), wholeVote, StageSpec(stage: "version")]
        }
    }
}
