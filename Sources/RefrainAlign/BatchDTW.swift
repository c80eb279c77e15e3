import Dispatch
import Foundation
import RefrainMath

/// One hit of a batch search: which database sequence and its DTW cost.
public struct BatchMatch: Equatable, Sendable {
    /// Index into the sequences the database was built from.
    public var index: Int
    public var cost: Float
}

/// One query against many database sequences at once, for search: the lanes kernels of
/// `BatchKernels`, spread over the machine's cores, with early abandoning.
///
/// Costs equal `DTW.distance` with standard weights and no global constraint (full DTW), or the
/// best end of `SubsequenceDTW.matchingFunction` when `subsequence` is set (the query may start
/// and end anywhere in each database sequence).
public enum BatchDTW {
    /// The DTW cost of `query` (`N x dims`) against every sequence of `database`, in the order the
    /// database was built from. A sequence whose cost provably exceeds `abandonAbove` may come back
    /// as `+inf` without being finished. `threads` = 0 uses every active core.
    public static func costs(query: Matrix, database: DTWBatchDatabase, subsequence: Bool = false,
                             abandonAbove: Float = .infinity, threads: Int = 0) throws -> [Float] {
        let prepared = try prepare(query, database)
        return scatter(count: database.count, blocks: database.blocks.count, members: { database.blocks[$0].members },
                       threads: threads) { b, scratch in
            floatBlock(prepared, database, b, subsequence: subsequence, threshold: abandonAbove, scratch: scratch)
        }
    }

    /// The `count` database sequences with the lowest DTW cost to `query`, best first. Each worker
    /// abandons blocks against its current `count`-th best cost.
    public static func nearest(query: Matrix, database: DTWBatchDatabase, count: Int, subsequence: Bool = false,
                               threads: Int = 0) throws -> [BatchMatch] {
        let prepared = try prepare(query, database)
        return topK(count: count, blocks: database.blocks.count, members: { database.blocks[$0].members }, threads: threads) {
            b, threshold, scratch in
            floatBlock(prepared, database, b, subsequence: subsequence, threshold: threshold, scratch: scratch)
        }
    }

    /// Hamming DTW cost (XOR + popcount per cell) of a 16-bit hash query against every sequence of
    /// `database`. Costs of 65519 or more come back as `+inf` (16-bit saturating accumulation).
    public static func costs(query: [UInt16], database: HashBatchDatabase, subsequence: Bool = false,
                             abandonAbove: Float = .infinity, threads: Int = 0) throws -> [Float] {
        guard !query.isEmpty else { throw RefrainError.invalidArgument("the query hash sequence is empty") }
        return scatter(count: database.count, blocks: database.blocks.count, members: { database.blocks[$0].members },
                       threads: threads) { b, scratch in
            hashBlock(query, database, b, subsequence: subsequence, threshold: abandonAbove, scratch: scratch)
        }
    }

    /// The `count` hash sequences with the lowest Hamming DTW cost to `query`, best first.
    public static func nearest(query: [UInt16], database: HashBatchDatabase, count: Int, subsequence: Bool = false,
                               threads: Int = 0) throws -> [BatchMatch] {
        guard !query.isEmpty else { throw RefrainError.invalidArgument("the query hash sequence is empty") }
        return topK(count: count, blocks: database.blocks.count, members: { database.blocks[$0].members }, threads: threads) {
            b, threshold, scratch in
            hashBlock(query, database, b, subsequence: subsequence, threshold: threshold, scratch: scratch)
        }
    }

    // MARK: - Internals

    struct PreparedQuery: Sendable {
        var values: [Float]
        var norms: [Float]
        var rows: Int
        var dims: Int
    }

