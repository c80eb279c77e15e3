import Foundation
import RefrainAlign
import RefrainIndex
import RefrainMath

/// Orders candidates by a subsequence DTW on a much coarser clock than audio matching's: the query's and each
/// item's chroma (`arrays` joined frame by frame, `JointChroma`) have pairs of frames averaged `halvings` times
/// (2: a quarter of the frame rate, about 0.54 frames/s for `cens`, a sixteenth of the cells), and an item's
/// likeness is the best cost per query step over the query's tempo versions (`AudioMatchMatcher.tempoFactors`)
/// and the key shifts its chroma profile makes likely (`TranspositionEstimate`, Serrà et al. 2008), as in
/// `CoarseToFineAudioMatcher`'s coarse pass (multiscale DTW, Salvador & Chan 2007; Müller, Kurth & Clausen 2005).
///
/// Used as `ShingleVoteStage.fillOrder` (`shingle-vote` option `fill_order=coarse`): the items no query shingle
/// found fill the keep by how well the whole query aligns with some passage of them, not in catalogue order, so
/// that a query whose shingles missed the true item (a far tempo, a reverberant, noisy room) still reaches the DTW
/// stages (issue 18, round 14). Scores: the best cost per step (cosine, 0...2); items without one of the arrays,
/// or too short, follow in the order they came.
public struct CoarseDTWOrdering: CandidateOrdering {
    /// The chroma arrays joined (`frames x 12` each, query and items); the key is estimated on the first.
    public var arrays: [String]
    /// How many times pairs of frames are averaged (0: the stored rate).
    public var halvings: Int
    /// The matcher whose tempo factors and step penalty are used.
    public var base: AudioMatchMatcher
    /// Key shifts tried per item and how close to the best OTI score they must be (as `CoarseToFineAudioMatcher`).
    public var keyShifts: Int
    public var keyMargin: Float
    /// At most this many candidates are ordered; more come back in the order they came (each costs a store read
    /// and a coarse DTW, about 0.02 ms on this machine, so a vote that found few items in a very large collection
    /// does not align the whole collection: at 10,000 items the vote's own items fill its keep).
    public var maxCandidates: Int

    public init(arrays: [String] = [CENSEncoder.name, CoarseCRPEncoder.name], halvings: Int = 2, base: AudioMatchMatcher = AudioMatchMatcher(),
                keyShifts: Int = 2, keyMargin: Float = 0.1, maxCandidates: Int = 2_000) {
        self.arrays = arrays
        self.halvings = max(0, halvings)
        self.base = base
        self.keyShifts = min(max(1, keyShifts), 12)
        self.keyMargin = keyMargin
        self.maxCandidates = max(0, maxCandidates)
    }

    /// `values` with pairs of frames averaged `halvings` times, per joined block.
    func coarsened(_ values: Matrix) -> Matrix {
        var out = values
        for _ in 0..<halvings { out = JointChroma.halved(out, blocks: arrays.count) }
        return out
    }

    /// The joined frames of `arrays` (nil when one is missing or empty).
    func joined(_ parts: [Matrix?]) -> Matrix? {
        let present = parts.compactMap { $0 }
        guard present.count == arrays.count, present.allSatisfy({ $0.rows > 0 && $0.cols == 12 }) else { return nil }
        return arrays.count == 1 ? present[0] : JointChroma.joined(present)
    }

    public func ordered(_ query: SearchQuery, _ candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard candidates.count <= maxCandidates, let first = query.analysis.features[arrays[0]],
              let sequence = joined(arrays.map { query.analysis.features[$0]?.values }) else { return candidates }
        let profile = TranspositionEstimate.profile(first.values)
        let window = first.frameCount, hop = max(1, first.frameCount / 4)
        // Per key shift (made when first asked): the query's tempo versions on the coarse clock.
        var versions: [Int: [Matrix]] = [:]
        func coarseVersions(_ shift: Int) -> [Matrix] {
            if let made = versions[shift] { return made }
            let shifted = JointChroma.shifted(sequence, by: shift)
            let made = base.tempoFactors.map { coarsened(timeScaled(shifted, by: $0)) }
            versions[shift] = made
            return made
        }
        let weights = StepWeights.nonDiagonalPenalty(base.penalty)
        let catalog = try store.arrays(of: candidates.map(\.itemID))
        return try ranked(candidates) { candidate in
            let infos = catalog[candidate.itemID] ?? []
            let parts = try arrays.map { name in try infos.first { $0.name == name }.map { try store.feature($0).values.matrix() } }
            guard let keyFrames = parts[0], let item = joined(parts) else { return nil }
            let search = try SubsequenceSearch(database: coarsened(item), metric: .cosine)
            let scores = TranspositionEstimate.shiftScores(query: profile, item: keyFrames, window: window, hop: hop)
            var best = Double.infinity
            for shift in TranspositionEstimate.choose(scores, count: keyShifts, margin: keyMargin) {
                for version in coarseVersions(shift) {
                    let steps = Double(version.rows)
                    let bound = best.isFinite ? Float(best * steps * (1 + 1e-5)) : .infinity
                    if let cost = try search.bestCost(version, rows: 0..<version.rows, weights: weights, abandonAbove: bound) {
                        best = min(best, Double(cost) / steps)
                    }
                }
            }
            return best.isFinite ? best : nil
        }
    }
}
