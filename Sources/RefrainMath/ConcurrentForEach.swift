import Dispatch
import Foundation

/// Runs `body(i)` for every `i` in `0..<count` on `threads` workers (one per core by default, see
/// `ComputeBudget`): worker `w` of `W` takes `w, w + W, ...`. A
/// worker stops at its first error; once all have stopped, the first error recorded is rethrown. `body`
/// must be safe to run concurrently for different indices (it may read shared state and write only what
/// belongs to its index).
public func concurrentForEach(_ count: Int, threads: Int = ComputeBudget.machine.threads,
                              _ body: (Int) throws -> Void) throws {
    guard count > 0 else { return }
    let workers = max(1, min(threads, count))
    if workers == 1 {
        for i in 0..<count { try body(i) }
        return
    }
    let failure = FirstError()
    withoutActuallyEscaping(body) { body in
        let shared = UncheckedSendable(body)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            do {
                for i in stride(from: w, to: count, by: workers) { try shared.value(i) }
            } catch {
                failure.record(error)
            }
        }
    }
    if let error = failure.error { throw error }
}

/// The first error thrown by any of several concurrent workers (the others are dropped).
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    /// The error recorded first, if any.
    var error: Error? { lock.lock(); defer { lock.unlock() }; return first }

    func record(_ error: Error) { lock.lock(); if first == nil { first = error }; lock.unlock() }
}
