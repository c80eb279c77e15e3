import RefrainAlign
import RefrainMath
import XCTest

/// The lanes kernels agree with the single-pair DTW on every lane, whatever the lengths.
final class BatchDTWTests: XCTestCase {
    func testFloatBatchEqualsPairwiseDTW() throws {
        var g = SeededGenerator(seed: 7)
        let query = randomMatrix(23, 12, &g)
        let sequences = (0..<37).map { k in randomMatrix(5 + (k * 7) % 41, 12, &g) }
        for metric in CostMetric.allCases {
            let db = try DTWBatchDatabase(sequences: sequences, metric: metric)
            for subsequence in [false, true] {
                let batch = try BatchDTW.costs(query: query, database: db, subsequence: subsequence, threads: 2)
                for (k, s) in sequences.enumerated() {
                    let cost = try CostMatrix.compute(query, s, metric: metric)
                    let expected = subsequence ? try SubsequenceDTW.matchingFunction(cost: cost).min()! : try DTW.distance(cost: cost)
                    XCTAssertEqual(batch[k], expected, accuracy: 1e-3 * max(1, expected), "\(metric) subsequence \(subsequence) #\(k)")
                }
            }
        }
    }

    func testHashBatchEqualsPairwiseDTW() throws {
        var g = SeededGenerator(seed: 11)
        let query = (0..<31).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        let sequences = (0..<70).map { k in (0..<(3 + (k * 13) % 60)).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) } }
        let db = try HashBatchDatabase(sequences: sequences)
        for subsequence in [false, true] {
            let batch = try BatchDTW.costs(query: query, database: db, subsequence: subsequence)
            for (k, s) in sequences.enumerated() {
                let cost = CostMatrix.hamming(query, s)
                let expected = subsequence ? try SubsequenceDTW.matchingFunction(cost: cost).min()! : try DTW.distance(cost: cost)
                XCTAssertEqual(batch[k], expected, "subsequence \(subsequence) #\(k)")
            }
        }
    }

    func testNearestFindsTheSameAsExhaustiveSearchWithAbandoning() throws {
        var g = SeededGenerator(seed: 5)
        let sequences = (0..<200).map { k in randomMatrix(20 + k % 17, 6, &g) }
        let query = sequences[123].rows(2..<18)
        let db = try DTWBatchDatabase(sequences: sequences, metric: .euclidean)
        let all = try BatchDTW.costs(query: query, database: db, subsequence: true)
        let expected = all.enumerated().sorted { $0.element < $1.element || ($0.element == $1.element && $0.offset < $1.offset) }.prefix(5)
        let found = try BatchDTW.nearest(query: query, database: db, count: 5, subsequence: true)
        XCTAssertEqual(found.map(\.index), expected.map(\.offset))
        XCTAssertEqual(found.first?.index, 123)
        XCTAssertEqual(found.first?.cost ?? 1, 0, accuracy: 1e-2)
        // A threshold below the best cost abandons everything that cannot beat it.
        let abandoned = try BatchDTW.costs(query: query, database: db, abandonAbove: -1)
        XCTAssertTrue(abandoned.allSatisfy { $0 == .infinity })
    }
}
