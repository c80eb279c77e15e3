import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

final class LearnedDistractorsTests: XCTestCase {
    /// The learned cascade's shingle vote reads the graph, so distractors added after it was built must be in it
    /// (a graph of the real items alone hands the vote's keep to real items only).
    func testAddedDistractorsAreInTheShingleGraph() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 3, frames: 60, seed: 0, hop: 3)
        let before = try XCTUnwrap(try ShingleIndex.update(store, threads: 1))
        var reported: [Int] = []
        _ = try LearnedDistractors.add(4, to: store, batch: 3, threads: 1) { reported.append($0) }
        XCTAssertEqual(reported, [3, 4])
        let items = try store.items()
        XCTAssertEqual(items.filter { $0.key.hasPrefix("distractor-") }.count, 4)
        let after = try XCTUnwrap(try ShingleIndex.load(from: store))
        XCTAssertEqual(after.state.coveredThroughItemID, items.map(\.id).max())
        let points = try store.arrays(named: "cens").reduce(0) { $0 + Shingles.starts(frames: $1.frames, length: 10, hop: 3).count }
        XCTAssertEqual(after.graph.count, points)
        XCTAssertGreaterThan(after.graph.count, before.graph.count)
    }

    func testReversedCodesPlayBackwardsAtTheTempoFactor() throws {
        let codes = try LearnedDistractors.reversedCodes([1, 2, 3, 4], dims: 1, times: [0, 1, 2, 3], factor: 1.5)
        XCTAssertEqual(codes.array.values(as: UInt16.self), [4, 4, 3, 2, 2, 1])
        XCTAssertEqual(codes.times.first, 0)
        XCTAssertEqual(try XCTUnwrap(codes.times.last), 5 * 1.5, accuracy: 1e-9)
    }
}
