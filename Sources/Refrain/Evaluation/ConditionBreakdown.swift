import Foundation
import RefrainIndex

/// Accuracy of a query set broken down by the conditions its queries were made under (the labels of
/// `RealisticSet.Query`), so that a weakness shows as a row: P@1, MAP, the share of top-1 hits whose
/// span overlaps the true one, and the median query time, per label value.
public struct ConditionBreakdown: Sendable {
    /// What one query scored.
    public struct Outcome: Codable, Sendable {
        public var id: String
        public var labels: [String: String]
        /// The first-ranked item is relevant.
        public var hit: Bool
        /// For a hit with a true span: whether the returned span covers at least half of it (as `RetrievalMetrics`).
        public var spanOK: Bool?
        public var averagePrecision: Double
        /// Rank (1-based) of the first relevant item, nil when none was returned.
        public var rank: Int?
        public var seconds: Double
    }

    public var outcomes: [Outcome] = []

    public init() {}

    /// Scores `result` against `query` (rankings reduced to distinct keys, best entry first).
    public mutating func add(_ query: RealisticSet.Query, _ result: QueryResult) {
        let relevant = Set(query.relevant)
        var seen = Set<String>()
        let ranked = result.ranking.filter { seen.insert($0.key).inserted }
        let rank = ranked.firstIndex { relevant.contains($0.key) }.map { $0 + 1 }
        var found = 0, sum = 0.0
        for (i, item) in ranked.enumerated() where relevant.contains(item.key) {
            found += 1
            sum += Double(found) / Double(i + 1)
        }
        var spanOK: Bool?
        if let top = ranked.first, relevant.contains(top.key), let span = query.spans[top.key], span.count == 2,
           let start = top.start, let end = top.end {
            spanOK = max(0, min(end, span[1]) - max(start, span[0])) >= 0.5 * (span[1] - span[0])
        }
        outcomes.append(Outcome(id: query.id, labels: query.labels, hit: rank == 1, spanOK: spanOK,
                                averagePrecision: relevant.isEmpty ? 0 : sum / Double(relevant.count), rank: rank,
                                seconds: result.seconds))
    }

    /// Summary of a group of outcomes: count, P@1, MAP, MRR, span share (of hits with spans), median seconds.
    public struct Row: Sendable {
        public var count: Int
        public var precisionAt1: Double
        public var meanAveragePrecision: Double
        public var mrr: Double
        public var spanShare: Double?
        public var medianSeconds: Double
    }

    public static func row(_ group: [Outcome]) -> Row {
        let n = Double(max(group.count, 1))
        let spans = group.compactMap(\.spanOK)
        return Row(count: group.count, precisionAt1: Double(group.filter(\.hit).count) / n,
                   meanAveragePrecision: group.reduce(0) { $0 + $1.averagePrecision } / n,
                   mrr: group.reduce(0) { $0 + ($1.rank.map { 1 / Double($0) } ?? 0) } / n,
                   spanShare: spans.isEmpty ? nil : Double(spans.filter { $0 }.count) / Double(spans.count),
                   medianSeconds: RetrievalMetrics.percentile(group.map(\.seconds), 50))
    }

    public var all: Row { Self.row(outcomes) }

    /// The table: one line for all queries, then one per value of every label, grouped by label.
    public func table(title: String) -> String {
        func line(_ name: String, _ row: Row) -> String {
            "  " + name.padded(34) + String(format: " %5d   %.3f   %.3f   ", row.count, row.precisionAt1, row.meanAveragePrecision)
                + (row.spanShare.map { String(format: "%.3f", $0) } ?? "  -  ") + String(format: "   %.3f", row.medianSeconds)
        }
        var lines = ["\(title)", "  \("condition".padded(34))     n     P@1     MAP    span   p50 s", line("all", all)]
        let keys = Set(outcomes.flatMap(\.labels.keys)).sorted()
        for key in keys {
            let values = Set(outcomes.compactMap { $0.labels[key] }).sorted()
            for value in values {
                lines.append(line("\(key): \(value)", Self.row(outcomes.filter { $0.labels[key] == value })))
            }
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    /// Left-aligned in a field of `width` characters.
    func padded(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
