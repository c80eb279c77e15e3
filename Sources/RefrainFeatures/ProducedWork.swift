import Foundation

/// Work handed to several threads while one of them is still making it: the CQT's octaves can be analysed as
/// soon as their level of the resampling pyramid exists, while the next level is made. Items run in the order
/// they were added; `drain` returns once `close` has been called and every item has been taken.
final class ProducedWork: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [@Sendable () -> Void] = []
    private var next = 0
    private var closed = false

    /// Queues `item` and wakes a waiting worker.
    func add(_ item: @escaping @Sendable () -> Void) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// No more items will come: workers finish what is queued and return.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs queued items, waiting for more while the queue is open.
    func drain() {
        while true {
            condition.lock()
            while next == items.count && !closed { condition.wait() }
            guard next < items.count else {
                condition.unlock()
                return
            }
            let item = items[next]
            next += 1
            condition.unlock()
            item()
        }
    }

    /// Runs `produce` on one thread and `drain` on every core (the producer's included, once it is done), then
    /// closes the queue; rethrows what `produce` threw, after every queued item has run.
    static func run(_ produce: (ProducedWork) throws -> Void) throws {
        let work = ProducedWork()
        let failure = ErrorBox()
        withoutActuallyEscaping(produce) { produce in
            let shared = UncheckedSendable(produce)
            DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { worker in
                if worker == 0 {
                    do { try shared.value(work) } catch { failure.error = error }
                    work.close()
                }
                work.drain()
            }
        }
        if let error = failure.error { throw error }
    }
}

/// An error crossing from a worker to the thread that waits for it (written once, read after the join).
private final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
