import Foundation
import RefrainIndex
import RefrainMath

/// Lets a pruning stage that cuts the query into windows of `minimumFrames` frames (shingle votes) rank a
/// query shorter than that: such a query is played slower, resampled in time (`timeScaled`) to
/// `minimumFrames + 2` frames and to 1.4 times that, and the inner stage runs on both versions; each
/// item keeps its better score. A 5 s excerpt has about 10 CENS frames, fewer than one 12-frame shingle,
/// and would otherwise pass every candidate on unranked. Longer queries go to the inner stage unchanged.
public struct ShortQueryStage: SearchStage {
    public let inner: any SearchStage
    public var array: String
    public var minimumFrames: Int
    /// Most candidates passed on (the inner stage's own `keep`).
    public var keep: Int

    public init(_ inner: any SearchStage, array: String = CENSEncoder.name, minimumFrames: Int, keep: Int) {
        self.inner = inner
        self.array = array
        self.minimumFrames = minimumFrames
        self.keep = keep
    }

    public var name: String { inner.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], sequence.frameCount > 1, sequence.frameCount < minimumFrames else {
            return try inner.run(query, candidates: candidates, store: store)
        }
        let rate = sequence.frameRate, start = sequence.times.first ?? 0
        let first = Double(minimumFrames + 2) / Double(sequence.frameCount)
        var best: [Int64: Candidate] = [:]
        var order: [Int64] = []
        for factor in [first, 1.4 * first] {
            let scaled = timeScaled(sequence.values, by: factor)
            var version = query
            version.analysis.features[array] = FeatureSequence(values: scaled, times: (0..<scaled.rows).map { start + Double($0) / max(rate, 1e-9) })
            for candidate in try inner.run(version, candidates: candidates, store: store) {
                if let known = best[candidate.itemID] {
                    if candidate.score < known.score { best[candidate.itemID] = candidate }
                } else {
                    best[candidate.itemID] = candidate
                    order.append(candidate.itemID)
                }
            }
        }
        return Array(order.compactMap { best[$0] }.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }.prefix(keep))
    }
}
