import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

final class MelSpectrogramTests: XCTestCase {
    func testSlaneyFilterbankMatchesLibrosa() throws {
        let ours = try melFilterbank(sampleRate: 22050, fftSize: 1024, melCount: 64)
        let ref = try OnsetFixtures.matrix("mel_1024_64_slaney")
        XCTAssertEqual(ours.rows, 64)
        XCTAssertEqual(ours.cols, 513)
        let err = zip(ours.storage, ref.storage).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(err, 1e-5)
    }

    func testHTKUnnormalizedFilterbankMatchesLibrosa() throws {
        let ours = try melFilterbank(sampleRate: 22050, fftSize: 1024, melCount: 40, fmin: 100, fmax: 8000,
                                     htk: true, norm: .none)
        let ref = try OnsetFixtures.matrix("mel_1024_40_htk_nonorm_fmin100_fmax8000")
        let err = zip(ours.storage, ref.storage).map { abs($0 - $1) }.max()!
        XCTAssertLessThan(err, 1e-5)
    }

    func testMelScaleRoundTrip() {
        for hz in [0.0, 440, 999.9, 1000, 4000, 11025] {
            XCTAssertEqual(melToHz(hzToMel(hz)), hz, accuracy: 1e-9)
            XCTAssertEqual(melToHz(hzToMel(hz, htk: true), htk: true), hz, accuracy: 1e-9)
        }
        XCTAssertEqual(hzToMel(1000), 15, accuracy: 1e-12)
    }

    /// Mel power spectrogram to 1e-5 of the largest value (float32 on both sides; measured 2e-7).
    func testMelSpectrogramMatchesLibrosa() throws {
        let y = try OnsetFixtures.signal("bursts")
        let ours = try melSpectrogram(y, sampleRate: 22050)
        let ref = try OnsetFixtures.matrix("bursts_melspec")
        XCTAssertEqual(ours.values.rows, ref.rows)
        XCTAssertEqual(ours.values.cols, 128)
        XCTAssertLessThan(relativeMaxError(ours.values.storage, ref.storage), 1e-5)
        // Dense projection of the power STFT gives the same values.
        let power = try stft(y, sampleRate: 22050, scale: .power)
        let bank = try MelParameters().filterbank(sampleRate: 22050)
        let dense = power.values.multipliedTransposed(bank.dense)
        XCTAssertLessThan(relativeMaxError(ours.values.storage, dense.storage), 1e-5)
    }

    func testBadFilterbankArguments() {
        XCTAssertThrowsError(try melFilterbank(sampleRate: 22050, fftSize: 1024, fmin: 5000, fmax: 100))
        XCTAssertThrowsError(try melFilterbank(sampleRate: 0, fftSize: 1024))
    }
}
