import CBLAS
import Dispatch
import Foundation

/// How Refrain runs OpenBLAS: its own thread pool is switched off, and large products are split by rows
/// over the machine's cores by Refrain itself.
///
/// OpenBLAS's pthread build keeps its worker threads spinning (`sched_yield`) for a while after every
/// call. Refrain already runs independent work side by side (feature branches, search workers), so those
/// spinning threads took a core from work that was ready to run: on a 2-core machine they were 11 % of all
/// samples of `refrain-bench features`. With one BLAS thread per caller, no core is ever spun away.
public enum BLASThreads {
    /// Set once, before the first BLAS call of the process.
    static let single: Void = { openblas_set_num_threads(1) }()

    /// Products of at least this many multiply-adds are split over the cores (smaller ones are not worth
    /// the dispatch).
    public static let parallelWork = 1 << 22

    /// Call before any BLAS routine.
    @inline(__always)
    public static func prepare() { _ = single }

    /// Runs `body(rows)` over `count` rows: in one piece for small work, else in one contiguous block of
    /// rows per core, concurrently.
    public static func forEachRowBlock(count: Int, work: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let blocks = rowBlocks(count: count, work: work)
        guard blocks.count > 1 else { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: blocks.count) { body(blocks[$0]) }
    }

    /// The row blocks `forEachRowBlock` uses: one per core for work of at least `parallelWork`
    /// multiply-adds, else one.
    public static func rowBlocks(count: Int, work: Int) -> [Range<Int>] {
        prepare()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let blocks = work >= parallelWork ? max(1, min(cores, count)) : 1
        return (0..<blocks).map { b in (count * b / blocks)..<(count * (b + 1) / blocks) }
    }
}
