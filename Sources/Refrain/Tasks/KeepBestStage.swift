import Foundation
import RefrainIndex

/// Runs a ranking stage and passes on only its `keep` best distinct items: turns an exact stage into a
/// pruning stage for a costlier one after it (e.g. document-level CENS DTW before the beat-synchronous
/// CQT alignment of MIDI-to-audio). The inner stage sees `topK = keep`, so its early abandoning works
/// against the `keep`-th best cost. With `pass` > 0 the first `pass` candidates given also go on, after the kept
/// ones, whatever the inner stage made of them (with its score when it scored them, else as given): for a stage
/// before it whose very best are surer than this stage's ranking (issue 20, fifteenth round: the learned cascade's
/// `version` stage ranked held-out pieces' recordings that `hash-dtw` ranked first as low as 132nd).
public struct KeepBestStage: SearchStage {
    public let inner: any SearchStage
    public var keep: Int
    /// The first candidates given that go on whatever their rank here.
    public var pass: Int

    public init(_ inner: any SearchStage, keep: Int, pass: Int = 0) {
        self.inner = inner
        self.keep = max(1, keep)
        self.pass = max(0, pass)
    }

    public var name: String { inner.name }

    public func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
        var narrowed = query
        narrowed.topK = keep
        var seen = Set<Int64>()
        let ranked = try inner.run(narrowed, candidates: candidates, store: store).filter { seen.insert($0.itemID).inserted }
        var kept = Array(ranked.prefix(keep))
        guard pass > 0 else { return kept }
        var passed = Set(kept.map(\.itemID))
        let scored = Dictionary(ranked.map { ($0.itemID, $0) }, uniquingKeysWith: { a, _ in a })
        for candidate in candidates.prefix(pass) where passed.insert(candidate.itemID).inserted {
            kept.append(scored[candidate.itemID] ?? candidate)
        }
        return kept
    }
}
