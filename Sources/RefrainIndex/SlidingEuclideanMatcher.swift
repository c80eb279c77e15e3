import Foundation
import RefrainMath

/// A baseline exact matcher without time warping: the query (`m x d`) slides along the item (`n x d`)
/// frame by frame, and the cost at an offset is the mean squared Euclidean distance between aligned frames.
/// Early abandoning: an offset's sum stops once it exceeds the caller's threshold. An item shorter than the
/// query is compared over its length at offset 0. Up to `matches` offsets are returned, each at least half a
/// query length from better ones (repeated passages).
///
/// Meant for `features` items and as the exhaustive reference; DTW matchers replace it for real tasks.
public struct SlidingEuclideanMatcher: SequenceMatcher {
    public var array: String
    public var matches: Int
    public var arrays: [String] { [array] }

    public init(array: String = "cens", matches: Int = 1) {
        self.array = array
        self.matches = max(1, matches)
    }

    /// Options `array` and `matches_per_item`.
    public init(spec: StageSpec) throws {
        self.init(array: spec.options["array"] ?? "cens", matches: try spec.int("matches_per_item", default: 1))
    }

    public func matches(_ query: SearchQuery, item: [String: StoredFeature], abandonAbove: Double) throws -> [SequenceMatch] {
        guard let sequence = query.analysis.features[array], let stored = item[array] else { return [] }
        let d = sequence.dimension
        guard d == stored.values.dims else {
            throw RefrainError.invalidArgument("query '\(array)' has \(d) dims, the index \(stored.values.dims)")
        }
        let n = stored.values.frames
        let m = min(sequence.frameCount, n)
        guard m > 0 else { return [] }
        let offsets = n - m + 1
        var costs = [Double](repeating: .infinity, count: offsets)
        let limit = abandonAbove.isFinite ? Float(abandonAbove * Double(m)) : .infinity
        sequence.values.storage.withUnsafeBufferPointer { q in
            stored.values.withUnsafeBufferPointer { x in
                for t in 0..<offsets {
                    var sum: Float = 0
                    var i = 0
                    while i < m {
                        let qi = q.baseAddress! + i * d, xi = x.baseAddress! + (t + i) * d
                        for k in 0..<d { let diff = qi[k] - xi[k]; sum += diff * diff }
                        if sum > limit { break }
                        i += 1
                    }
                    if i == m { costs[t] = Double(sum) / Double(m) }
                }
            }
        }
        var order = (0..<offsets).filter { costs[$0].isFinite }
        order.sort { costs[$0] < costs[$1] }
        var chosen: [Int] = []
        for t in order where chosen.count < matches {
            if chosen.allSatisfy({ abs($0 - t) >= max(1, m / 2) }) { chosen.append(t) }
        }
        let times = stored.times
        let frameSeconds = stored.info.frameRate.map { 1 / $0 } ?? 0
        return chosen.map { t in
            SequenceMatch(score: costs[t], start: times[t], end: times[t + m - 1] + frameSeconds)
        }
    }
}
