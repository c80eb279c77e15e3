import Foundation
import RefrainIndex

/// Re-scores the best items of audio matching with a finer chroma: the `top` best distinct items of the
/// stage before (CENS subsequence DTW, ≈ 2.15 frames/s smoothed over ≈ 2 s) are matched again by `inner`
/// (the same coarse-to-fine, key-invariant subsequence DTW on `cens_fine`, ≈ 5.4 frames/s smoothed over
/// ≈ 0.84 s; Müller, Kurth & Clausen 2005 choose the smoothing by the task's time scale), and ranked by
/// `weight × fine score + (1 − weight) × the item's best coarse score` (both costs per query frame plus the
/// relative term of `AudioMatchScore`). The spans come from the fine matches. Items the fine matcher did not
/// score (no `cens_fine` array, or beyond `top`) follow in their earlier order.
///
/// Why: a 5-10 s excerpt has 11-22 `cens` frames, each smoothed over about a fifth to a half of the query,
/// so unrelated items with a similar harmony match it as cheaply as the true one (issue 18, round 3: 4 of 6
/// tune-half misses were lost by the exhaustive exact stage itself).
public struct FineRescoreStage: SearchStage {
    public let inner: any SearchStage
    /// The query array that must be present for re-scoring (else the ranking passes through unchanged).
    public var array: String
    /// Distinct items re-scored.
    public var top: Int
    /// Share of the fine score in the fused score, 0...1.
    public var weight: Double

    public init(_ inner: any SearchStage, array: String = FineCENSEncoder.name, top: Int = 20, weight: Double = 1) {
        self.inner = inner
        self.array = array
        self.top = max(1, top)
        self.weight = min(max(weight, 0), 1)
    }

    public var name: String { inner.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], sequence.frameCount > 0 else { return candidates }
        var coarse: [Int64: Double] = [:]
        var heads: [Candidate] = []
        for candidate in candidates where coarse[candidate.itemID] == nil {
            coarse[candidate.itemID] = candidate.score
            if heads.count < top { heads.append(candidate) }
        }
        // No early abandoning among the re-scored items: every one of their matches is kept for the fusion.
        var widened = query
        widened.topK = heads.count * 3 + 1
        let fine = try inner.run(widened, candidates: heads, store: store)
        let rescored = Set(fine.map(\.itemID))
        let fused = fine.map { match -> Candidate in
            var candidate = match
            candidate.score = weight * match.score + (1 - weight) * (coarse[match.itemID] ?? match.score)
            return candidate
        }.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }
        return fused + candidates.filter { !rescored.contains($0.itemID) }
    }
}
