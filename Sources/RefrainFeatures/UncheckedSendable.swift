/// Hands values to concurrent workers (`DispatchQueue.concurrentPerform`) that only read them or
/// write to disjoint places through them: raw pointers into buffers that outlive the workers, and
/// non-escaping closures that are safe to call concurrently.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
