import Foundation
import RefrainMath

/// The best hash sequences by length-normalised Hamming DTW cost, with early abandoning.
public struct NormalizedHashMatches: Sendable {
    /// The `count` best, best first; `cost` is the DTW cost divided by `n + m` (query and sequence lengths).
    public var matches: [BatchMatch]
    /// DTW cells computed (query rows run x padded block width x 32 lanes) and the cells of a full run.
    public var cells: Int
    public var fullCells: Int
}

extension BatchDTW {
    /// The `count` sequences of `database` with the lowest Hamming DTW cost divided by `n + m` (Raffel &
    /// Ellis 2015's normalisation, so long items are not penalised for their length), best first.
    ///
    /// Early abandoning against the worker's current `count`-th best normalised cost τ: the minimum of a DTW
    /// row is a lower bound of the final cost (cell costs are non-negative), so a block of 32 sequences stops
    /// once every lane's row minimum exceeds τ (n + the block's longest length), which no lane can then beat.
    /// The result equals ranking the full costs (`costs`) by normalised cost.
    ///
    /// With `band`, every cost is the DTW cost inside that sequence's `HashBand` (a Sakoe-Chiba band around the
    /// diagonal of the length-fitted pair; infinite when no path fits), computed over the band's cells only.
    /// - Throws: `RefrainError.invalidArgument` for an empty query, or a banded search of a sequence of 65,535
    ///   codes or more.
    public static func nearestNormalized(query: [UInt16], database: HashBatchDatabase, count: Int, band: HashBand? = nil,
                                         threads: Int = 0) throws -> NormalizedHashMatches {
        guard !query.isEmpty else { throw RefrainError.invalidArgument("the query hash sequence is empty") }
        if band != nil, database.blocks.contains(where: { $0.maxLength >= Int(UInt16.max) }) {
            throw RefrainError.invalidArgument("a banded hash search takes sequences of under 65,535 codes")
        }
        let n = query.count
        let counter = CellCounter()
        let matches = topK(count: count, blocks: database.blocks.count, members: { database.blocks[$0].members }, threads: threads) {
            b, threshold, scratch in
            let block = database.blocks[b]
            let limit = threshold.isFinite ? threshold * Float(n + block.maxLength) : .infinity
            let row = scratch.ensure(max(block.maxLength, 1) * 64).assumingMemoryBound(to: UInt16.self)
            var rows = 0, cells = 0
            let raw = query.withUnsafeBufferPointer { qb in
                if let band {
                    return BatchKernels.hashBlockBanded(query: qb.baseAddress!, n: n, block: block, band: band, threshold: limit, row: row,
                                                       cells: &cells)
                }
                let costs = BatchKernels.hashBlock(query: qb.baseAddress!, n: n, block: block, subsequence: false, threshold: limit, row: row,
                                                   rowsDone: &rows)
                cells = rows * block.maxLength * HashBatchDatabase.lanes
                return costs
            }
            counter.add(cells, of: n * block.maxLength * HashBatchDatabase.lanes)
            return (0..<raw.count).map { lane in
                block.lengths[lane] > 0 ? raw[lane] / Float(n + block.lengths[lane]) : .infinity
            }
        }
        return NormalizedHashMatches(matches: matches, cells: counter.done, fullCells: counter.full)
    }

    final class CellCounter: @unchecked Sendable {
        private(set) var done = 0, full = 0
        private let lock = NSLock()
        func add(_ cells: Int, of total: Int) { lock.lock(); done += cells; full += total; lock.unlock() }
    }
}
