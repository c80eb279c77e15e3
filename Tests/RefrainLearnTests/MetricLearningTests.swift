import Foundation
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

final class MetricLearningTests: XCTestCase {
    /// LDA's axes and projection against scikit-learn's LinearDiscriminantAnalysis(solver="eigen").
    func testLDAMatchesScikitLearn() throws {
        let x = try fixture("lda_x").matrix(), y = try ints("lda_y")
        let expected = try fixture("lda_scalings").matrix()
        let model = try LinearMetric.fit(.lda, samples: x, labels: y, dimensions: 2)
        for k in 0..<2 {
            // Same axis up to sign (both normalised so that wᵀ S_w w = 1).
            var axis = model.projection.row(k)
            let reference = expected.row(k)
            if zip(axis, reference).reduce(0, { $0 + $1.0 * $1.1 }) < 0 { axis = axis.map { -$0 } }
            assertClose(axis, reference, 1e-3, "LDA axis \(k)")
        }
        // Projections agree up to the constant offset (scikit-learn's eigen solver does not centre).
        let ours = try model.transform(x), theirs = try fixture("lda_transform").matrix()
        for k in 0..<2 {
            let sign: Float = zip(model.projection.row(k), expected.row(k)).reduce(0, { $0 + $1.0 * $1.1 }) < 0 ? -1 : 1
            let a = ours.column(k).map { $0 * sign }, b = theirs.column(k)
            let ma = a.reduce(0, +) / Float(a.count), mb = b.reduce(0, +) / Float(b.count)
            assertClose(a.map { $0 - ma }, b.map { $0 - mb }, 1e-3, "LDA projection \(k)")
        }
    }

    /// LMNN against metric-learn's LMNN on data whose 6 loud noise dimensions hide the 2 that matter: 3-NN
    /// accuracy on held-out points within 0.02 of metric-learn's (or better), and far above Euclidean.
    func testLMNNMatchesMetricLearnAccuracy() throws {
        let x = try fixture("lmnn_train_x").matrix(), y = try ints("lmnn_train_y")
        let tx = try fixture("lmnn_test_x").matrix(), ty = try ints("lmnn_test_y")
        let meta = try JSONSerialization.jsonObject(with: Data(contentsOf: Fixtures.url("learn/meta.json"))) as! [String: Any]
        let theirs = meta["lmnn_accuracy_metric_learn"] as! Double, euclidean = meta["lmnn_accuracy_euclidean"] as! Double
        let model = try LinearMetric.fit(.lmnn, samples: x, labels: y, dimensions: 8)
        let ours = knnAccuracy(try model.transform(x), y, try model.transform(tx), ty)
        let plain = knnAccuracy(x, y, tx, ty)
        print("3-NN accuracy: LMNN \(ours), metric-learn \(theirs), Euclidean \(plain) (reference Euclidean \(euclidean))")
        XCTAssertEqual(plain, euclidean, accuracy: 1e-9)
        XCTAssertGreaterThanOrEqual(ours, theirs - 0.02)
        XCTAssertGreaterThan(ours, euclidean + 0.2)
    }

    func knnAccuracy(_ train: Matrix, _ labels: [Int], _ test: Matrix, _ truth: [Int], k: Int = 3) -> Double {
        var correct = 0
        for q in 0..<test.rows {
            var d: [(Float, Int)] = []
            for r in 0..<train.rows {
                var s: Float = 0
                for c in 0..<train.cols { let diff = test[q, c] - train[r, c]; s += diff * diff }
                d.append((s, r))
            }
            d.sort { $0 < $1 }
            var votes = [Int: Int]()
            for (_, r) in d.prefix(k) { votes[labels[r], default: 0] += 1 }
            // scikit-learn breaks vote ties by the smallest label.
            let best = votes.max { ($0.value, -$0.key) < ($1.value, -$1.key) }!.key
            if best == truth[q] { correct += 1 }
        }
        return Double(correct) / Double(test.rows)
    }

