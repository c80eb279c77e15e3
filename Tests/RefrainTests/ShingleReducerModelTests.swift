import Foundation
@testable import Refrain
import RefrainIndex
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// The shipped shingle reducer against an independent NumPy forward pass, and refusals of foreign models.
final class ShingleReducerModelTests: XCTestCase {
    /// The shipped reducer loads from the program's resources with the SHA-256 the reference was made with and
    /// reduces the reference's five unit-length shingles to its vectors (scripts/reference/shingles_forward.py)
    /// within 1e-4 per value.
    func testShippedReducerReproducesTheNumPyReference() throws {
        let reducer = try ShingleReducerModel.shipped()
        let data = try Data(contentsOf: Fixtures.url("learned/shingles-reference.json"))
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(reducer.sha256, reference["sha256"] as? String, "the fixture was made from another model: rerun the script")
        let inputs = try XCTUnwrap(reference["inputs"] as? Int), dimensions = try XCTUnwrap(reference["dimensions"] as? Int)
        XCTAssertEqual(reducer.inputDimension, inputs)
        XCTAssertEqual(inputs, Engine.musicShingles.transformedWidth(dims: 12), "the music index's shingles")
        XCTAssertEqual(reducer.outputDimension, dimensions)
        let shingles = try XCTUnwrap(reference["shingles"] as? [Double]).map(Float.init)
        let expected = try XCTUnwrap(reference["reduced"] as? [Double])
        let ours = try reducer.reduce(Matrix(rows: shingles.count / inputs, cols: inputs, storage: shingles))
        XCTAssertEqual(ours.storage.count, expected.count)
        var worst: Double = 0
        for (a, b) in zip(ours.storage, expected) { worst = max(worst, abs(Double(a) - b)) }
        XCTAssertLessThan(worst, 1e-4, "largest difference from NumPy")
        for r in 0..<ours.rows {
            var length: Float = 0
            for v in ours.row(r) { length += v * v }
            XCTAssertEqual(length, 1, accuracy: 1e-5, "unit length")
        }
    }

    /// A music index created with the learned reducer records the shipped weights and their dimension.
    func testAMusicIndexWithTheLearnedReducerRecordsItsWeights() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let shipped = try ShingleReducerModel.shipped()
        let engine = try Engine.create(at: dir.appendingPathComponent("idx"), layout: .music(reducer: .learned))
        let shingles = try XCTUnwrap(try engine.settings.shingles)
        XCTAssertEqual(shingles.effectiveReducer, .learned)
        XCTAssertEqual(shingles.reducerWeights, shipped.sha256)
        XCTAssertEqual(shingles.dimensions, shipped.outputDimension)
        let pca = try Engine.create(at: dir.appendingPathComponent("pca"), layout: .music())
        XCTAssertEqual(try pca.settings.shingles?.effectiveReducer, .pca, "PCA stays the default")
        XCTAssertNil(try pca.settings.shingles?.reducerWeights)
    }

    /// An embedder given as a shingle reducer is refused with one sentence naming the file.
    func testAForeignModelIsRefused() throws {
        let embedder = try LearnedModel.shipped("embedder", kind: "embedder")
        XCTAssertThrowsError(try ShingleReducerModel.reducer(of: embedder, name: "embedder.npz")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("embedder.npz") ?? false, "\(error)")
        }
    }
}
