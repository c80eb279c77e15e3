import Foundation
import RefrainIndex

/// Re-scores the best items of audio matching with a finer chroma: the `top` best distinct items of the
/// stage before (CENS subsequence DTW, ≈ 2.15 frames/s smoothed over ≈ 2 s) are matched again by `inner`
/// (the same coarse-to-fine, key-invariant subsequence DTW on `cens_fine`, ≈ 5.4 frames/s smoothed over
/// ≈ 0.84 s; Müller, Kurth & Clausen 2005 choose the smoothing by the task's time scale), and ranked by
/// `weight × fine score + (1 − weight) × the item's best coarse score` (both costs per query frame plus the
/// relative term of `AudioMatchScore`). The spans come from the fine matches. Items the fine matcher did not
/// score (no `cens_fine` array, or beyond `top`) follow in their earlier order. With several arrays (`cens_fine`
/// and `crp`, the timbre-robust CRP of Müller & Ewert 2010), the fine score is the mean of the item's best
/// score on each, and the spans come from the array that matched the item best (on the tune half of the
/// realistic benchmark, where the two disagreed on a found item, the lower-cost match was at the true place).
///
/// Why: a 5-10 s excerpt has 11-22 `cens` frames, each smoothed over about a fifth to a half of the query,
/// so unrelated items with a similar harmony match it as cheaply as the true one (issue 18, round 3: 4 of 6
/// tune-half misses were lost by the exhaustive exact stage itself).
public struct FineRescoreStage: SearchStage {
    /// One re-scoring stage per array, in the order of `arrays`.
    public let inners: [any SearchStage]
    /// The query arrays re-scored on, each by its stage of `inners`; those the query lacks are skipped, and
    /// without any the ranking passes through unchanged. With several (e.g. `cens_fine` and `crp`), an
    /// item's fine score is the mean of its best score on each array, and its matches (spans) are those of
    /// the array that scored it best.
    public var arrays: [String]
    /// Distinct items re-scored.
    public var top: Int
    /// Share of the fine score in the fused score, 0...1.
    public var weight: Double

    public init(_ inner: any SearchStage, array: String = FineCENSEncoder.name, top: Int = 20, weight: Double = 1) {
        self.init([inner], arrays: [array], top: top, weight: weight)
    }

    /// - Precondition: one stage per array.
    public init(_ inners: [any SearchStage], arrays: [String], top: Int = 20, weight: Double = 1) {
        precondition(!inners.isEmpty && inners.count == arrays.count, "one re-scoring stage per array")
        self.inners = inners
        self.arrays = arrays
        self.top = max(1, top)
        self.weight = min(max(weight, 0), 1)
    }

    public var name: String { inners[0].name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        let present = arrays.indices.filter { (query.analysis.features[arrays[$0]]?.frameCount ?? 0) > 0 }
        guard !present.isEmpty else { return candidates }
        var coarse: [Int64: Double] = [:]
        var heads: [Candidate] = []
        for candidate in candidates where coarse[candidate.itemID] == nil {
            coarse[candidate.itemID] = candidate.score
            if heads.count < top { heads.append(candidate) }
        }
        // No early abandoning among the re-scored items: every one of their matches is kept for the fusion.
        var widened = query
        widened.topK = heads.count * 3 + 1
        let runs = try present.map { try inners[$0].run(widened, candidates: heads, store: store) }
        // Per item: its best score on each array that scored it (the fine score is their mean), and the array
        // that scored it best, whose matches (and spans) it keeps.
        var bests: [Int64: [Double]] = [:]
        var lead: [Int64: (run: Int, best: Double)] = [:]
        for (run, matches) in runs.enumerated() {
            var best: [Int64: Double] = [:]
            for match in matches { best[match.itemID] = min(best[match.itemID] ?? .infinity, match.score) }
            for (item, score) in best {
                bests[item, default: []].append(score)
                if score < (lead[item]?.best ?? .infinity) { lead[item] = (run, score) }
            }
        }
        var fused: [Candidate] = []
        for (run, matches) in runs.enumerated() {
            for var match in matches {
                guard let leader = lead[match.itemID], leader.run == run, let scores = bests[match.itemID] else { continue }
                // The item's best match gets the mean; its other matches follow at their own distance from it.
                let fine = (match.score + (scores.reduce(0, +) - leader.best)) / Double(scores.count)
                match.score = weight * fine + (1 - weight) * (coarse[match.itemID] ?? fine)
                fused.append(match)
            }
        }
        fused.sort { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        let rescored = Set(fused.map(\.itemID))
        return fused + candidates.filter { !rescored.contains($0.itemID) }
    }
}
