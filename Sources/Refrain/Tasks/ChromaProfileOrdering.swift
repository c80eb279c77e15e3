import Foundation
import RefrainIndex
import RefrainMath

/// Orders candidates by how well the query's key profile fits some passage of the item in some key: an item's
/// likeness is the best cosine, over the twelve transpositions and over the item's windows as long as the query
/// (every quarter of its length), between the query's mean chroma and the window's (the local optimal
/// transposition index of `TranspositionEstimate`; Serrà et al. 2008). Blind to key and tempo, it needs only
/// prefix sums of the item's frames: about `frames x 12 + windows x 144` multiply-adds per item.
///
/// Used as `ShingleVoteStage.fillOrder` (`shingle-vote` option `fill_order=profile`): the items without a vote
/// that fill the keep are those whose pitch-class distribution is nearest the query's, not the catalogue's first
/// (issue 18, round 13). Scores: `1 - ` the likeness; items without the array follow, in the order they came.
public struct ChromaProfileOrdering: CandidateOrdering {
    /// The chroma array read (`frames x 12`, query and items).
    public var array: String

    public init(array: String = CENSEncoder.name) {
        self.array = array
    }

    public func ordered(_ query: SearchQuery, _ candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], sequence.dimension == 12, sequence.frameCount > 0 else { return candidates }
        let profile = TranspositionEstimate.profile(sequence.values)
        let window = sequence.frameCount, hop = max(1, sequence.frameCount / 4)
        let catalog = try store.arrays(of: candidates.map(\.itemID))
        return try ranked(candidates) { candidate in
            guard let info = catalog[candidate.itemID]?.first(where: { $0.name == array }),
                  case let values = try store.feature(info).values, values.frames > 0, values.dims == 12 else { return nil }
            let scores = TranspositionEstimate.shiftScores(query: profile, item: values.matrix(), window: window, hop: hop)
            return 1 - Double(scores.max() ?? -1)
        }
    }
}
