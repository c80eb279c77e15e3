import Foundation
import RefrainIndex
import RefrainLearn
import RefrainMath

/// Shingle-level cross-version retrieval (Zalkow & Müller 2020): query shingles cut from one version of every
/// piece, database shingles from the other versions, labelled by work. A reduction is right for a query when the
/// nearest database shingle in its space comes from the query's work (`NearestLabelRetrieval`).
public struct ShingleRetrievalSet: Sendable {
    /// Transformed shingles, one per row (`ShingleSettings.transformedWidth` values, unit length).
    public var queries: Matrix
    public var queryLabels: [Int]
    public var database: Matrix
    public var databaseLabels: [Int]

    /// Shingles of `length` CENS frames, transformed by `transform` as an index does (`indexShingles`): every
    /// `queryHop` frames of version 0 of each piece as queries, every `databaseHop` frames of its other versions as
    /// the database. `work` maps a piece key to its work (pieces of one work share a label; default: itself).
    public init(pieces: [ShinglePiece], length: Int, transform: ShingleTransform, queryHop: Int, databaseHop: Int,
                work: [String: String] = [:]) {
        var labels: [String: Int] = [:]
        var q: [Float] = [], d: [Float] = []
        var ql: [Int] = [], dl: [Int] = []
        for piece in pieces {
            let name = work[piece.key] ?? piece.key
            let label = labels[name] ?? labels.count
            labels[name] = label
            for (v, version) in piece.versions.enumerated() {
                let starts = Shingles.starts(frames: version.cens.rows, length: length, hop: v == 0 ? queryHop : databaseHop)
                guard !starts.isEmpty else { continue }
                let shingles = version.cens.storage.withUnsafeBufferPointer {
                    transform.indexShingles($0, dims: version.cens.cols, length: length, starts: starts)
                }
                if v == 0 { q += shingles.storage; ql += Array(repeating: label, count: starts.count) } else {
                    d += shingles.storage
                    dl += Array(repeating: label, count: starts.count)
                }
            }
        }
        let width = transform.width(length: length, dims: 12)
        queries = Matrix(rows: ql.count, cols: width, storage: q)
        queryLabels = ql
        database = Matrix(rows: dl.count, cols: width, storage: d)
        databaseLabels = dl
    }

    /// Retrieval figures with both sides reduced by `reduce` (the identity: the unreduced shingles).
    public func evaluate(_ reduce: (Matrix) throws -> Matrix) throws -> NearestLabelRetrieval.Result {
        try NearestLabelRetrieval.evaluate(queries: try reduce(queries), queryLabels: queryLabels,
                                           database: try reduce(database), databaseLabels: databaseLabels)
    }
}
