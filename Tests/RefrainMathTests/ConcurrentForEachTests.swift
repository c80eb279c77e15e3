import Foundation
@testable import RefrainMath
import XCTest

/// `concurrentForEach`: every index once, on up to `threads` workers, the first error rethrown.
final class ConcurrentForEachTests: XCTestCase {
    /// Each index of 0..<count runs exactly once, for one worker, two, more workers than indices, and none.
    func testEveryIndexRunsExactlyOnce() throws {
        for (count, threads) in [(1000, 1), (1000, 2), (7, 16), (0, 2)] {
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: max(count, 1))
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            let shared = UncheckedSendable(counts)
            try concurrentForEach(count, threads: threads) { i in shared.value[i] += 1 }
            XCTAssertEqual(Array(counts.prefix(count)), Array(repeating: 1, count: count), "count \(count), threads \(threads)")
        }
    }

    /// Work is spread over two threads when two are allowed (each index sleeps long enough for both to start).
    func testTwoWorkersRunAtOnce() throws {
        let lock = NSLock()
        var threads = Set<String>()
        try concurrentForEach(8, threads: 2) { _ in
            let id = "\(Unmanaged.passUnretained(Thread.current).toOpaque())"
            lock.lock(); threads.insert(id); lock.unlock()
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertEqual(threads.count, 2)
    }

    /// An error stops its worker and is rethrown once every worker has stopped; the worker that failed runs no
    /// later index, on one thread as on two.
    func testTheFirstErrorIsRethrown() throws {
        struct Failure: Error, Equatable { let index: Int }
        for threads in [1, 2] {
            let lock = NSLock()
            var ran: [Int] = []
            XCTAssertThrowsError(try concurrentForEach(10, threads: threads) { i in
                lock.lock(); ran.append(i); lock.unlock()
                if i == 4 { throw Failure(index: i) }
            }) { error in
                XCTAssertEqual(error as? Failure, Failure(index: 4))
            }
            // Index 4 belongs to worker 0 (threads 2: 0, 2, 4, 6, 8), which stops there.
            XCTAssertFalse(ran.contains(6) || ran.contains(8), "threads \(threads): ran \(ran.sorted())")
        }
    }
}
