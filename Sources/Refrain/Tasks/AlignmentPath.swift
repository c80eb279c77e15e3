import Foundation
import RefrainAlign
import RefrainIndex

/// Turns a DTW path over a (possibly time-scaled) query and an item into what a result carries: pairs of
/// seconds `(query, item)`, at most one per frame of the original query (the item times matched to a frame
/// are averaged), monotonic in both.
enum AlignmentPath {
    /// - Parameters:
    ///   - steps: the path, `i` over the `scaledFrames` rows the DTW saw (the query resampled in time from its
    ///     `queryTimes.count` frames), `j` over the item's frames.
    ///   - queryTimes: the original query's frame times, seconds.
    ///   - itemTimes: the item's frame times, seconds.
    static func points(_ steps: [PathStep], scaledFrames: Int, queryTimes: [Double], itemTimes: [Double]) -> [PathPoint] {
        let n = queryTimes.count
        guard n > 0, !steps.isEmpty, !itemTimes.isEmpty else { return [] }
        let ratio = scaledFrames > 1 && n > 1 ? Double(n - 1) / Double(scaledFrames - 1) : 0
        var out: [PathPoint] = []
        var frame = -1, sum = 0.0, count = 0.0
        func flush() {
            guard count > 0 else { return }
            out.append(PathPoint(query: queryTimes[frame], item: sum / count))
        }
        for step in steps {
            let original = min(n - 1, max(0, Int((Double(step.i) * ratio).rounded())))
            let itemTime = itemTimes[min(max(step.j, 0), itemTimes.count - 1)]
            if original != frame {
                flush()
                (frame, sum, count) = (original, 0, 0)
            }
            sum += itemTime
            count += 1
        }
        flush()
        return out
    }
}
