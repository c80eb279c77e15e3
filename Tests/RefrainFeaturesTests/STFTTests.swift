import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

final class STFTTests: XCTestCase {
    /// Magnitudes agree with librosa.stft to 1e-5 of the largest magnitude (float32 FFTs on both sides).
    func testDefaultMatchesLibrosa() throws {
        let y = Array(try OnsetFixtures.signal("notes128").prefix(22050))
        let ours = try stft(y, sampleRate: 22050)
        let ref = try OnsetFixtures.matrix("notes128_stft_mag")
        XCTAssertEqual(ours.values.rows, ref.rows)
        XCTAssertEqual(ours.values.cols, 1025)
        XCTAssertLessThan(relativeMaxError(ours.values.storage, ref.storage), 1e-5)
        XCTAssertEqual(ours.times[1], 512 / 22050, accuracy: 1e-12)
    }

    func testReflectPaddingAndShortWindowMatchLibrosa() throws {
        let y = Array(try OnsetFixtures.signal("notes128").prefix(11025))
        let p = STFTParameters(fftSize: 1024, hopLength: 256, windowLength: 800, padMode: .reflect)
        let ours = try stft(y, sampleRate: 22050, parameters: p)
        let ref = try OnsetFixtures.matrix("notes128_stft_reflect_1024_256_800")
        XCTAssertEqual(ours.values.rows, ref.rows)
        XCTAssertLessThan(relativeMaxError(ours.values.storage, ref.storage), 1e-5)
    }

    func testUncentredMatchesLibrosa() throws {
        let y = Array(try OnsetFixtures.signal("notes128").prefix(4000))
        let p = STFTParameters(fftSize: 512, hopLength: 128, center: false)
        let ours = try stft(y, sampleRate: 22050, parameters: p, threads: 1)
        let ref = try OnsetFixtures.matrix("notes128_stft_nocenter_512_128")
        XCTAssertEqual(ours.values.rows, ref.rows)
        XCTAssertLessThan(relativeMaxError(ours.values.storage, ref.storage), 1e-5)
    }

    /// Power is the square of magnitude, and the parallel result equals the sequential one exactly.
    func testPowerAndThreadsAgree() throws {
        let y = try OnsetFixtures.signal("bursts")
        let mag = try stft(y, sampleRate: 22050, threads: 1)
        let mag2 = try stft(y, sampleRate: 22050, threads: 2)
        XCTAssertEqual(mag.values, mag2.values)
        let pow = try stft(y, sampleRate: 22050, scale: .power)
        for i in stride(from: 0, to: pow.values.count, by: 97) {
            XCTAssertEqual(pow.values.storage[i], mag.values.storage[i] * mag.values.storage[i],
                           accuracy: 1e-4 * max(1, pow.values.storage[i]))
        }
    }

    func testShortAndBadInput() throws {
        XCTAssertEqual(try stft([], sampleRate: 22050).frameCount, 1)  // centred: one all-padding frame
        let tiny = try stft([Float](repeating: 0.5, count: 3), sampleRate: 22050, parameters: STFTParameters(padMode: .reflect))
        XCTAssertTrue(tiny.values.storage.allSatisfy { $0.isFinite })
        // Reflection repeats past a 3-sample signal (numpy's reflect), giving a constant 0.5 frame as
        // librosa does: |X0| = 0.5 * sum(hann) = 512, |X1| = 256.
        XCTAssertEqual(tiny.frameCount, 1)
        XCTAssertEqual(tiny.values[0, 0], 512, accuracy: 1e-3)
        XCTAssertEqual(tiny.values[0, 1], 256, accuracy: 1e-3)
        XCTAssertEqual(try stft([Float](repeating: 0, count: 100), sampleRate: 22050,
                                parameters: STFTParameters(center: false)).frameCount, 0)
        XCTAssertThrowsError(try stft([1, .nan], sampleRate: 22050))
        XCTAssertThrowsError(try stft([1, 2], sampleRate: 22050, parameters: STFTParameters(fftSize: 1 << 40)))
        XCTAssertThrowsError(try stft([1, 2], sampleRate: 22050, parameters: STFTParameters(hopLength: 0)))
        XCTAssertThrowsError(try stft([1, 2], sampleRate: 22050, parameters: STFTParameters(fftSize: 512, windowLength: 600)))
    }
}
