import Foundation
import RefrainAudio
@testable import RefrainFeatures
import RefrainMath
import XCTest

/// `CQTStream`: a CQT fed piece by piece equals `CQT.magnitude` of the whole signal, bit for bit, for the
/// transforms the encoders use (the chroma CQT of `cens`, no early downsampling; `cqt_beats`' and the learned
/// encoders', downsampled early, cut in two on two threads when long), whatever the pieces; bad input gives
/// `magnitude`'s errors.
final class CQTStreamTests: XCTestCase {
    /// Tones, a glide and a little noise at 22050 Hz (deterministic).
    static func signal(count: Int) -> [Float] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let noise = Float(Int64(bitPattern: state >> 11) % 1000) / 1_000_000
            let t = Double(i) / 22050
            let tones = 0.3 * sin(2 * .pi * 220 * t) + 0.2 * sin(2 * .pi * 523.25 * t) + 0.1 * sin(2 * .pi * (100 + 40 * t) * t)
            return Float(tones * (0.6 + 0.4 * sin(2 * .pi * 0.5 * t))) + noise
        }
    }

    static let transforms: [(String, CQTConfiguration)] = [
        ("chroma (cens)", .chroma(sampleRate: 22050, hopLength: 2048)),
        ("cqt_beats", .raffelEllis2015),
        ("learned", CQTConfiguration(sampleRate: 22050, hopLength: 1024, fmin: midiToHz(36), binCount: 48, binsPerOctave: 12)),
    ]

    func streamed(_ cqt: CQT, _ samples: [Float], pieces: [Int], threads: Int) throws -> FeatureSequence {
        let stream = try CQTStream(cqt, threads: threads)
        var at = 0, p = 0
        try samples.withUnsafeBufferPointer { all in
            while at < all.count {
                let n = min(pieces[p % pieces.count], all.count - at)
                try stream.feed(UnsafeBufferPointer(rebasing: all[at..<(at + n)]))
                at += n
                p += 1
            }
        }
        return try stream.finish()
    }

    /// A long signal (past the length at which two threads cut the early downsampling in two) and a short one,
    /// in the rendering's pieces (16,384 samples at 16 kHz become about 22,579 at 22050 Hz), in small uneven ones
    /// and whole; one and two threads.
    func testAStreamedCQTEqualsTheWholeSignalsBitForBit() throws {
        let long = Self.signal(count: 300_000), short = Self.signal(count: 30_000)
        XCTAssertGreaterThanOrEqual(long.count, 1 << 18)
        for (name, configuration) in Self.transforms {
            let cqt = try CQT(configuration)
            for threads in [1, 2] {
                for samples in [long, short] {
                    let whole = try cqt.magnitude(samples, threads: threads)
                    for pieces in [[22_579], [1_000, 7, 4_096, 333], [samples.count]] {
                        let streamed = try self.streamed(cqt, samples, pieces: pieces, threads: threads)
                        XCTAssertEqual(streamed.values.rows, whole.values.rows, "\(name), \(threads) threads, \(samples.count) samples, pieces \(pieces)")
                        XCTAssertEqual(streamed.values.cols, whole.values.cols)
                        XCTAssertTrue(streamed.values.storage == whole.values.storage,
                                      "\(name), \(threads) threads, \(samples.count) samples, pieces \(pieces)")
                        XCTAssertEqual(streamed.times, whole.times)
                    }
                }
            }
        }
    }

    /// Most frames are transformed before the end: the stream does its work while the signal arrives.
    func testMostFramesAreDoneBeforeTheEnd() throws {
        let cqt = try CQT(.chroma(sampleRate: 22050, hopLength: 2048))
        let stream = try CQTStream(cqt, threads: 1)
        let samples = Self.signal(count: 300_000)
        try samples.withUnsafeBufferPointer { try stream.feed($0) }
        let frames = cqt.frameCount(sampleCount: samples.count)
        // The lowest octave waits for six halvings (each a little behind its input) and a window of 32 frames.
        XCTAssertGreaterThan(stream.framesDone.min() ?? 0, frames / 2, "every octave's frames but the last ones")
        XCTAssertEqual(try stream.finish().values.storage, try cqt.magnitude(samples).values.storage)
    }

    func testBadInputGivesTheTransformsErrors() throws {
        let cqt = try CQT(.raffelEllis2015)
        XCTAssertThrowsError(try CQTStream(cqt).finish()) { error in
            XCTAssertEqual("\(error)", "\(RefrainError.invalidArgument("a signal of 0 samples is too short for this CQT"))")
        }
        var samples = Self.signal(count: 50_000)
        samples[40_000] = .nan
        XCTAssertThrowsError(try streamed(cqt, samples, pieces: [10_000], threads: 2)) { error in
            XCTAssertEqual("\(error)", "\(RefrainError.invalidArgument("the signal has non-finite samples"))")
        }
    }
}
