import Foundation
import RefrainMath
import RefrainTestSupport
import XCTest

/// `refrain metric fit` and `refrain metric transform` as a user runs them.
final class MetricCommandTests: XCTestCase {
    var directory: URL!
    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    func testFitAndTransformLDA() throws {
        let x = try NPY.read(Fixtures.url("learn/lda_x.npy")), y = try NPY.read(Fixtures.url("learn/lda_y.npy"))
        try NPY.write(x, to: URL(fileURLWithPath: path("x.npy")))
        try NPY.write(y, to: URL(fileURLWithPath: path("y.npy")))
        let fit = try RefrainExecutable.run(["metric", "fit", "--method", "lda", "--features", path("x.npy"), "--labels", path("y.npy"),
                                             "--dims", "2", "--out", path("lda.npz")])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        XCTAssertTrue(fit.stdout.contains("LDA 6 -> 2 dimensions from 120 samples, sha256 "), fit.stdout)
        let transform = try RefrainExecutable.run(["metric", "transform", path("lda.npz"), path("x.npy"), "--out", path("z.npy")])
        XCTAssertEqual(transform.status, 0, transform.stderr)
        let z = try NPY.readMatrix(URL(fileURLWithPath: path("z.npy")))
        XCTAssertEqual(z.rows, 120)
        XCTAssertEqual(z.cols, 2)
        // The projection separates the classes: class means lie far apart relative to the spread within classes.
        let labels = y.floats().map { Int($0) }
        let means = (0..<3).map { c -> Float in
            let rows = (0..<120).filter { labels[$0] == c }
            return rows.map { z[$0, 0] }.reduce(0, +) / Float(rows.count)
        }
        XCTAssertGreaterThan(Set(means.map { Int($0.rounded()) }).count, 1)
    }

    func testErrorsAreOneLine() throws {
        let x = NPYArray([Float](repeating: 1, count: 12), shape: [6, 2])
        try NPY.write(x, to: URL(fileURLWithPath: path("x.npy")))
        try NPY.write(NPYArray([Int64](repeating: 3, count: 6)), to: URL(fileURLWithPath: path("one.npy")))
        try NPY.write(NPYArray([Int64](repeating: 3, count: 5)), to: URL(fileURLWithPath: path("five.npy")))
        let cases: [([String], String)] = [
            (["metric", "fit", "--method", "lda", "--features", path("x.npy"), "--labels", path("one.npy"), "--dims", "1", "--out", path("m.npz")],
             "at least 2 classes"),
            (["metric", "fit", "--method", "lmnn", "--features", path("x.npy"), "--labels", path("five.npy"), "--dims", "1", "--out", path("m.npz")],
             "5 labels for 6 feature rows"),
            (["metric", "fit", "--method", "kpca", "--features", path("x.npy"), "--dims", "1", "--out", path("m.npz")], "unknown method"),
            (["metric", "fit", "--method", "lda", "--features", path("x.npy"), "--dims", "1", "--out", path("m.npz")], "needs --labels"),
            (["metric", "transform", path("missing.npz"), path("x.npy"), "--out", path("z.npy")], "no such file"),
        ]
        for (arguments, expected) in cases {
            let outcome = try RefrainExecutable.run(arguments)
            XCTAssertEqual(outcome.status, 1, arguments.joined(separator: " "))
            XCTAssertFalse(outcome.signalled)
            let lines = outcome.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, outcome.stderr)
            XCTAssertTrue(outcome.stderr.hasPrefix("error: ") && outcome.stderr.contains(expected), outcome.stderr)
        }
        // A model file cut short names the tensor.
        try NPY.write(NPYArray([Float]((0..<200).map { Float($0 % 7) }), shape: [40, 5]), to: URL(fileURLWithPath: path("f.npy")))
        let fit = try RefrainExecutable.run(["metric", "fit", "--method", "pca", "--features", path("f.npy"), "--dims", "3", "--out", path("p.npz")])
        XCTAssertEqual(fit.status, 0, fit.stderr)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path("p.npz")))
        try bytes.prefix(bytes.count - 230).write(to: URL(fileURLWithPath: path("cut.npz")))
        let cut = try RefrainExecutable.run(["metric", "transform", path("cut.npz"), path("f.npy"), "--out", path("z.npy")])
        XCTAssertEqual(cut.status, 1)
        XCTAssertTrue(cut.stderr.contains("cut short") && cut.stderr.contains("projection"), cut.stderr)
    }
}
