import Foundation

/// The first error thrown by any of several concurrent workers (the others are dropped).
final class FirstError: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?

    /// The error recorded first, if any.
    var error: Error? { lock.lock(); defer { lock.unlock() }; return first }

    func record(_ error: Error) { lock.lock(); if first == nil { first = error }; lock.unlock() }
}
