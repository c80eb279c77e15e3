import Foundation
import Refrain
import RefrainIndex

/// Exhaustive search (every pruning stage off, so the exact Raffel-Ellis stage ranks every audio item) run
/// beside the learned cascade's settings on the same queries at one collection size: the goal is the
/// cascade's top-1 accuracy equal to exhaustive search's within one query. Per query it keeps the true
/// recording's rank and the first item by exhaustive search, to tell, where a cascade's first item differs,
/// whether the cascade pruned exhaustive search's first item or ranked it lower.
struct LearnedExhaustiveComparison {
    /// Per query: the true recording's rank by exhaustive search (nil: not ranked), its first item's key, seconds.
    var ranks: [Int?] = [], firsts: [String?] = [], times: [Double] = []
    var ids: [String] = [], relevant: [Set<String>] = []

    /// Adds one query's exhaustive result.
    mutating func record(_ result: SearchResult, _ query: EvalQuery) {
        ranks.append(LearnedBenchCommand.rank(query, result.result.ranking))
        firsts.append(result.result.ranking.first?.key)
        times.append(result.result.seconds)
        ids.append(query.id)
        relevant.append(Set(query.relevant))
    }

    /// The report lines: exhaustive search's Table 1 row and time, then per cascade setting the queries whose
    /// first item equals exhaustive search's, the two top-1 accuracies, and each disagreement with its cause.
    func lines(_ runs: [LearnedCascadeRun]) -> [String] {
        let n = ranks.count
        var out = ["  exhaustive exact stage  " + LearnedBenchCommand.table(ranks) + "   (query " + LearnedBenchCommand.percentiles(times)
                   + ", every audio item ranked by the exact stage)"]
        let exhaustiveTop = ranks.filter { $0 == 1 }.count
        for run in runs where run.rankedKeys.count == n {
            var pruned: [String] = [], lower: [String] = []
            for q in 0..<n where run.rankedKeys[q].first != firsts[q] {
                let mark = { (key: String?) in key.map { "\($0)\(relevant[q].contains($0) ? " (true)" : "")" } ?? "none" }
                let text = "\(ids[q]): exhaustive \(mark(firsts[q])), cascade \(mark(run.rankedKeys[q].first))"
                if let first = firsts[q], let at = run.rankedKeys[q].firstIndex(of: first) {
                    lower.append(text + ", exhaustive's first ranked \(at + 1) by the cascade")
                } else {
                    pruned.append(text + ", exhaustive's first pruned")
                }
            }
            let cascadeTop = run.ranks.filter { $0 == 1 }.count
            out.append("  top-1 equal to exhaustive: learned cascade (\(run.settings)) \(n - pruned.count - lower.count) of \(n); "
                       + "top-1 correct: cascade \(cascadeTop), exhaustive \(exhaustiveTop) of \(n); "
                       + "differing: \(pruned.count) with exhaustive's first item pruned, \(lower.count) with it ranked lower")
            out += (pruned + lower).map { "    " + $0 }
        }
        return out
    }
}
