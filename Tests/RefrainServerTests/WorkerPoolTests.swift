import Foundation
import RefrainServer
import XCTest

/// The bounded pool: jobs run on its threads, a full line refuses at once, a job still waiting at its deadline
/// is dropped without running, one still running is answered `overran` while it finishes.
final class WorkerPoolTests: XCTestCase {
    /// A gate a job waits at until the test opens it.
    final class Gate: @unchecked Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        func wait() { semaphore.wait() }
        func open(_ count: Int = 1) { for _ in 0..<count { semaphore.signal() } }
    }

    func waitUntil(_ condition: () -> Bool, timeout: Double = 5) {
        let end = Date().addingTimeInterval(timeout)
        while !condition() && Date() < end { usleep(2000) }
    }

    func testJobsRunOnTheWorkersAndTheirResultsAndErrorsComeBack() async throws {
        let pool = WorkerPool(workers: 2, capacity: 2)
        // Four jobs submitted at once run at most two at a time.
        final class Concurrency: @unchecked Sendable {
            private let lock = NSLock()
            private var now = 0
            private(set) var peak = 0
            func enter() { lock.lock(); now += 1; peak = max(peak, now); lock.unlock() }
            func leave() { lock.lock(); now -= 1; lock.unlock() }
        }
        let concurrency = Concurrency()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { try await pool.run { concurrency.enter(); usleep(50_000); concurrency.leave() } }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(concurrency.peak, 2, "two workers, two jobs at a time")
        struct Boom: Error {}
        do {
            _ = try await pool.run { () throws -> Int in throw Boom() }
            XCTFail("the job's error comes back")
        } catch is Boom {}
        let sums = try await withThrowingTaskGroup(of: Int.self) { group in
            for n in 0..<4 { group.addTask { try await pool.run { (0...n).reduce(0, +) } } }
            return try await group.reduce(0, +)
        }
        XCTAssertEqual(sums, 0 + 1 + 3 + 6)
    }

    func testAFullLineRefusesAtOnceAndFreesUpAfterwards() async throws {
        let pool = WorkerPool(workers: 1, capacity: 1)
        let gate = Gate()
        let running = Task { try await pool.run { gate.wait(); return 1 } }
        waitUntil { pool.load.running == 1 }
        let waiting = Task { try await pool.run { 2 } }
        waitUntil { pool.load.waiting == 1 }
        XCTAssertTrue(pool.isFull)
        XCTAssertEqual([pool.load.workers, pool.load.running, pool.load.waiting, pool.load.capacity], [1, 1, 1, 1])
        let started = Date()
        do {
            _ = try await pool.run { 3 }
            XCTFail("refused")
        } catch let refusal as WorkerPool.PoolRefusal {
            XCTAssertEqual(refusal, .full)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "refused at once, not after waiting")
        XCTAssertGreaterThanOrEqual(pool.retryAfterSeconds, 1)
        gate.open()
        let first = try await running.value
        let second = try await waiting.value
        XCTAssertEqual(first + second, 3)
        XCTAssertFalse(pool.isFull)
        let third = try await pool.run { 3 }
        XCTAssertEqual(third, 3)
    }

    func testAJobStillWaitingAtItsDeadlineIsDroppedWithoutRunning() async throws {
        let pool = WorkerPool(workers: 1, capacity: 4)
        let gate = Gate()
        let blocker = Task { try await pool.run { gate.wait(); return 0 } }
        waitUntil { pool.load.running == 1 }
        final class Flag: @unchecked Sendable { var ran = false }
        let flag = Flag()
        do {
            _ = try await pool.run(deadline: Date().addingTimeInterval(0.2)) { flag.ran = true; return 1 }
            XCTFail("expired")
        } catch let refusal as WorkerPool.PoolRefusal {
            XCTAssertEqual(refusal, .expired)
        }
        gate.open()
        _ = try await blocker.value
        waitUntil { pool.load.running == 0 && pool.load.waiting == 0 }
        XCTAssertFalse(flag.ran, "an expired job never runs")
    }

    func testAJobRunningPastItsDeadlineIsAnsweredOverranAndKeepsItsWorkerUntilDone() async throws {
        let pool = WorkerPool(workers: 1, capacity: 0)
        let gate = Gate()
        do {
            _ = try await pool.run(deadline: Date().addingTimeInterval(0.2)) { gate.wait(); return 1 }
            XCTFail("overran")
        } catch let refusal as WorkerPool.PoolRefusal {
            XCTAssertEqual(refusal, .overran)
        }
        XCTAssertEqual(pool.load.running, 1, "the job still runs")
        XCTAssertTrue(pool.isFull, "and holds its worker: the pool never runs more than its workers")
        gate.open()
        waitUntil { pool.load.running == 0 }
        let after = try await pool.run { 2 }
        XCTAssertEqual(after, 2)
    }

    func testACancelledRequestsJobDoesNotRun() async throws {
        let pool = WorkerPool(workers: 1, capacity: 2)
        let gate = Gate()
        let blocker = Task { try await pool.run { gate.wait(); return 0 } }
        waitUntil { pool.load.running == 1 }
        final class Flag: @unchecked Sendable { var ran = false }
        let flag = Flag()
        let cancelled = Task { try await pool.run { flag.ran = true; return 1 } }
        waitUntil { pool.load.waiting == 1 }
        cancelled.cancel()
        do {
            _ = try await cancelled.value
            XCTFail("dropped")
        } catch let refusal as WorkerPool.PoolRefusal {
            XCTAssertEqual(refusal, .expired)
        }
        gate.open()
        _ = try await blocker.value
        waitUntil { pool.load.running == 0 && pool.load.waiting == 0 }
        XCTAssertFalse(flag.ran)
    }
}
