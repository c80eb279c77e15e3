import Foundation
import RefrainIndex

/// Runs one of two versions of a stage by the query's length: `short` when the query's `array` has fewer
/// than `frames` frames, else `long`.
///
/// Why: a shingle vote (Grosche & Müller 2012) of a short, noisy query rests on a handful of query
/// shingles, and when none of them lands near the true item's shingles, that item gets no vote and is
/// pruned before the exact stage. Searching each of those few shingles rotated to more of its strongest
/// pitch classes, and keeping more items, costs in proportion to the query's shingles, so it is cheap
/// exactly where it is needed; a long query's votes are reliable and keep the narrower, cheaper stage
/// (issue 18, round 6: a 7 s excerpt in a 2 s RT60 room with babble noise got no vote with 2 rotations).
public struct QueryLengthSwitchStage: SearchStage {
    public let short: any SearchStage
    public let long: any SearchStage
    /// The query array whose frame count decides (CENS, the shingles' array).
    public var array: String
    /// Queries with fewer frames than this run `short`.
    public var frames: Int

    public init(short: any SearchStage, long: any SearchStage, array: String = CENSEncoder.name, frames: Int) {
        self.short = short
        self.long = long
        self.array = array
        self.frames = frames
    }

    public var name: String { long.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let count = query.analysis.features[array]?.frameCount ?? 0
        return try (count < frames ? short : long).run(query, candidates: candidates, store: store)
    }
}
