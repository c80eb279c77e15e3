import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// Against NumPy's `eigh` of the covariance (scripts/reference/make_index_fixtures.py).
final class PCATests: XCTestCase {
    func testMatchesNumPy() throws {
        let samples = try NPY.readMatrix(Fixtures.url("index/pca_samples.npy"))
        let components = try NPY.readMatrix(Fixtures.url("index/pca_components.npy"))
        let variances = try NPY.read(Fixtures.url("index/pca_variances.npy")).floats()
        let mean = try NPY.read(Fixtures.url("index/pca_mean.npy")).floats()
        let projection = try NPY.readMatrix(Fixtures.url("index/pca_projection.npy"))
        let pca = try PCA(fitting: samples, dimensions: components.rows)
        XCTAssertEqual(pca.outputDimension, 6)
        for (a, b) in zip(pca.mean, mean) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        for (a, b) in zip(pca.explainedVariance, variances) { XCTAssertEqual(a, b, accuracy: 1e-3 * b) }
        // Same axes, same sign convention.
        for k in 0..<components.rows {
            let dot = zip(pca.components.row(k), components.row(k)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(dot, 1, accuracy: 1e-3, "axis \(k)")
        }
        let projected = pca.transform(samples)
        let scale = projection.storage.map(abs).max()!
        for (a, b) in zip(projected.storage, projection.storage) { XCTAssertEqual(a, b, accuracy: 1e-3 * scale) }
        // Storage round trip.
        XCTAssertEqual(try PCA(packed: pca.packed()), pca)
    }

    /// The same subspace as scikit-learn's PCA (scripts/reference/learn_torch.py): each axis up to sign, the
    /// variances, and the projection up to the same signs.
    func testMatchesScikitLearn() throws {
        let x = try NPY.readMatrix(Fixtures.url("learn/pca_x.npy"))
        let components = try NPY.readMatrix(Fixtures.url("learn/pca_components.npy"))
        let variances = try NPY.read(Fixtures.url("learn/pca_variance.npy")).floats()
        let projection = try NPY.readMatrix(Fixtures.url("learn/pca_transform.npy"))
        let model = try LinearMetric.fit(.pca, samples: x, labels: nil, dimensions: 3)
        let pca = try PCA(fitting: x, dimensions: 3)
        let z = try model.transform(x)
        for k in 0..<3 {
            let dot = zip(model.projection.row(k), components.row(k)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(abs(dot), 1, accuracy: 1e-4, "axis \(k)")
            XCTAssertEqual(pca.explainedVariance[k], variances[k], accuracy: 1e-4 * variances[k])
            let sign: Float = dot < 0 ? -1 : 1
            let ours = z.column(k).map { $0 * sign }, theirs = projection.column(k)
            let scale = theirs.map(abs).max()!
            for (a, b) in zip(ours, theirs) { XCTAssertEqual(a, b, accuracy: 1e-4 * scale) }
        }
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try PCA(fitting: Matrix(rows: 1, cols: 4), dimensions: 2))
        XCTAssertThrowsError(try PCA(fitting: Matrix(rows: 10, cols: 4), dimensions: 5))
        XCTAssertThrowsError(try PCA(fitting: Matrix(rows: 10, cols: 4), dimensions: 0))
    }
}
