import RefrainAlign
import RefrainMath
import XCTest

/// The banded Hamming lanes kernel (`HashBand`, through `BatchDTW.nearestNormalized(band:)`) agrees with the
/// single-pair DTW inside `GlobalConstraint.band(radius:)` on every lane, whatever the lengths.
final class BandedHashKernelTests: XCTestCase {
    /// A query of 40 codes, 90 sequences of 1 to 117 codes: noisy copies of the query stretched or squeezed
    /// (every fifth) and random codes.
    private func material() -> (query: [UInt16], sequences: [[UInt16]]) {
        var g = SeededGenerator(seed: 23)
        let query = (0..<40).map { _ in UInt16.random(in: 0...UInt16.max, using: &g) }
        let sequences = (0..<90).map { k -> [UInt16] in
            let length = 1 + (k * 37) % 117
            return (0..<length).map { i in
                k % 5 == 0 ? query[i * query.count / length] ^ UInt16(1 << (k % 16)) : UInt16.random(in: 0...UInt16.max, using: &g)
            }
        }
        return (query, sequences)
    }

    /// DTW cost inside the band, by the scalar reference (infinite when no path fits).
    private func reference(_ query: [UInt16], _ sequence: [UInt16], _ band: HashBand) throws -> Float {
        try DTW.distance(cost: CostMatrix.hamming(query, sequence),
                         options: DTWOptions(constraint: .band(radius: band.radius(length: sequence.count))))
    }

    func testBandedCostsEqualPairwiseBandedDTW() throws {
        let (query, sequences) = material()
        let db = try HashBatchDatabase(sequences: sequences)
        for fraction in [0.02, 0.1, 0.3, 2.0] {
            let band = HashBand(fraction: fraction, minimum: 1)
            let found = try BatchDTW.nearestNormalized(query: query, database: db, count: sequences.count, band: band, threads: 2)
            var costs = [Float](repeating: -1, count: sequences.count)
            for match in found.matches { costs[match.index] = match.cost * Float(query.count + sequences[match.index].count) }
            for (k, s) in sequences.enumerated() {
                let expected = try reference(query, s, band)
                if expected.isFinite {
                    XCTAssertEqual(costs[k], expected, accuracy: 1e-2, "band \(fraction) #\(k) (\(s.count) codes)")
                } else {
                    XCTAssertTrue(costs[k] == .infinity || costs[k] == -1, "band \(fraction) #\(k): no path fits, got \(costs[k])")
                }
            }
            XCTAssertLessThanOrEqual(found.cells, found.fullCells)
        }
        // A band wider than every sequence is full DTW.
        let wide = try BatchDTW.nearestNormalized(query: query, database: db, count: sequences.count, band: HashBand(fraction: 2))
        let full = try BatchDTW.nearestNormalized(query: query, database: db, count: sequences.count)
        XCTAssertEqual(wide.matches, full.matches)
    }

    func testBandedNearestEqualsExhaustiveBandedRankingWithFewerCells() throws {
        let (query, sequences) = material()
        let db = try HashBatchDatabase(sequences: sequences)
        let band = HashBand(fraction: 0.1)
        var exhaustive: [(index: Int, cost: Float)] = []
        for (k, s) in sequences.enumerated() {
            let cost = try reference(query, s, band)
            if cost.isFinite { exhaustive.append((k, cost / Float(query.count + s.count))) }
        }
        exhaustive.sort { $0.cost < $1.cost || ($0.cost == $1.cost && $0.index < $1.index) }
        let found = try BatchDTW.nearestNormalized(query: query, database: db, count: 6, band: band, threads: 1)
        XCTAssertEqual(found.matches.map(\.index), exhaustive.prefix(6).map(\.index))
        XCTAssertTrue(found.matches.allSatisfy { $0.index % 5 == 0 }, "the noisy copies come first")
        let unbanded = try BatchDTW.nearestNormalized(query: query, database: db, count: 6, threads: 1)
        XCTAssertLessThan(found.cells, unbanded.cells / 2, "the band computes under half the cells of full DTW")
    }

    func testRadiusIsAShareOfTheSequenceWithAFloor() {
        XCTAssertEqual(HashBand(fraction: 0.1).radius(length: 500), 50)
        XCTAssertEqual(HashBand(fraction: 0.1).radius(length: 20), 4)
        XCTAssertEqual(HashBand(fraction: 0.1, minimum: 0).radius(length: 3), 1)
    }
}
