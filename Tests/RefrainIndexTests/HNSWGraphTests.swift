import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The CHNSW shim against brute force and hnswlib's Python binding (same parameters).
final class HNSWGraphTests: XCTestCase {
    func testRecallAgainstBruteForceAndSaveLoad() throws {
        let points = try NPY.readMatrix(Fixtures.url("index/hnsw_points.npy"))
        let queries = try NPY.readMatrix(Fixtures.url("index/hnsw_queries.npy"))
        let exact = try NPY.read(Fixtures.url("index/hnsw_exact.npy")).values(as: Int64.self)!
        let exactD2 = try NPY.readMatrix(Fixtures.url("index/hnsw_exact_d2.npy"))
        let reference = try NPY.read(Fixtures.url("index/hnsw_hnswlib_labels.npy")).values(as: Int64.self)!
        let graph = try HNSWGraph(dimension: 16, space: .l2, m: 16, efConstruction: 200, capacity: 100, seed: 100)
        for i in 0..<points.rows { try graph.add(points.row(i), label: UInt64(i)) }  // grows past 100
        XCTAssertEqual(graph.count, 2000)
        var found = 0, agreeWithPython = 0
        for q in 0..<queries.rows {
            let hits = try graph.search(queries.row(q), k: 10, ef: 100)
            XCTAssertEqual(hits.count, 10)
            XCTAssertEqual(hits.first!.distance, exactD2[q, 0], accuracy: 1e-3 * max(1, exactD2[q, 0]))
            let truth = Set(exact[(q * 10)..<(q * 10 + 10)].map { UInt64($0) })
            found += hits.filter { truth.contains($0.label) }.count
            agreeWithPython += hits.filter { Set(reference[(q * 10)..<(q * 10 + 10)].map { UInt64($0) }).contains($0.label) }.count
        }
        XCTAssertGreaterThanOrEqual(Double(found) / 500, 0.98, "recall@10 vs brute force")
        XCTAssertGreaterThanOrEqual(Double(agreeWithPython) / 500, 0.98, "agreement with hnswlib (Python)")

        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("g.hnsw")
        try graph.markDeleted(UInt64(exact[0]))
        try graph.save(to: file)
        let loaded = try HNSWGraph(contentsOf: file, dimension: 16)
        XCTAssertEqual(loaded.count, 2000)
        for q in 0..<5 {
            XCTAssertEqual(try loaded.search(queries.row(q), k: 10, ef: 100).map(\.label),
                           try graph.search(queries.row(q), k: 10, ef: 100).map(\.label))
        }
        XCTAssertFalse(try loaded.search(queries.row(0), k: 10, ef: 100).map(\.label).contains(UInt64(exact[0])))
        XCTAssertThrowsError(try HNSWGraph(contentsOf: file, dimension: 8))
        XCTAssertThrowsError(try HNSWGraph(contentsOf: dir.appendingPathComponent("none"), dimension: 16))
    }

