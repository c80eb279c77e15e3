import Foundation
@testable import RefrainFeatures
import RefrainMath
import XCTest

final class ProducedWorkTests: XCTestCase {
    /// Counts runs per item from several threads.
    final class Tally: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var counts: [Int]
        init(_ n: Int) { counts = [Int](repeating: 0, count: n) }
        func hit(_ i: Int) { lock.lock(); counts[i] += 1; lock.unlock() }
    }

    /// Every item added while others already run is run exactly once, and `run` returns after all of them.
    func testEveryItemRunsOnce() throws {
        let tally = Tally(2000)
        try ProducedWork.run(threads: 2) { work in
            for i in 0..<2000 {
                if i % 100 == 0 { usleep(200) }  // the producer lags, as the CQT's resampling does
                work.add { tally.hit(i) }
            }
        }
        XCTAssertEqual(tally.counts, [Int](repeating: 1, count: 2000))
    }

    /// An error from the producer reaches the caller, after the items queued before it have run.
    func testProducerErrorIsRethrownAfterQueuedItems() {
        struct Stop: Error {}
        let tally = Tally(50)
        XCTAssertThrowsError(try ProducedWork.run(threads: 2) { work in
            for i in 0..<50 { work.add { usleep(100); tally.hit(i) } }
            throw Stop()
        }) { XCTAssertTrue($0 is Stop) }
        XCTAssertEqual(tally.counts, [Int](repeating: 1, count: 50))
    }
}

final class ProducedWorkNestingTests: XCTestCase {
    /// Many producers at once inside other parallel work (more than the machine has threads): each finishes,
    /// because none waits for a helper thread that never gets to start.
    func testNestedRunsFinishAndRunEveryItemOnce() throws {
        let tallies = (0..<16).map { _ in ProducedWorkTests.Tally(300) }
        DispatchQueue.concurrentPerform(iterations: tallies.count) { k in
            try? ProducedWork.run(threads: 4) { work in
                for i in 0..<300 {
                    if i % 50 == 0 { usleep(100) }
                    work.add { tallies[k].hit(i) }
                }
            }
        }
        for tally in tallies { XCTAssertEqual(tally.counts, [Int](repeating: 1, count: 300)) }
    }
}
