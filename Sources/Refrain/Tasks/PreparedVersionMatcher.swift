import Foundation
import RefrainIndex
import RefrainMath

extension VersionMatcher {
    /// The banded method prepared for one query (`PreparedVersionMatcher`): the query's side of the comparison
    /// is made once per item length instead of once per item. The `raffel` method has no per-query work.
    public func prepared(for query: SearchQuery) throws -> any SequenceMatcher {
        guard method == "banded", let cens = query.analysis.features[CENSEncoder.name], cens.frameCount > 0 else { return self }
        return PreparedVersionMatcher(matcher: self, query: cens.values)
    }
}

/// `VersionMatcher`'s banded method for the query it was prepared for: the same scores as `VersionMatcher.matches`,
/// bit for bit, but the query resampled to the item's length (`RaffelEllisMatcher.fitted`), halved and summed per
/// column is kept per item length (`VersionMatcher.BandedQuery`) and reused for every item of that length. The
/// learned cascade's `version` stage compares one query with about 500 items, in up to two keys each
/// (`KeyInvariantMatcher`), and the items' lengths repeat (copies of one piece): issue 20, seventeenth round,
/// where the query's side was about a fifth of the stage's CPU. Shared by the stage's threads (a lock guards the
/// table). `matches` must be given the query it was prepared for (`SequenceMatcher.prepared(for:)`).
final class PreparedVersionMatcher: SequenceMatcher, @unchecked Sendable {
    let matcher: VersionMatcher
    /// The query's CENS (frames x 12).
    let query: Matrix
    private var byLength: [Int: VersionMatcher.BandedQuery] = [:]
    private let lock = NSLock()

    init(matcher: VersionMatcher, query: Matrix) {
        self.matcher = matcher
        self.query = query
    }

    var arrays: [String] { matcher.arrays }
    var optionalArrays: [String] { matcher.optionalArrays }

    /// The query's side for items of `rows` frames, made on first use.
    func bandedQuery(itemRows rows: Int) -> VersionMatcher.BandedQuery {
        lock.lock()
        if let known = byLength[rows] { lock.unlock(); return known }
        lock.unlock()
        let made = VersionMatcher.BandedQuery(RaffelEllisMatcher.fitted(query, to: rows), itemRows: rows)
        lock.lock(); byLength[rows] = made; lock.unlock()
        return made
    }

    func matches(_ search: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        guard let stored = item[CENSEncoder.name], query.rows > 0, stored.values.frames > 0 else { return [] }
        let values = stored.values.matrix()
        let times = stored.times, frame = times.count > 1 ? times[1] - times[0] : 0.5
        let span = (start: times.first ?? 0, end: (times.last ?? 0) + frame)
        return try matcher.banded(query: bandedQuery(itemRows: values.rows), item: values, span: span, abandonAbove: abandonAbove)
    }
}