    /// Searches run side by side (they share the graph's lock when they ask for the same breadth `ef`, and
    /// take it alone to change it): concurrent searches at mixed `ef` return exactly what one-at-a-time ones do.
    func testConcurrentSearchesEqualSerialOnes() throws {
        let points = try NPY.readMatrix(Fixtures.url("index/hnsw_points.npy"))
        let queries = try NPY.readMatrix(Fixtures.url("index/hnsw_queries.npy"))
        let graph = try HNSWGraph(dimension: 16, space: .l2, m: 16, efConstruction: 200, capacity: 2000, seed: 100)
        for i in 0..<points.rows { try graph.add(points.row(i), label: UInt64(i)) }
        let efs = [20, 100, 100, 100, 40]
        let jobs = (0..<(4 * queries.rows)).map { (query: $0 % queries.rows, ef: efs[$0 % efs.count]) }
        let serial = try jobs.map { try graph.search(queries.row($0.query), k: 10, ef: $0.ef).map(\.label) }
        let results = LockedLabels(count: jobs.count)
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for n in stride(from: worker, to: jobs.count, by: 4) {
                results.set(n, (try? graph.search(queries.row(jobs[n].query), k: 10, ef: jobs[n].ef).map(\.label)) ?? [])
            }
        }
        XCTAssertEqual(results.all, serial)
    }

    /// Points added on every core at once (the shingle index's build, past its first points) make a graph
    /// as good as serial adds:
    /// recall@10 against brute force, every label present once, the capacity grown to fit.
    func testConcurrentAddsKeepRecall() throws {
        let points = try NPY.readMatrix(Fixtures.url("index/hnsw_points.npy"))
        let queries = try NPY.readMatrix(Fixtures.url("index/hnsw_queries.npy"))
        let exact = try NPY.read(Fixtures.url("index/hnsw_exact.npy")).values(as: Int64.self)!
        let graph = try HNSWGraph(dimension: 16, space: .l2, m: 16, efConstruction: 200, capacity: 10, seed: 100)
        // The first 100 points one by one, the rest concurrently.
        try graph.add(rows: points.rows(0..<1000), labels: (0..<1000).map { UInt64($0) }, serialPoints: 100)
        try graph.add(rows: points.rows(1000..<points.rows), labels: (1000..<points.rows).map { UInt64($0) }, serialPoints: 100)
        XCTAssertEqual(graph.count, 2000)
        XCTAssertGreaterThanOrEqual(graph.capacity, 2000)
        var found = 0
        for q in 0..<queries.rows {
            let hits = try graph.search(queries.row(q), k: 10, ef: 100)
            XCTAssertEqual(Set(hits.map(\.label)).count, 10)
            let truth = Set(exact[(q * 10)..<(q * 10 + 10)].map { UInt64($0) })
            found += hits.filter { truth.contains($0.label) }.count
        }
        XCTAssertGreaterThanOrEqual(Double(found) / 500, 0.98, "recall@10 vs brute force")
    }

    /// A saved graph loads back to the same searches; damaged files (cut short, a link to a point that does not
    /// exist, a header that lies about sizes, random bytes changed) are refused with an error or, where the damage
    /// is harmless to the structure (vector values, labels), searched without a crash.
    func testLoadingChecksTheWholeFile() throws {
        let points = try NPY.readMatrix(Fixtures.url("index/hnsw_points.npy"))
        let graph = try HNSWGraph(dimension: 16, space: .l2, m: 8, efConstruction: 50, capacity: 300, seed: 7)
        for i in 0..<300 { try graph.add(points.row(i), label: UInt64(i)) }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("g.hnsw")
        try graph.save(to: file)
        let good = try Data(contentsOf: file)
        let loaded = try HNSWGraph(contentsOf: file, dimension: 16)
        for q in 0..<20 {
            XCTAssertEqual(try loaded.search(points.row(q), k: 5, ef: 50).map(\.label), try graph.search(points.row(q), k: 5, ef: 50).map(\.label))
        }
        func load(_ bytes: Data) throws -> HNSWGraph {
            try bytes.write(to: file)
            return try HNSWGraph(contentsOf: file, dimension: 16)
        }
        XCTAssertThrowsError(try load(good.prefix(good.count - 1)), "cut short")
        XCTAssertThrowsError(try load(good + Data([0])), "trailing byte")
        XCTAssertThrowsError(try load(good.prefix(40)), "header only")
        // Header layout (hnswlib): offsetLevel0, max_elements, count, size_data_per_element, label_offset,
        // offsetData (6 x 8 bytes), maxlevel (4), entry point (4), maxM, maxM0, M (3 x 8), mult (8), ef_construction (8).
        var wrongCount = good
        wrongCount.replaceSubrange(16..<24, with: withUnsafeBytes(of: UInt64(301)) { Data($0) })
        XCTAssertThrowsError(try load(wrongCount), "count beyond the data")
        var badLink = good
        let header = 6 * 8 + 4 + 4 + 3 * 8 + 8 + 8
        // Point 0's level-0 list: a count, then ids; point its first neighbour at a point that does not exist.
        badLink.replaceSubrange((header + 4)..<(header + 8), with: withUnsafeBytes(of: UInt32(5000)) { Data($0) })
        XCTAssertThrowsError(try load(badLink), "link to a missing point")
        // Random damage: every outcome is an error or a graph that answers searches.
        var g = SplitMix64(seed: 3)
        for _ in 0..<200 {
            var bytes = good
            for _ in 0..<4 { bytes[Int(g.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: g.next()) }
            if let damaged = try? load(bytes) {
                _ = try damaged.search(points.row(0), k: 5, ef: 50)
            }
        }
    }

    /// Two 4-dimensional graph files scripts/fuzz.sh found: a header claiming a capacity of petabytes (the
    /// loader allocated it), and an upper-layer link to a point that does not reach that layer (a search
    /// followed it into a missing list). Both must now load harmlessly or be refused, and answer a search.
    func testFilesTheFuzzerFoundLoadOrAreRefused() throws {
        for name in ["hnsw-huge-capacity.bin", "hnsw-link-above-level.bin"] {
            if let graph = try? HNSWGraph(contentsOf: Fixtures.url("index/hostile/\(name)"), dimension: 4) {
                XCTAssertLessThan(graph.capacity, 1000, name)
                _ = try graph.search([0.1, -0.2, 0.3, 0.4], k: 5, ef: 20)
            }
        }
    }

    func testCosineSpace() throws {
        let graph = try HNSWGraph(dimension: 2, space: .cosine, capacity: 4)
        try graph.add([1, 0], label: 1)
        try graph.add([0, 5], label: 2)
        let hits = try graph.search([0, 0.1], k: 2)
        XCTAssertEqual(hits.map(\.label), [2, 1])
        XCTAssertEqual(hits[0].distance, 0, accuracy: 1e-6)
        XCTAssertEqual(hits[1].distance, 1, accuracy: 1e-6)
    }
}

/// Search results written by concurrent workers.
private final class LockedLabels: @unchecked Sendable {
    private let lock = NSLock()
    private var labels: [[UInt64]]
    init(count: Int) { labels = Array(repeating: [], count: count) }
    func set(_ i: Int, _ value: [UInt64]) { lock.lock(); labels[i] = value; lock.unlock() }
    var all: [[UInt64]] { lock.lock(); defer { lock.unlock() }; return labels }
}
