import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `HashCodeBitShares`: the mean Hamming distance of all code pairs from the bits' shares equals the
/// pairs' mean counted one by one; `hash-dtw`'s `relative_weight` scales each cost per code by it and keeps
/// the best by the scaled cost.
final class HashCodeBitSharesTests: XCTestCase {
    func testMeanDistanceIsTheMeanOverAllCodePairs() {
        var random = SplitMix64(seed: 5)
        for (n, m) in [(1, 1), (7, 30), (64, 17)] {
            let a = (0..<n).map { _ in UInt16(truncatingIfNeeded: random.next()) }
            // The second sequence leans to few bits set, as a quiet item's codes might.
            let b = (0..<m).map { _ in UInt16(truncatingIfNeeded: random.next()) & UInt16(truncatingIfNeeded: random.next()) }
            var sum = 0
            for x in a { for y in b { sum += (x ^ y).nonzeroBitCount } }
            let expected = Double(sum) / Double(n * m)
            XCTAssertEqual(HashCodeBitShares(a).meanDistance(to: HashCodeBitShares(b)), expected, accuracy: 1e-12, "\(n)x\(m)")
            XCTAssertEqual(HashCodeBitShares(b).meanDistance(to: HashCodeBitShares(a)), expected, accuracy: 1e-12)
        }
        XCTAssertEqual(HashCodeBitShares([0, 0]).meanDistance(to: HashCodeBitShares([0xFFFF])), 16)
        XCTAssertEqual(HashCodeBitShares([]).shares, [Double](repeating: 0, count: 16))
    }

    func testRelativeWeightScalesEachCostByTheMeanPairDistance() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1", features: ["frame_rate": "5", "array": "cens"],
                                                                           shingles: nil))
        var random = SplitMix64(seed: 12)
        // Three kinds of item, so that the mean pair distance differs between them: copies of the query with 3
        // bits flipped per code, items of one-bit codes, random items.
        let query = (0..<40).map { _ in UInt16(truncatingIfNeeded: random.next()) }
        var sequences: [String: [UInt16]] = [:]
        for k in 0..<30 {
            let codes: [UInt16]
            switch k % 3 {
            case 0: codes = query.map { code in
                var flipped = code
                for _ in 0..<3 { flipped ^= UInt16(1 << (random.next() % 16)) }
                return flipped
            }
            case 1: codes = (0..<40).map { _ in UInt16(1 << (random.next() % 16)) }
            default: codes = (0..<40).map { _ in UInt16(truncatingIfNeeded: random.next()) }
            }
            sequences["item\(k)"] = codes
            let analysis = ItemAnalysis(kind: .audio, duration: 8, features: ["cens": FeatureSequence(values: Matrix(rows: 2, cols: 12, repeating: 0.1), times: [0, 0.2])],
                                        codes: ["hashes": try CodeSequence(array: NPYArray(codes, shape: [40, 1]), times: (0..<40).map { Double($0) / 5 })])
            try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(format: "%064d", k), analysis: analysis)
        }
        let candidates = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let search = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 8, features: [:],
                                                         codes: ["hashes": try CodeSequence(array: NPYArray(query, shape: [40, 1]),
                                                                                            times: (0..<40).map { Double($0) / 5 })]),
                                 topK: 10, threads: 2)
        let plain = try HashDTWStage(keep: 1000).run(search, candidates: candidates, store: store)
        let relative = try HashDTWStage(keep: 1000, relativeWeight: 2).run(search, candidates: candidates, store: store)
        XCTAssertEqual(relative.count, plain.count)
        let shares = HashCodeBitShares(query)
        let plainScores = Dictionary(uniqueKeysWithValues: plain.map { ($0.key, $0.score) })
        for candidate in relative {
            let mean = shares.meanDistance(to: HashCodeBitShares(sequences[candidate.key]!))
            XCTAssertEqual(candidate.score, plainScores[candidate.key]! * (1 + 2 / mean), accuracy: 1e-9, candidate.key)
        }
        XCTAssertEqual(relative.map(\.score), relative.map(\.score).sorted(), "ranked by the scaled score")
        // The keep applies to the scaled order (every candidate was scored, none abandoned).
        let kept = try HashDTWStage(keep: 5, relativeWeight: 2).run(search, candidates: candidates, store: store)
        XCTAssertEqual(kept.map(\.key), Array(relative.prefix(5).map(\.key)))
        XCTAssertTrue(kept.allSatisfy { Int($0.key.dropFirst(4))! % 3 == 0 }, "the copies first: \(kept.map(\.key))")
        XCTAssertEqual(try HashDTWStage(spec: StageSpec(stage: "hash-dtw", options: ["relative_weight": "1.5"])).relativeWeight, 1.5)
        XCTAssertEqual(try HashDTWStage(spec: StageSpec(stage: "hash-dtw")).relativeWeight, 0, "off by default")
        XCTAssertThrowsError(try HashDTWStage(spec: StageSpec(stage: "hash-dtw", options: ["relative_weight": "-1"])))
    }
}
