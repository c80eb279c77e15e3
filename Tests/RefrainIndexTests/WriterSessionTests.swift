import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The clean-close marker (`WriterSession`): a writer that closed cleanly lets the next one skip the sweep of
/// unreferenced files; a writer killed at any moment leaves no marker, so the next one sweeps.
final class WriterSessionTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    func testCleanCloseSkipsTheSweepAndAKilledWriterDoesNot() throws {
        let files = dir.appendingPathComponent("files"), index = dir.appendingPathComponent("idx")
        _ = try TestChroma.writeItems(3, to: files)
        let jobs = IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs.sorted { $0.key < $1.key }
        var staged: [URL] = []
        do {
            let store = try IndexStore.create(at: index, settings: TestChroma.settings())
            _ = try IndexAdder.add(Array(jobs.prefix(2)), to: store, analyzer: TestChroma.analyzer)
            // Staged but never committed: its files are unreferenced, and the clean close deletes them.
            let job = jobs[2]
            let analysis = try TestChroma.analyzer.analyze(job.url)
            staged = try store.stage(key: job.key, path: job.url.path, title: nil, sha256: SHA256.hex(ofFile: job.url), analysis: analysis).files
            XCTAssertFalse(staged.isEmpty)
            XCTAssertTrue(staged.allSatisfy { exists($0.path) })
        }
        let markerPath = index.appendingPathComponent("writer.clean").path
        XCTAssertTrue(exists(markerPath), "a clean close leaves the marker")
        XCTAssertFalse(staged.contains { exists($0.path) }, "the uncommitted files went with the clean close")

        // With the marker, the writer trusts that no orphans exist (planted here) and does not list the files.
        let orphan = index.appendingPathComponent("arrays/ab/abc.cens.npy")
        try FileManager.default.createDirectory(at: orphan.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([1]).write(to: orphan)
        do {
            let writer = try IndexStore.open(at: index, writable: true)
            XCTAssertFalse(exists(markerPath), "an open writer holds no marker, so a kill from here on leaves none")
            XCTAssertTrue(exists(orphan.path), "the sweep was skipped")
            XCTAssertEqual(try writer.itemCount, 2)
        }
        XCTAssertTrue(exists(markerPath))
        // A killed writer leaves no marker: the next writer sweeps.
        unlink(markerPath)
        do { _ = try IndexStore.open(at: index, writable: true) }
        XCTAssertFalse(exists(orphan.path))
        // Readers neither take nor leave the marker.
        unlink(markerPath)
        do { _ = try IndexStore.open(at: index) }
        XCTAssertFalse(exists(markerPath))
        XCTAssertEqual(try IndexStore.open(at: index).itemCount, 2)
    }
}
