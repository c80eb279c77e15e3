import Foundation
import RefrainFeatures
import RefrainMath
import RefrainTestSupport
import XCTest

final class BeatSyncTests: XCTestCase {
    private func melDB() throws -> FeatureSequence {
        let mel = try OnsetFixtures.matrix("bursts_melspec")
        return FeatureSequence(values: powerToDB(mel), hopLength: 512, sampleRate: 22050)
    }

    func testMeanAndMedianMatchLibrosa() throws {
        let ref = try OnsetFixtures.reference()
        let features = try melDB()
        for (aggregate, fixture) in [(FrequencyAggregate.mean, "bursts_sync_mean"), (.median, "bursts_sync_median")] {
            let ours = try beatSynchronous(features, frames: ref.sync_beats, aggregate: aggregate)
            let expected = try OnsetFixtures.matrix(fixture)
            XCTAssertEqual(ours.values.rows, expected.rows)
            XCTAssertEqual(ours.values.cols, expected.cols)
            let err = zip(ours.values.storage, expected.storage).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            XCTAssertLessThan(err, 1e-5, fixture)
            XCTAssertEqual(ours.times.first, 0)
            XCTAssertEqual(ours.times[1], Double(ref.sync_beats[0]) * 512 / 22050, accuracy: 1e-12)
        }
    }

    func testBoundaries() throws {
        XCTAssertEqual(try segmentBoundaries([5, 3, 3, 40], frameCount: 20), [0, 3, 5, 20])
        XCTAssertEqual(try segmentBoundaries([5, 3], frameCount: 20, pad: false), [3, 5])
        XCTAssertThrowsError(try segmentBoundaries([-1], frameCount: 20))
        // No beats: one segment covering everything.
        let f = try melDB()
        let one = try beatSynchronous(f, frames: [])
        XCTAssertEqual(one.frameCount, 1)
        XCTAssertEqual(one.values[0, 3], f.values.column(3).reduce(0, +) / Float(f.frameCount), accuracy: 1e-3)
        let empty = FeatureSequence(values: Matrix(rows: 0, cols: 4), times: [])
        XCTAssertEqual(try beatSynchronous(empty, frames: [3]).frameCount, 0)
    }

    /// Beats from `trackBeats` feed `beatSynchronous` directly.
    func testBeatTrackFeedsSync() throws {
        let y = try OnsetFixtures.signal("clicks100")
        let env = try onsetStrength(y, sampleRate: 22050, parameters: OnsetParameters(aggregate: .median))
        let beats = try trackBeats(env)
        let mel = try melSpectrogram(y, sampleRate: 22050)
        let synced = try beatSynchronous(mel, frames: beats.frames, aggregate: .median)
        XCTAssertEqual(synced.frameCount, beats.frames.count + 1)
        XCTAssertTrue(synced.values.storage.allSatisfy { $0.isFinite })
    }
}
