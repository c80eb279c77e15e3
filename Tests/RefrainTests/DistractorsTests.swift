import Foundation
import Refrain
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

final class DistractorsTests: XCTestCase {
    func testReversedMirrorsFramesAndBeatGaps() {
        let values = randomUnitFrames(4, dims: 12, seed: 3)
        let sequence = FeatureSequence(values: values, times: [1, 2, 4, 7])
        let same = Distractors.reversed(sequence, factor: 1, shift: 0)
        XCTAssertEqual(same.times, [1, 4, 6, 7], "gaps 1, 2, 3 become 3, 2, 1")
        for r in 0..<4 { XCTAssertEqual(same.values.row(r), values.row(3 - r)) }
        let shifted = Distractors.reversed(sequence, factor: 1, shift: 2)
        XCTAssertEqual(shifted.values[0, 2], values[3, 0])
        let slower = Distractors.reversed(sequence, factor: 2, shift: 0)
        XCTAssertEqual(slower.frameCount, 8)
        XCTAssertEqual(slower.times.first, 1)
        XCTAssertEqual(try XCTUnwrap(slower.times.last), 1 + 6 * 2, accuracy: 1e-9)
    }

    func testAddsDistractorsInBatchesAndUpdatesTheShingleGraph() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 3, frames: 60, seed: 0, hop: 3)
        var reported: [Int] = []
        _ = try Distractors.add(5, to: store, batch: 2) { reported.append($0) }
        XCTAssertEqual(reported, [2, 4, 5])
        XCTAssertEqual(try store.itemCount, 8)
        let shingles = try XCTUnwrap(try ShingleIndex.load(from: store))
        XCTAssertEqual(shingles.state.coveredThroughItemID, try store.items().map(\.id).max())
    }
}
