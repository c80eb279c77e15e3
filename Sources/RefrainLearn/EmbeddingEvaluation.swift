import Foundation
import RefrainMath

/// Measures of how well an embedding separates matching from non-matching items.
public enum EmbeddingEvaluation {
    /// Euclidean distances of all pairs `i < j` of `embeddings` (`n x dims`), split by whether their labels match.
    public static func pairDistances(_ embeddings: Matrix, labels: [Int]) -> (matching: [Float], nonMatching: [Float]) {
        let n = embeddings.rows, d = embeddings.cols
        var matching: [Float] = [], nonMatching: [Float] = []
        for i in 0..<n {
            for j in (i + 1)..<max(n, i + 1) {
                var s: Float = 0
                for k in 0..<d { let diff = embeddings.storage[i * d + k] - embeddings.storage[j * d + k]; s += diff * diff }
                if labels[i] == labels[j] { matching.append(s.squareRoot()) } else { nonMatching.append(s.squareRoot()) }
            }
        }
        return (matching, nonMatching)
    }

    /// The two normalised histograms of `bins` equal bins spanning `[min, max]` of both samples together (the
    /// last bin closed), as Raffel & Ellis bin distances of matching and non-matching pairs.
    public static func histograms(_ a: [Float], _ b: [Float], bins: Int = 100) -> (range: ClosedRange<Float>, a: [Double], b: [Double]) {
        let all = a + b
        let lo = all.min() ?? 0, hi = max(all.max() ?? 1, lo)
        let width = hi > lo ? (hi - lo) / Float(bins) : 1
        func histogram(_ values: [Float]) -> [Double] {
            var h = [Double](repeating: 0, count: bins)
            for v in values { h[min(bins - 1, max(0, Int((v - lo) / width)))] += 1 }
            let total = Double(max(values.count, 1))
            return h.map { $0 / total }
        }
        return (lo...hi, histogram(a), histogram(b))
    }

    /// The Bhattacharyya coefficient `Σ_b sqrt(p_b q_b)` of the two distance distributions, histogrammed as in
    /// `histograms` (default 100 equal bins over the pooled range): 0 when they do not overlap, 1 when they are
    /// identical. Raffel & Ellis select hashing models by the lowest coefficient on validation pairs.
    /// - Throws: `RefrainError.invalidArgument` when either sample is empty.
    public static func bhattacharyya(matching: [Float], nonMatching: [Float], bins: Int = 100) throws -> Double {
        guard !matching.isEmpty, !nonMatching.isEmpty, bins >= 1 else {
            throw RefrainError.invalidArgument("the Bhattacharyya coefficient needs matching and non-matching distances")
        }
        let (_, p, q) = histograms(matching, nonMatching, bins: bins)
        return zip(p, q).reduce(0) { $0 + ($1.0 * $1.1).squareRoot() }
    }

    /// A PNG of both histograms (`histograms`, 100 bins), matching pairs in green, non-matching in red, overlap
    /// in yellow; distance grows to the right, with the coefficient in the title bar drawn as a bar of that
    /// length. 4 pixels per bin, 240 pixels high.
    public static func writeHistogramPNG(matching: [Float], nonMatching: [Float], bins: Int = 100, to url: URL) throws {
        let (_, p, q) = histograms(matching, nonMatching, bins: bins)
        let coefficient = try bhattacharyya(matching: matching, nonMatching: nonMatching, bins: bins)
        let barWidth = 4, height = 240, top = 16
        var image = RGBImage(width: bins * barWidth, height: height, background: (20, 20, 28))
        let peak = max(p.max() ?? 0, q.max() ?? 0, 1e-12)
        for b in 0..<bins {
            let hp = Int((p[b] / peak) * Double(height - top - 1)), hq = Int((q[b] / peak) * Double(height - top - 1))
            for y in 0..<(height - top) {
                let inP = y < hp, inQ = y < hq
                guard inP || inQ else { continue }
                let color: (UInt8, UInt8, UInt8) = inP && inQ ? (230, 210, 60) : (inP ? (70, 200, 90) : (220, 70, 60))
                for x in (b * barWidth)..<((b + 1) * barWidth - 1) { image.set(x: x, y: height - 1 - y, color) }
            }
        }
        let bar = Int(coefficient * Double(bins * barWidth))
        for x in 0..<bar { for y in 4..<10 { image.set(x: x, y: y, (200, 200, 220)) } }
        try image.writePNG(to: url)
    }

    /// Nearest-neighbour retrieval in an embedding: every query ranks the database by Euclidean distance
    /// (itself left out when `leaveOneOut`, for queries that are the database). Returns, for each `k`, the
    /// fraction of queries with at least one item of their label among the first `k` ("Recall@K" of the
    /// metric-learning literature), and the mean average precision over queries that have a relevant item.
    public static func retrieval(queries: Matrix, queryLabels: [Int], database: Matrix, databaseLabels: [Int],
                                 ks: [Int] = [1, 5, 10], leaveOneOut: Bool = false) throws -> (recall: [Int: Double], map: Double) {
        guard queries.cols == database.cols, queries.rows == queryLabels.count, database.rows == databaseLabels.count,
              database.rows >= 1 else {
            throw RefrainError.invalidArgument("retrieval needs queries and database of one dimension with one label per row")
        }
        let qn = queries.rowSquaredNorms(), dn = database.rowSquaredNorms()
        let dots = queries.multipliedTransposed(database)
        var hits = [Int: Int](), apSum = 0.0, apCount = 0
        for q in 0..<queries.rows {
            var order = (0..<database.rows).filter { !(leaveOneOut && $0 == q) }
            let dist = order.map { qn[q] + dn[$0] - 2 * dots[q, $0] }
            var byIndex = [Int: Float]()
            for (i, o) in order.enumerated() { byIndex[o] = dist[i] }
            order.sort { (byIndex[$0]!, $0) < (byIndex[$1]!, $1) }
            let relevant = order.map { databaseLabels[$0] == queryLabels[q] }
            for k in ks where relevant.prefix(k).contains(true) { hits[k, default: 0] += 1 }
            var found = 0, precisionSum = 0.0
            for (rank, r) in relevant.enumerated() where r {
                found += 1
                precisionSum += Double(found) / Double(rank + 1)
            }
            if found > 0 { apSum += precisionSum / Double(found); apCount += 1 }
        }
        var recall: [Int: Double] = [:]
        for k in ks { recall[k] = Double(hits[k] ?? 0) / Double(max(queries.rows, 1)) }
        return (recall, apCount > 0 ? apSum / Double(apCount) : 0)
    }
}
