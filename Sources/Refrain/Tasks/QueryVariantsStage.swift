import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
/// Makes a pruning stage invariant to transposition and to global tempo: runs it on versions of the
/// query whose chroma array (`array`) is cyclically shifted by each of `shifts` semitones and resampled
/// in time by each factor of `tempi`, and keeps, per item, the best score over the versions. Returns
/// the `keep` best items. Müller & Clausen 2007 apply the cyclic shifts to chroma for transposition
/// invariance; Müller, Kurth & Clausen 2005 try several tempi of a CENS query.
///
/// A tempo version keeps the query's frame rate, so that its frames count as the item's: a factor
/// above 1 stands for a recording slower than the query.
public struct QueryVariantsStage: SearchStage {
    public let inner: any SearchStage
    public var array: String
    public var shifts: Int
    public var tempi: [Double]
    public var keep: Int

    public init(_ inner: any SearchStage, array: String = CENSEncoder.name, shifts: Int = 12, tempi: [Double] = [1],
                keep: Int) {
        self.inner = inner
        self.array = array
        self.shifts = min(max(shifts, 1), 12)
        self.tempi = tempi.isEmpty ? [1] : tempi
        self.keep = keep
    }

    public var name: String { inner.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        guard let sequence = query.analysis.features[array], shifts > 1 || tempi != [1] else {
            return try inner.run(query, candidates: candidates, store: store)
        }
        let rate = sequence.frameRate, start = sequence.times.first ?? 0
        var best: [Int64: Candidate] = [:]
        for factor in tempi {
            let scaled = timeScaled(sequence.values, by: factor)
            let times = factor == 1 || rate <= 0 ? sequence.times : (0..<scaled.rows).map { start + Double($0) / rate }
            for shift in 0..<shifts {
                var version = query
                version.analysis.features[array] = FeatureSequence(values: cyclicallyShifted(scaled, by: shift), times: times)
                for candidate in try inner.run(version, candidates: candidates, store: store) {
                    if let known = best[candidate.itemID], known.score <= candidate.score { continue }
                    best[candidate.itemID] = candidate
                }
            }
        }
        return Array(best.values.sorted { $0.score != $1.score ? $0.score < $1.score : $0.itemID < $1.itemID }.prefix(keep))
    }
}
