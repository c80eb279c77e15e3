import Foundation
@testable import Refrain
import RefrainFeatures
import RefrainMath
import XCTest

/// `AnalysisMemo`, what the lanes of one analysis share: a value asked for by several threads at once is made
/// once and the others wait for it; a failed make is made again by the next caller; a CQT whose frames are
/// every k-th of one being made waits for it, so that it takes its rows as a serial analysis would.
final class AnalysisMemoTests: XCTestCase {
    func testConcurrentCallersMakeAValueOnceAndAllGetIt() {
        let memo = AnalysisMemo()
        let makes = Counter()
        var got = [Int](repeating: 0, count: 8)
        got.withUnsafeMutableBufferPointer { slots in
            let out = UncheckedSendable(slots.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: 8) { i in
                out.value[i] = memo.value("k") { () -> Int in
                    makes.add()
                    Thread.sleep(forTimeInterval: 0.05)
                    return 42
                }
            }
        }
        XCTAssertEqual(makes.count, 1)
        XCTAssertEqual(got, [Int](repeating: 42, count: 8))
        XCTAssertEqual(memo.stored("k", as: Int.self), 42)
        XCTAssertNil(memo.stored("other", as: Int.self))
    }

    func testAFailedMakeIsMadeAgainByTheNextCaller() throws {
        struct Failure: Error {}
        let memo = AnalysisMemo()
        XCTAssertThrowsError(try memo.value("k") { () throws -> Int in throw Failure() })
        XCTAssertNil(memo.stored("k", as: Int.self))
        XCTAssertEqual(memo.value("k") { 7 }, 7)
        XCTAssertEqual(memo.value("k") { 8 }, 7, "made once")
    }

    func testACoarserCQTWaitsForTheFinerOneBeingMade() throws {
        func cqt(hop: Int) throws -> CQT {
            try CQT(CQTConfiguration(sampleRate: 22050, hopLength: hop, fmin: midiToHz(36), binCount: 48, binsPerOctave: 12))
        }
        let fine = try cqt(hop: 512), coarse = try cqt(hop: 1024)
        XCTAssertEqual(coarse.frameStride(within: fine), 2)
        let memo = AnalysisMemo()
        let made = FeatureSequence(values: Matrix(rows: 3, cols: 48), hopLength: 512, sampleRate: 22050)
        let started = DispatchSemaphore(value: 0)
        let seen = Counter()
        DispatchQueue.concurrentPerform(iterations: 2) { lane in
            if lane == 0 {
                _ = try? memo.magnitude(fine) { finished in
                    started.signal()
                    Thread.sleep(forTimeInterval: 0.2)
                    return made
                }
            } else {
                started.wait()
                _ = try? memo.magnitude(coarse) { finished in
                    seen.set(finished.map { $0.cqt.configuration.hopLength })
                    return made
                }
            }
        }
        XCTAssertEqual(seen.values, [512], "the coarse CQT was made after the fine one, from the finished list")
    }
}

/// Numbers written by concurrent test workers under a lock.
private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Int] = []
    var count: Int { lock.lock(); defer { lock.unlock() }; return stored.count }
    var values: [Int] { lock.lock(); defer { lock.unlock() }; return stored }
    func add() { lock.lock(); stored.append(1); lock.unlock() }
    func set(_ values: [Int]) { lock.lock(); stored = values; lock.unlock() }
}
