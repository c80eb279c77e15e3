import Foundation
import RefrainAudio
import RefrainMath
import XCTest

/// `ResampleStream`: a signal fed piece by piece resamples to `resample(threads: 1)`'s samples, bit for bit.
final class ResampleStreamTests: XCTestCase {
    /// A deterministic test signal: two tones and a little noise, `count` samples.
    func signal(_ count: Int) -> [Float] {
        var state: UInt64 = 7
        return (0..<count).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Float(state >> 40) / Float(1 << 24) - 0.5
            return 0.5 * sin(Float(i) * 0.031) + 0.3 * sin(Float(i) * 0.47) + 0.05 * noise
        }
    }

    func streamed(_ x: [Float], from source: Double, to target: Double, pieces: Int) throws -> [Float] {
        let stream = try ResampleStream(from: source, to: target)
        var start = 0
        while start < x.count {
            let end = min(x.count, start + pieces)
            try x[start..<end].withUnsafeBufferPointer { try stream.feed($0) }
            start = end
        }
        return try stream.finish()
    }

    /// 300,000 samples (past the length at which `resample` splits on two threads), in pieces of 1, 1,000,
    /// 16,384 and 100,003 samples and whole, up and down: the one-thread result exactly.
    func testPiecesGiveTheSingleStreamResultBitForBit() throws {
        let x = signal(300_000)
        for (source, target) in [(16000.0, 22050.0), (22050.0, 16000.0)] {
            let expected = try resample(x, from: source, to: target, threads: 1)
            XCTAssertEqual(expected.count, Int((Double(x.count) * target / source).rounded(.up)))
            for pieces in [1_000, 16_384, 100_003, x.count] {
                XCTAssertEqual(try streamed(x, from: source, to: target, pieces: pieces), expected, "\(source) -> \(target) in \(pieces)")
            }
        }
        let short = Array(x.prefix(5_000))
        XCTAssertEqual(try streamed(short, from: 16000, to: 22050, pieces: 1), try resample(short, from: 16000, to: 22050, threads: 1))
    }

    /// Made with two threads, the stream gives `resample(threads: 2)`'s result bit for bit (a long signal cut in two
    /// at whole-number rates, a short one in one pass), and the output it calls final (`finalCount`) while the
    /// input still comes is that result's beginning.
    func testTwoThreadsGiveTheTwoThreadResultAndFinalSamplesStay() throws {
        for count in [300_000, 600_001, 5_000] {
            let x = signal(count)
            for (source, target) in [(4.0, 1.0), (2.0, 1.0), (16000.0, 22050.0)] {
                let expected = try resample(x, from: source, to: target, threads: 2)
                for pieces in [22_579, 100_003] {
                    let stream = try ResampleStream(from: source, to: target, threads: 2)
                    var start = 0
                    while start < x.count {
                        let end = min(x.count, start + pieces)
                        try x[start..<end].withUnsafeBufferPointer { try stream.feed($0) }
                        start = end
                        let final = stream.finalCount
                        XCTAssertLessThanOrEqual(final, expected.count)
                        let prefix = stream.withProduced { Array($0[..<final]) }
                        XCTAssertTrue(prefix[...] == expected[..<final], "\(count) samples \(source) -> \(target): final output changed")
                    }
                    XCTAssertEqual(try stream.finish(), expected, "\(count) samples \(source) -> \(target) in pieces of \(pieces)")
                }
            }
        }
    }

    func testEqualRatesEmptyInputAndBadRates() throws {
        let x = signal(1_000)
        XCTAssertEqual(try streamed(x, from: 8000, to: 8000, pieces: 333), x)
        XCTAssertEqual(try ResampleStream(from: 16000, to: 22050).finish(), [])
        XCTAssertThrowsError(try ResampleStream(from: 0, to: 8000))
        XCTAssertThrowsError(try ResampleStream(from: 1, to: 1e6))
    }
}
