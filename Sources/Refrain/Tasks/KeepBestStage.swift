import Foundation
import RefrainIndex

/// Runs a ranking stage and passes on only its `keep` best distinct items: turns an exact stage into a
/// pruning stage for a costlier one after it (e.g. document-level CENS DTW before the beat-synchronous
/// CQT alignment of MIDI-to-audio). The inner stage sees `topK = keep`, so its early abandoning works
/// against the `keep`-th best cost.
public struct KeepBestStage: SearchStage {
    public let inner: any SearchStage
    public var keep: Int

    public init(_ inner: any SearchStage, keep: Int) {
        self.inner = inner
        self.keep = max(1, keep)
    }

    public var name: String { inner.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        var narrowed = query
        narrowed.topK = keep
        var seen = Set<Int64>()
        return Array(try inner.run(narrowed, candidates: candidates, store: store).filter { seen.insert($0.itemID).inserted }.prefix(keep))
    }
}