    struct UnsafeSendable<T>: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<T>
        init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
    }

    /// Scratch space of one worker: a row buffer big enough for any block.
    final class Scratch: @unchecked Sendable {
        var raw: UnsafeMutableRawPointer
        var bytes: Int
        init() { bytes = 0; raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64) }
        func ensure(_ needed: Int) -> UnsafeMutableRawPointer {
            if needed > bytes {
                raw.deallocate()
                raw = UnsafeMutableRawPointer.allocate(byteCount: needed, alignment: 64)
                bytes = needed
            }
            return raw
        }
        deinit { raw.deallocate() }
    }

    static func prepare(_ query: Matrix, _ database: DTWBatchDatabase) throws -> PreparedQuery {
        guard query.rows > 0 else { throw RefrainError.invalidArgument("the query is empty") }
        guard query.cols == database.dimension || database.count == 0 else {
            throw RefrainError.invalidArgument("query has \(query.cols) dims, database \(database.dimension)")
        }
        var values = query.storage
        var norms = [Float](repeating: 0, count: query.rows)
        for i in 0..<query.rows {
            var sq: Float = 0
            for d in 0..<query.cols { sq += values[i * query.cols + d] * values[i * query.cols + d] }
            norms[i] = sq
            if database.metric == .cosine && sq > 0 {
                let s = 1 / sq.squareRoot()
                for d in 0..<query.cols { values[i * query.cols + d] *= s }
            }
        }
        return PreparedQuery(values: values, norms: norms, rows: query.rows, dims: query.cols)
    }

    static func floatBlock(_ q: PreparedQuery, _ database: DTWBatchDatabase, _ b: Int, subsequence: Bool,
                           threshold: Float, scratch: Scratch) -> [Float] {
        let block = database.blocks[b]
        let row = scratch.ensure(max(block.maxLength, 1) * 64).assumingMemoryBound(to: SIMD16<Float>.self)
        return q.values.withUnsafeBufferPointer { qv in
            q.norms.withUnsafeBufferPointer { qn in
                BatchKernels.floatBlock(query: qv.baseAddress!, queryNorms: qn.baseAddress!, n: q.rows, dims: q.dims,
                                        block: block, metric: database.metric, subsequence: subsequence,
                                        threshold: threshold, row: row)
            }
        }
    }

    static func hashBlock(_ query: [UInt16], _ database: HashBatchDatabase, _ b: Int, subsequence: Bool,
                          threshold: Float, scratch: Scratch) -> [Float] {
        let block = database.blocks[b]
        let row = scratch.ensure(max(block.maxLength, 1) * 64).assumingMemoryBound(to: UInt16.self)
        return query.withUnsafeBufferPointer { qb in
            BatchKernels.hashBlock(query: qb.baseAddress!, n: query.count, block: block, subsequence: subsequence,
                                   threshold: threshold, row: row)
        }
    }

    /// Runs every block and writes each lane's cost at its sequence's index.
    static func scatter(count: Int, blocks: Int, members: @escaping @Sendable (Int) -> [Int], threads: Int,
                        run: @escaping @Sendable (Int, Scratch) -> [Float]) -> [Float] {
        var out = [Float](repeating: .infinity, count: count)
        out.withUnsafeMutableBufferPointer { results in
            let sink = UnsafeSendable(results.baseAddress!)
            parallel(blocks, threads: threads) { b, scratch in
                let r = run(b, scratch)
                for (lane, member) in members(b).enumerated() where member >= 0 { sink.pointer[member] = r[lane] }
            }
        }
        return out
    }

    static func workerCount(_ threads: Int, _ jobs: Int) -> Int {
        max(1, min(threads > 0 ? threads : ProcessInfo.processInfo.activeProcessorCount, jobs))
    }

    /// Runs `body(block, scratch)` for every block; workers take blocks in turn from a shared counter.
    static func parallel(_ jobs: Int, threads: Int, _ body: @escaping @Sendable (Int, Scratch) -> Void) {
        let workers = workerCount(threads, jobs)
        let next = Counter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let scratch = Scratch()
            while true {
                let b = next.take()
                if b >= jobs { break }
                body(b, scratch)
            }
        }
    }

    final class Counter: @unchecked Sendable {
        private var value = 0
        private let lock = NSLock()
        func take() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value - 1 }
    }

    static func topK(count: Int, blocks: Int, members: @escaping @Sendable (Int) -> [Int], threads: Int,
                     run: @escaping @Sendable (Int, Float, Scratch) -> [Float]) -> [BatchMatch] {
        guard count > 0, blocks > 0 else { return [] }
        let workers = workerCount(threads, blocks)
        let next = Counter()
        let lock = NSLock()
        nonisolated(unsafe) var merged: [BatchMatch] = []
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            let scratch = Scratch()
            var best: [BatchMatch] = []
            while true {
                let b = next.take()
                if b >= blocks { break }
                let threshold = best.count == count ? best[count - 1].cost : Float.infinity
                let r = run(b, threshold, scratch)
                for (lane, member) in members(b).enumerated() where member >= 0 && r[lane] < threshold {
                    best.append(BatchMatch(index: member, cost: r[lane]))
                }
                best.sort { $0.cost < $1.cost || ($0.cost == $1.cost && $0.index < $1.index) }
                if best.count > count { best.removeLast(best.count - count) }
            }
            lock.lock(); merged.append(contentsOf: best); lock.unlock()
        }
        merged.sort { $0.cost < $1.cost || ($0.cost == $1.cost && $0.index < $1.index) }
        return Array(merged.prefix(count))
    }
}
