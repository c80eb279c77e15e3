import Dispatch

/// Hands values to concurrent workers (`DispatchQueue.concurrentPerform`) that only read them or
/// write to disjoint places through them: raw pointers into buffers that outlive the workers, and
/// non-escaping closures that are safe to call concurrently. The caller vouches for that safety.
public struct UncheckedSendable<T>: @unchecked Sendable {
    public let value: T
    public init(_ value: T) { self.value = value }
}


/// Runs `first` and `second` at the same time (two workers of `DispatchQueue.concurrentPerform`) and returns
/// both results; rethrows the first branch's error, else the second's. Both closures must be safe to run
/// concurrently with each other (they may read shared state, and must write only their own). With
/// `threads` below 2 they run one after the other in the caller's thread.
public func concurrently<A, B>(threads: Int = ComputeBudget.machine.threads,
                               _ first: () throws -> A, _ second: () throws -> B) throws -> (A, B) {
    if threads < 2 {
        let a = Result { try first() }, b = Result { try second() }
        return (try a.get(), try b.get())
    }
    var a: Result<A, Error>?
    var b: Result<B, Error>?
    try withoutActuallyEscaping(first) { first in
        try withoutActuallyEscaping(second) { second in
            try withUnsafeMutablePointer(to: &a) { ap in
                try withUnsafeMutablePointer(to: &b) { bp in
                    let shared = UncheckedSendable((first, second, ap, bp))
                    DispatchQueue.concurrentPerform(iterations: 2) { branch in
                        let (first, second, ap, bp) = shared.value
                        if branch == 0 { ap.pointee = Result { try first() } } else { bp.pointee = Result { try second() } }
                    }
                    _ = try ap.pointee!.get()
                    _ = try bp.pointee!.get()
                }
            }
        }
    }
    return (try a!.get(), try b!.get())
}
