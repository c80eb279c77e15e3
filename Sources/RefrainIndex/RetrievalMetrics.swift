import Foundation

/// Retrieval metrics over a set of queries (Manning, Raghavan & Schütze 2008, ch. 8).
///
/// Per query the ranking is reduced to distinct keys (an item's first, best entry counts; later entries of
/// the same item are ignored); a result that ranks works (`QueryResult.ranksWorks`) is judged by work keys. With `r` the rank (1-based) of the first relevant key:
/// - MRR: mean of `1 / r` (0 when none is found);
/// - P@1: share of queries whose first key is relevant;
/// - recall@10: mean share of a query's relevant keys among its first 10;
/// - MAP: mean of average precision, `(1 / |relevant|) * sum over relevant ranks k of precision@k`;
/// - `rankShares[t]`: share of queries with `r <= t`, for t = 1, 10, 100, 1000;
/// - span overlap: among queries whose top-1 key is the first relevant item and that have a true span and a
///   returned span, the share where the intersection covers at least half of the true span's length;
/// - latency: median and 95th percentile of the query times (linear interpolation between order
///   statistics, NumPy's default).
public struct RetrievalMetrics: Codable, Equatable, Sendable {
    public var queryCount: Int
    public var mrr: Double
    public var precisionAt1: Double
    public var recallAt10: Double
    public var meanAveragePrecision: Double
    /// Threshold -> share of queries whose first relevant item ranks at or above it.
    public var rankShares: [Int: Double]
    /// nil when no query qualifies.
    public var spanOverlapShare: Double?
    public var spanOverlapCount: Int
    public var latencyMedian: Double
    public var latencyP95: Double

    public static let rankThresholds = [1, 10, 100, 1000]

    /// Metrics of `results` against `queries`, matched by id; a query without a result counts as a miss
    /// with no time.
    public init(queries: [EvalQuery], results: [QueryResult]) {
        let byID = Dictionary(results.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var reciprocal = 0.0, p1 = 0.0, recall = 0.0, ap = 0.0
        var rankHits = Dictionary(uniqueKeysWithValues: Self.rankThresholds.map { ($0, 0) })
        var spanHits = 0, spanCount = 0
        var times: [Double] = []
        for query in queries {
            let relevant = Set(query.relevant)
            guard let result = byID[query.id], !relevant.isEmpty else { continue }
            times.append(result.seconds)
            var seen = Set<String>()
            let keyOf: (RankedItem) -> String = result.ranksWorks ? { $0.work ?? $0.key } : { $0.key }
            let ranked = result.ranking.filter { seen.insert(keyOf($0)).inserted }
            let keys = ranked.map(keyOf)
            if let first = keys.firstIndex(where: relevant.contains) {
                let rank = first + 1
                reciprocal += 1 / Double(rank)
                for t in Self.rankThresholds where rank <= t { rankHits[t]! += 1 }
            }
            if let top = ranked.first, relevant.contains(keyOf(top)) {
                p1 += 1
                if keyOf(top) == query.relevant.first, let span = query.span, span.count == 2,
                   let start = top.start, let end = top.end {
                    spanCount += 1
                    let overlap = max(0, min(end, span[1]) - max(start, span[0]))
                    if overlap >= 0.5 * (span[1] - span[0]) { spanHits += 1 }
                }
            }
            recall += Double(keys.prefix(10).filter(relevant.contains).count) / Double(relevant.count)
            var found = 0, sum = 0.0
            for (i, key) in keys.enumerated() where relevant.contains(key) {
                found += 1
                sum += Double(found) / Double(i + 1)
            }
            ap += sum / Double(relevant.count)
        }
        let n = Double(max(queries.filter { !$0.relevant.isEmpty }.count, 1))
        queryCount = queries.count
        mrr = reciprocal / n
        precisionAt1 = p1 / n
        recallAt10 = recall / n
        meanAveragePrecision = ap / n
        rankShares = rankHits.mapValues { Double($0) / n }
        spanOverlapCount = spanCount
        spanOverlapShare = spanCount > 0 ? Double(spanHits) / Double(spanCount) : nil
        latencyMedian = Self.percentile(times, 50)
        latencyP95 = Self.percentile(times, 95)
    }

    /// The `p`-th percentile (0...100) with linear interpolation (NumPy's default); 0 for no values.
    public static func percentile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let position = p / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    /// A human-readable report, one metric per line.
    public var summary: String {
        var lines = [
            "queries        \(queryCount)",
            String(format: "MRR            %.4f", mrr),
            String(format: "P@1            %.4f", precisionAt1),
            String(format: "recall@10      %.4f", recallAt10),
            String(format: "MAP            %.4f", meanAveragePrecision),
        ]
        for t in Self.rankThresholds { lines.append(String(format: "rank <= %-6d %.4f", t, rankShares[t] ?? 0)) }
        lines.append(spanOverlapShare.map { String(format: "span overlap   %.4f (of %d top-1 hits with spans)", $0, spanOverlapCount) }
                     ?? "span overlap   n/a (no top-1 hit with a span)")
        lines.append(String(format: "latency p50    %.4f s", latencyMedian))
        lines.append(String(format: "latency p95    %.4f s", latencyP95))
        return lines.joined(separator: "\n")
    }
}
