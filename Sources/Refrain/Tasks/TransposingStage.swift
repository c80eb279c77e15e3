/// Makes a pruning stage transposition-invariant: runs it on the query with its chroma array (`array`)
/// cyclically shifted by each of `shifts` semitones and keeps, per item, the best score over the shifts.
/// Returns the `keep` best items (Müller & Clausen 2007 apply the same cyclic shifts to chroma for
/// transposition-invariant matching).
public struct TransposingStage: SearchStage {
    public let inner: any SearchStage
    public var array: String
    public var shifts: Int
    public var keep: Int

    public init(_ inner: any SearchStage, array: String = FeatureName.cens, shifts: Int = 12, keep: Int) {
        self.inner = inner
        self.array = array
        self.shifts = min(max(shifts, 1), 12)
        self.keep = keep
    }

    public var name: String { inner.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], shifts > 1 else {
            return try inner.run(query, candidates: candidates, store: store)
        }
        var best: [Int64: Candidate] = [:]
        for shift in 0..<shifts {
            var shifted = query
            shifted.analysis.features[array] = FeatureSequence(values: cyclicallyShifted(sequence.values, by: shift),
                                                               times: sequence.times)
            for candidate in try inner.run(shifted, candidates: candidates, store: store) {
                if let known = best[candidate.itemID], known.score <= candidate.score { continue }
                best[candidate.itemID] = candidate
            }
        }
        return Array(best.values.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }.prefix(keep))
    }
}
