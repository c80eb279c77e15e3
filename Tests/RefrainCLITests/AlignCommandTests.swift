import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// `refrain align A B --metric hamming` on `.npy` hash sequences, against a brute-force DTW over
/// XOR + popcount costs written here.
final class AlignCommandTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func write<T: NPYElement>(_ codes: [T], shape: [Int]? = nil, _ name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try NPY.write(NPYArray(codes, shape: shape ?? [codes.count]), to: url)
        return url.path
    }

    /// Standard-step DTW over the cost `cost(i, j)` of an `n x m` grid: `D[0,0] = C[0,0]`, each move adds
    /// the cost of the cell it enters.
    static func bruteForceDTW(_ n: Int, _ m: Int, cost: (Int, Int) -> Int) -> Int {
        var d = [[Int]](repeating: [Int](repeating: .max, count: m), count: n)
        for i in 0..<n {
            for j in 0..<m {
                if i == 0 && j == 0 { d[0][0] = cost(0, 0); continue }
                var best = Int.max
                if i > 0 && j > 0 { best = min(best, d[i - 1][j - 1]) }
                if j > 0 { best = min(best, d[i][j - 1]) }
                if i > 0 { best = min(best, d[i - 1][j]) }
                d[i][j] = best + cost(i, j)
            }
        }
        return d[n - 1][m - 1]
    }

    /// The number after `cost: ` in the command's output.
    static func printedCost(_ output: String) throws -> Double {
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("cost: ") }, output)
        return try XCTUnwrap(Double(line.dropFirst(6).prefix { $0 != " " }), String(line))
    }

    /// The CSV rows `a_seconds,b_seconds` as frame indices at `rate` frames per second.
    static func pathFrames(csv: String, rate: Double) throws -> [(Int, Int)] {
        let rows = csv.split(separator: "\n")
        XCTAssertEqual(rows.first, "a_seconds,b_seconds")
        return try rows.dropFirst().map { row in
            let v = row.split(separator: ",").map { Double($0) }
            let a = try XCTUnwrap(v.first ?? nil), b = try XCTUnwrap(v.last ?? nil)
            return (Int((a * rate).rounded()), Int((b * rate).rounded()))
        }
    }

    func testHammingAlignsSixteenBitHashesAsTheBruteForceSays() throws {
        let a = pseudoRandomWords(40, seed: 2015).map { UInt16(truncatingIfNeeded: $0) }
        let b = pseudoRandomWords(55, seed: 2016).map { UInt16(truncatingIfNeeded: $0) }
        let expected = Self.bruteForceDTW(40, 55) { (a[$0] ^ b[$1]).nonzeroBitCount }
        // A as (frames,), B as (frames, 1).
        let pa = try write(a, "a.npy"), pb = try write(b, shape: [55, 1], "b.npy")
        let csv = directory.appendingPathComponent("path.csv").path
        let output = assertSuccess(try refrain("align", pa, pb, "--metric", "hamming", "--rate", "5", "--csv", csv), "align")
        XCTAssertEqual(try Self.printedCost(output), Double(expected))
        XCTAssertTrue(output.contains("hamming, 40 x 55 frames"), output)
        // The path runs corner to corner in unit steps and its cells' costs add up to the total.
        let path = try Self.pathFrames(csv: try String(contentsOfFile: csv, encoding: .utf8), rate: 5)
        XCTAssertEqual(path.first?.0, 0); XCTAssertEqual(path.first?.1, 0)
        XCTAssertEqual(path.last?.0, 39); XCTAssertEqual(path.last?.1, 54)
        for (p, q) in zip(path, path.dropFirst()) {
            XCTAssertTrue([(1, 1), (0, 1), (1, 0)].contains { $0 == (q.0 - p.0, q.1 - p.1) }, "\(p) -> \(q)")
        }
        XCTAssertEqual(path.reduce(0) { $0 + (a[$1.0] ^ b[$1.1]).nonzeroBitCount }, expected)
    }

    /// Signed codes are their bit patterns of the same width: `-1` as `int64` differs from `0` in 64 bits
    /// (a sign extension to another width, or a float conversion, would give another cost).
    func testHammingReadsSignedCodesAsTheirBitPatterns() throws {
        let a: [Int64] = [-1, 0, Int64.min, 5, -6], b: [Int64] = [0, -1, -1, 5, 7, Int64.max]
        let expected = Self.bruteForceDTW(a.count, b.count) {
            (UInt64(bitPattern: a[$0]) ^ UInt64(bitPattern: b[$1])).nonzeroBitCount
        }
        let output = assertSuccess(try refrain("align", try write(a, "a.npy"), try write(b, "b.npy"), "--metric", "hamming"), "int64")
        XCTAssertEqual(try Self.printedCost(output), Double(expected))
        // int32 against uint32: the same width, so allowed.
        let c: [Int32] = [-1, 3, 3, -2], d: [UInt32] = [0xFFFF_FFFF, 3, 0xFFFF_FFFE]
        let expected32 = Self.bruteForceDTW(c.count, d.count) { (UInt32(bitPattern: c[$0]) ^ d[$1]).nonzeroBitCount }
        let output32 = assertSuccess(try refrain("align", try write(c, "c.npy"), try write(d, "d.npy"), "--metric", "hamming"), "32-bit")
        XCTAssertEqual(try Self.printedCost(output32), Double(expected32))
        XCTAssertEqual(expected32, 0)
    }

    func testHammingSubsequenceFindsAnExcerpt() throws {
        let b = pseudoRandomWords(80, seed: 7).map { UInt32(truncatingIfNeeded: $0) }
        let a = Array(b[30..<45])
        let output = assertSuccess(try refrain("align", try write(a, "a.npy"), try write(b, "b.npy"), "--metric", "hamming",
                                               "--subsequence", "--rate", "10"), "subsequence")
        XCTAssertTrue(output.contains("match: B 3.000 s - 4.400 s"), output)
        XCTAssertEqual(try Self.printedCost(output), 0)
    }

    func testHammingRefusesOtherInputsInOneLine() throws {
        let codes = try write([UInt16](arrayLiteral: 1, 2, 3), "codes.npy")
        let wide = try write([UInt32](arrayLiteral: 1, 2, 3), "wide.npy")
        let floats = try write([Float](arrayLiteral: 1, 2, 3), "floats.npy")
        let matrix = try write([UInt16](arrayLiteral: 1, 2, 3, 4), shape: [2, 2], "matrix.npy")
        let bytes = try write([UInt8](arrayLiteral: 1, 2, 3), "bytes.npy")
        let wav = directory.appendingPathComponent("tone.wav")
        try writeAudio((0..<22050).map { Float(sin(Double($0) * 0.1)) }, sampleRate: 22050, to: wav)
        let mid = directory.appendingPathComponent("score.mid")
        try Data("MThd".utf8).write(to: mid)
        for (other, words) in [(floats, ["floats.npy", "integer", "float32"]), (matrix, ["matrix.npy", "shape"]),
                               (bytes, ["bytes.npy", "integer"]), (wide, ["16-bit", "32-bit"]),
                               (wav.path, ["tone.wav", ".npy"]), (mid.path, ["score.mid", ".npy"])] {
            assertOneLineError(try refrain("align", codes, other, "--metric", "hamming"), mentioning: words, other)
        }
        assertOneLineError(try refrain("align", codes, codes, "--metric", "jaccard"), mentioning: ["jaccard", "hamming"], "metric")
    }
}
