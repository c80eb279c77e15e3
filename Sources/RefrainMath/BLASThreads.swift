import CBLAS
import Dispatch
import Foundation

/// How Refrain runs OpenBLAS: large products are split by rows over the caller's threads (`ComputeBudget`) by
/// Refrain itself, and executables switch OpenBLAS's own thread pool off (`useOneThreadPerCaller`).
///
/// OpenBLAS's pthread build keeps its worker threads spinning (`sched_yield`) for a while after every
/// call. Refrain already runs independent work side by side (feature branches, search workers), so those
/// spinning threads took a core from work that was ready to run: on a 2-core machine they were 11 % of all
/// samples of `refrain-bench features`. With one BLAS thread per caller, no core is ever spun away.
public enum BLASThreads {
    /// For executables, before their first BLAS call: one OpenBLAS thread per caller
    /// (`openblas_set_num_threads(1)`). It changes the whole process, so library code never calls it; a
    /// program that does not gets OpenBLAS's own threads on top of Refrain's, which is correct but slower.
    public static func useOneThreadPerCaller() { openblas_set_num_threads(1) }

    /// Products of at least this many multiply-adds are split over the cores (smaller ones are not worth
    /// the dispatch).
    public static let parallelWork = 1 << 22

    /// Runs `body(rows)` over `count` rows: in one piece for small work, else in one contiguous block of
    /// rows per thread, concurrently.
    public static func forEachRowBlock(count: Int, work: Int, threads: Int = ComputeBudget.machine.threads,
                                       _ body: @Sendable (Range<Int>) -> Void) {
        let blocks = rowBlocks(count: count, work: work, threads: threads)
        guard blocks.count > 1 else { body(0..<count); return }
        DispatchQueue.concurrentPerform(iterations: blocks.count) { body(blocks[$0]) }
    }

    /// The row blocks `forEachRowBlock` uses: one per thread for work of at least `parallelWork`
    /// multiply-adds, else one.
    public static func rowBlocks(count: Int, work: Int, threads: Int = ComputeBudget.machine.threads) -> [Range<Int>] {
        let blocks = work >= parallelWork ? max(1, min(threads, count)) : 1
        return (0..<blocks).map { b in (count * b / blocks)..<(count * (b + 1) / blocks) }
    }
}
