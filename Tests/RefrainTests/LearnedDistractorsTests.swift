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

    /// How many feature-level distractors of `store` each source item (by key) is the source of.
    static func copies(_ store: IndexStore) throws -> [String: Int] {
        var copies: [String: Int] = [:]
        for item in try store.items() where item.path.hasPrefix("distractor:") { copies[String(item.path.dropFirst(11)), default: 0] += 1 }
        return copies
    }

    /// Evenly drawn sources: after n distractors of k sources (over two calls, the second going on where the
    /// first stopped), each source is the source of floor(n/k) or ceil(n/k) of them; the items a query looks
    /// for (`excluding`) are the source of none.
    func testSourcesAreDrawnEvenlyOverCalls() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 5, frames: 30, seed: 1, hop: 3)
        _ = try LearnedDistractors.add(7, to: store, excluding: ["item4"], batch: 4, threads: 1)
        var copies = try Self.copies(store)
        XCTAssertEqual(Set(copies.keys), ["item0", "item1", "item2", "item3"])
        XCTAssertEqual(copies.values.sorted(), [1, 2, 2, 2])
        _ = try LearnedDistractors.add(14, to: store, excluding: ["item4"], batch: 4, threads: 1)
        copies = try Self.copies(store)
        XCTAssertEqual(copies.values.reduce(0, +), 21)
        XCTAssertEqual(copies.values.sorted(), [5, 5, 5, 6])
        XCTAssertEqual(try store.items().filter { $0.key.hasPrefix("distractor-") }.count, 21)
    }

    /// The permutation is one of every source, seeded; cycling it gives each source floor or ceil of n/k uses.
    func testSourceOrderIsASeededPermutation() {
        let order = LearnedDistractors.sourceOrder(sources: 433, seed: 7)
        XCTAssertEqual(order.sorted(), Array(0..<433))
        XCTAssertEqual(LearnedDistractors.sourceOrder(sources: 433, seed: 7), order)
        XCTAssertNotEqual(LearnedDistractors.sourceOrder(sources: 433, seed: 8), order)
        var uses = [Int](repeating: 0, count: 433)
        for n in 0..<9_372 { uses[LearnedDistractors.evenSource(n, order: order)] += 1 }
        XCTAssertEqual(Set(uses), [21, 22])
    }

    /// The old draw stays reachable: with replacement, source k is the k-th of every fifth draw of the seed's
    /// generator, as before the sixteenth round.
    func testWithReplacementDrawsAsBefore() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 4, frames: 30, seed: 2, hop: 3)
        let sources = try store.items().map(\.key)
        _ = try LearnedDistractors.add(12, to: store, seed: 11, draw: .withReplacement, batch: 12, threads: 1)
        var generator = SplitMix64(seed: 11)
        var expected: [String] = []
        for _ in 0..<12 {
            expected.append(sources[Int(generator.next() % 4)])
            for _ in 0..<4 { _ = generator.next() }
        }
        let made = try store.items().filter { $0.path.hasPrefix("distractor:") }.sorted { $0.key < $1.key }
        XCTAssertEqual(made.map { String($0.path.dropFirst(11)) }, expected)
    }

    func testReversedCodesPlayBackwardsAtTheTempoFactor() throws {
        let codes = try LearnedDistractors.reversedCodes([1, 2, 3, 4], dims: 1, times: [0, 1, 2, 3], factor: 1.5)
        XCTAssertEqual(codes.array.values(as: UInt16.self), [4, 4, 3, 2, 2, 1])
        XCTAssertEqual(codes.times.first, 0)
        XCTAssertEqual(try XCTUnwrap(codes.times.last), 5 * 1.5, accuracy: 1e-9)
    }
}
