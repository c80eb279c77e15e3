import Dispatch
import Foundation
import RefrainMath

/// Work handed to several threads while one of them is still making it: the CQT's octaves can be analysed as
/// soon as their level of the resampling pyramid exists, while the next level is made. Items run in the order
/// they were taken; `run` returns once every item has run.
///
/// The producer is the calling thread, and the helpers are asked for, not counted on: a helper that starts
/// late (every thread of the machine busy, e.g. when several queries analyse at once) finds the work done and
/// leaves, and the caller runs whatever no helper took. Nothing ever waits for a thread that has not started,
/// so nesting this inside other parallel work cannot deadlock.
final class ProducedWork: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [@Sendable () -> Void] = []
    private var next = 0
    private var closed = false
    /// Helpers that joined and have not finished.
    private var active = 0

    /// Queues `item` and wakes a waiting helper.
    func add(_ item: @escaping @Sendable () -> Void) {
        condition.lock()
        items.append(item)
        condition.signal()
        condition.unlock()
    }

    /// No more items will come: helpers finish what is queued and return.
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

    /// A helper's turn: joins unless the work is already over, drains, then leaves.
    private func help() {
        condition.lock()
        guard !(closed && next == items.count) else {
            condition.unlock()
            return
        }
        active += 1
        condition.unlock()
        drain()
        condition.lock()
        active -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every helper that joined has finished its item.
    private func waitForHelpers() {
        condition.lock()
        while active > 0 { condition.wait() }
        condition.unlock()
    }

    /// Runs `produce` on the calling thread while up to `threads - 1` helpers run what it queues; then the
    /// caller runs what is left and waits for the helpers that joined. Rethrows what `produce` threw, after
    /// every queued item has run.
    static func run(threads: Int, _ produce: (ProducedWork) throws -> Void) throws {
        let work = ProducedWork()
        for _ in 0..<max(0, threads - 1) {
            DispatchQueue.global().async { work.help() }
        }
        var failure: Error?
        do { try produce(work) } catch { failure = error }
        work.close()
        work.drain()
        work.waitForHelpers()
        if let failure { throw failure }
    }
}
