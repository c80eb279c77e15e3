import Foundation

/// A counter shared by the threads of a parallel loop (items rendered so far, for progress lines).
final class ProgressCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    /// Adds one and returns the new value.
    func increment() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}
