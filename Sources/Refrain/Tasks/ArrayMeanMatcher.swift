import Foundation
import RefrainIndex

/// One matcher per chroma array, fused: an item's score is the mean of its best score on each array, and its
/// matches (spans) are those of the array that scored it best, each shifted by the same amount so that the
/// best one carries the mean. Arrays the query or the item lacks are left out of the mean, so an index
/// without the second array answers as the first matcher alone.
///
/// Why: CENS (Müller, Kurth & Clausen 2005) and the timbre-robust CRP (Müller & Ewert 2010) fail on different
/// queries. On the tune half of the realistic benchmark, audio matching's first stage on CRP alone put the
/// true item first where CENS put it 12th or 79th (another soundfont and arrangement), and lost two 8 kHz
/// excerpts that CENS found at rank 1 (issue 18, round 10).
///
/// Early abandoning stays exact for non-negative scores (cosine costs and `AudioMatchScore` are): a mean
/// of `n` scores can be at most `t` only if each array's best is at most `n t` minus the bests found so far
/// (with a slack of about 1e-9 for rounding).
public struct ArrayMeanMatcher: SequenceMatcher {
    /// The matchers, one per array, the first the one every item must have.
    public let matchers: [any SequenceMatcher]

    /// - Precondition: at least one matcher.
    public init(_ matchers: [any SequenceMatcher]) {
        precondition(!matchers.isEmpty, "at least one matcher")
        self.matchers = matchers
    }

    public var arrays: [String] { matchers[0].arrays }

    public var optionalArrays: [String] {
        matchers.dropFirst().flatMap(\.arrays).filter { !matchers[0].arrays.contains($0) }
    }

    /// The matchers whose arrays the query has, each prepared once.
    public func prepared(for query: SearchQuery) throws -> any SequenceMatcher {
        let present = matchers.enumerated().filter { index, matcher in
            index == 0 || matcher.arrays.allSatisfy { (query.analysis.features[$0]?.frameCount ?? 0) > 0 }
        }
        return ArrayMeanMatcher(try present.map { try $0.element.prepared(for: query) })
    }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        let usable = matchers.filter { $0.arrays.allSatisfy { item[$0] != nil } }
        if usable.count == 1 { return try usable[0].matches(query, item: item, abandonAbove: abandonAbove) }
        var runs: [[SequenceMatch]] = []
        var bests: [Double] = []
        for matcher in usable {
            // The slack keeps exact ties that rounding would lose.
            let limit = abandonAbove.isFinite ? (Double(usable.count) * abandonAbove - bests.reduce(0, +)) * (1 + 1e-9) + 1e-12 : .infinity
            let found = try matcher.matches(query, item: item, abandonAbove: limit)
            guard let best = found.map(\.score).min() else { return [] }
            runs.append(found)
            bests.append(best)
        }
        guard let lead = bests.indices.min(by: { bests[$0] < bests[$1] }) else { return [] }
        let shift = bests.reduce(0, +) / Double(bests.count) - bests[lead]
        return runs[lead].map { match in
            var moved = match
            moved.score += shift
            return moved
        }
    }
}
