import Foundation

/// How many threads a piece of work may run on at once: the one knob every parallel loop of Refrain obeys.
///
/// The engine takes a budget (by default, one thread per core) and hands it down to everything it runs:
/// decoding, feature analysis, the search stages, index writes. A caller that runs several jobs side by side
/// gives each a `share` of its budget. Functions of the lower modules that parallelise take a `threads`
/// argument whose default is `machine.threads`; nothing in Refrain fixes a thread count of its own.
public struct ComputeBudget: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Threads, at least 1.
    public let threads: Int

    public init(threads: Int) { self.threads = max(1, threads) }

    /// One thread per core of this machine.
    public static var machine: ComputeBudget { ComputeBudget(threads: ProcessInfo.processInfo.activeProcessorCount) }

    /// One thread: run everything in the caller's thread.
    public static let serial = ComputeBudget(threads: 1)

    /// The budget of each of `parts` jobs run side by side (at least one thread each).
    public func share(_ parts: Int) -> ComputeBudget { ComputeBudget(threads: threads / max(1, parts)) }

    public var description: String { threads == 1 ? "1 thread" : "\(threads) threads" }
}