    func testBadLabelsGiveClearErrors() throws {
        let x = Matrix(rows: 6, cols: 3) { r, c in Float(r * 3 + c * c) }
        for method in [LinearMetric.Method.lda, .lmnn] {
            XCTAssertThrowsError(try LinearMetric.fit(method, samples: x, labels: [Int](repeating: 0, count: 6), dimensions: 1)) {
                XCTAssertTrue(($0 as? RefrainError)?.message.contains("at least 2 classes") == true, "\($0)")
            }
        }
        XCTAssertThrowsError(try LinearMetric.fit(.lmnn, samples: x, labels: [0, 0, 0, 1, 1, 1], dimensions: 2)) {
            XCTAssertTrue(($0 as? RefrainError)?.message.contains("more than 3 samples of every class") == true, "\($0)")
        }
        XCTAssertThrowsError(try LinearMetric.fit(.lda, samples: x.rows(0..<2), labels: [0, 1], dimensions: 1)) {
            XCTAssertTrue(($0 as? RefrainError)?.message.contains("more samples than classes") == true, "\($0)")
        }
        XCTAssertThrowsError(try LinearMetric.fit(.lda, samples: x, labels: [0, 1, 0, 1, 0, 1], dimensions: 2)) {
            XCTAssertTrue(($0 as? RefrainError)?.message.contains("at most") == true, "\($0)")
        }
    }

    func testLinearMetricModelFileRoundTrip() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let x = try fixture("lda_x").matrix(), y = try ints("lda_y")
        let model = try LinearMetric.fit(.lda, samples: x, labels: y, dimensions: 2)
        let url = directory.appendingPathComponent("lda.npz")
        try model.write(to: url)
        XCTAssertEqual(try LinearMetric.read(url), model)
        XCTAssertThrowsError(try LinearMetric(modelFile: ModelFile(description: ModelDescription(kind: "linear-metric", metadata: ["method": "lda"]),
                                                                   tensors: [("mean", NPYArray([Float](repeating: 0, count: 5), shape: [5])),
                                                                             ("projection", NPYArray(model.projection))]))) {
            XCTAssertTrue(($0 as? RefrainError)?.message.contains("tensor mean has shape [5]") == true, "\($0)")
        }
    }

    func testBhattacharyyaAndHistogramPNG() throws {
        let a: [Float] = (0..<1000).map { Float($0) / 1000 }
        XCTAssertEqual(try EmbeddingEvaluation.bhattacharyya(matching: a, nonMatching: a), 1, accuracy: 1e-9)
        XCTAssertEqual(try EmbeddingEvaluation.bhattacharyya(matching: a, nonMatching: a.map { $0 + 2 }), 0, accuracy: 1e-9)
        // Two uniform distributions overlapping on half their support: with 100 bins over [0, 1.5], Σ sqrt(p q)
        // over the 33 shared bins of mass 1/66.7 each is 0.5 (up to the bin edges).
        let half = try EmbeddingEvaluation.bhattacharyya(matching: a, nonMatching: a.map { $0 + 0.5 })
        XCTAssertEqual(half, 0.5, accuracy: 0.02)
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("h.png")
        try EmbeddingEvaluation.writeHistogramPNG(matching: a, nonMatching: a.map { $0 + 0.5 }, to: url)
        let png = try Data(contentsOf: url)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertThrowsError(try EmbeddingEvaluation.bhattacharyya(matching: [], nonMatching: a))
    }

    func testRetrievalMetricsOnAHandExample() throws {
        // Database on a line; the query at 0 (label 1) finds labels [2, 1, 2, 1] at distances 1, 2, 3, 4.
        let database = Matrix(rows: 4, cols: 1, storage: [1, 2, 3, 4])
        let r = try EmbeddingEvaluation.retrieval(queries: Matrix(rows: 1, cols: 1, storage: [0]), queryLabels: [1],
                                                  database: database, databaseLabels: [2, 1, 2, 1], ks: [1, 2])
        XCTAssertEqual(r.recall[1], 0)
        XCTAssertEqual(r.recall[2], 1)
        XCTAssertEqual(r.map, (1.0 / 2 + 2.0 / 4) / 2, accuracy: 1e-12)
    }
}
