import Foundation
import RefrainMath

/// Nearest-neighbour retrieval at the level of labels (pieces), as Zalkow & Müller 2020 measure shingle
/// embeddings: every query row finds its nearest database row by Euclidean distance; it is right when that row
/// has the query's label (precision at 1). The rank of the query's label is 1 + the number of other labels
/// whose nearest row is as near as the label's own nearest row or nearer: ties count against the query, so an
/// embedding that maps everything to one point ranks every label last, not first.
public enum NearestLabelRetrieval {
    /// Figures of one evaluation.
    public struct Result: Equatable, Sendable {
        /// Queries evaluated (those whose label the database holds).
        public var queries: Int
        /// Share of queries whose nearest database row has their label.
        public var precisionAt1: Double
        /// Mean over queries of 1 / the rank of their label.
        public var meanReciprocalRank: Double
        /// Median rank of the query's label (1 is best).
        public var medianRank: Double
    }

    /// Evaluates `queries` (`n x d`) against `database` (`m x d`), labels one per row, in blocks of `block`
    /// queries (BLAS distances). Queries whose label is not in the database are left out.
    /// - Throws: `RefrainError.invalidArgument` when dimensions or label counts do not match, or nothing is left.
    public static func evaluate(queries: Matrix, queryLabels: [Int], database: Matrix, databaseLabels: [Int],
                                block: Int = 512) throws -> Result {
        guard queries.cols == database.cols, queries.rows == queryLabels.count, database.rows == databaseLabels.count,
              database.rows >= 1 else {
            throw RefrainError.invalidArgument("label retrieval needs queries and database of one dimension with one label per row")
        }
        let labels = Array(Set(databaseLabels)).sorted()
        let slot = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
        let rowSlot = databaseLabels.map { slot[$0]! }
        let dn = database.rowSquaredNorms()
        var ranks: [Int] = []
        var nearest = [Float](repeating: 0, count: labels.count)
        for lo in stride(from: 0, to: queries.rows, by: max(1, block)) {
            let part = queries.rows(lo..<min(queries.rows, lo + max(1, block)))
            let dots = part.multipliedTransposed(database)
            let qn = part.rowSquaredNorms()
            for q in 0..<part.rows {
                guard let own = slot[queryLabels[lo + q]] else { continue }
                for i in nearest.indices { nearest[i] = .infinity }
                dots.storage.withUnsafeBufferPointer { d in
                    let base = q * database.rows
                    for j in 0..<database.rows {
                        let distance = qn[q] + dn[j] - 2 * d[base + j]
                        if distance < nearest[rowSlot[j]] { nearest[rowSlot[j]] = distance }
                    }
                }
                let target = nearest[own]
                ranks.append(1 + nearest.indices.reduce(0) { $0 + ($1 != own && nearest[$1] <= target ? 1 : 0) })
            }
        }
        guard !ranks.isEmpty else { throw RefrainError.invalidArgument("label retrieval: no query's label is in the database") }
        let sorted = ranks.sorted()
        let n = Double(ranks.count)
        let median = sorted.count % 2 == 1 ? Double(sorted[sorted.count / 2])
            : Double(sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
        return Result(queries: ranks.count, precisionAt1: Double(ranks.filter { $0 == 1 }.count) / n,
                      meanReciprocalRank: ranks.reduce(0) { $0 + 1 / Double($1) } / n, medianRank: median)
    }
}
