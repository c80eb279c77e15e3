import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// Runs the built `refrain add` on many files, SIGKILLs it at random moments, and checks after every kill
/// that the index opens, every listed item is complete and searchable, and that a final add finishes the job.
final class AddKillTests: XCTestCase {
    func refrainExecutable() throws -> URL {
        guard let found = RefrainExecutable.url else {
            XCTFail("the refrain executable is not built (swift build -c release --product refrain): this test cannot run")
            throw RefrainError(.io, "no refrain executable")
        }
        return found
    }

    /// Runs the executable; returns its exit status and whether the kill landed (it was still running).
    @discardableResult
    func run(_ executable: URL, _ arguments: [String], killAfter seconds: Double? = nil) throws -> (status: Int32, killed: Bool) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let seconds {
            Thread.sleep(forTimeInterval: seconds)
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        return (process.terminationStatus, process.terminationReason == .uncaughtSignal)
    }

    /// Runs an add to completion; returns its duration and the seconds until it printed `phaseEnd`.
    func timeAdd(_ executable: URL, _ arguments: [String], phaseEnd: String) throws -> (whole: Double, phase: Double) {
        let process = Process(), pipe = Pipe()
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = pipe
        let clock = Date()
        try process.run()
        var output = Data(), phase: Double?
        while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
            output.append(chunk)
            if phase == nil, String(decoding: output, as: UTF8.self).contains(phaseEnd) { phase = Date().timeIntervalSince(clock) }
        }
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, String(decoding: output, as: UTF8.self))
        return (Date().timeIntervalSince(clock), try XCTUnwrap(phase, "no '\(phaseEnd)' line in: \(String(decoding: output, as: UTF8.self))"))
    }

    func testSigkillDuringAddLosesNothingCommitted() throws {
        let refrain = try refrainExecutable()
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let files = dir.appendingPathComponent("files"), index = dir.appendingPathComponent("idx")
        let count = 160
        let matrices = try TestChroma.writeItems(count, to: files, seed: 11)
        let create = ["index", "create", index.path, "--analyzer", "features", "--frame-rate", "2", "--shingle-length", "10",
                      "--shingle-hop", "3", "--pca-dimensions", "16"]
        XCTAssertEqual(try run(refrain, create).status, 0)
        // Kill moments are drawn (seeded) over the phases of an add timed on a scratch index: items are
        // committed first (until the "learning PCA" line), then the shingle graph is rebuilt. The first
        // round is killed while items are being committed, the later ones anywhere in a whole add.
        let scratch = dir.appendingPathComponent("scratch")
        try run(refrain, ["index", "create", scratch.path, "--analyzer", "features", "--frame-rate", "2", "--shingle-length", "10",
                          "--shingle-hop", "3", "--pca-dimensions", "16"])
        let (whole, itemsPhase) = try timeAdd(refrain, ["add", scratch.path, files.path], phaseEnd: "learning PCA")
        var generator = SplitMix64(seed: 20261203)
        var committedBefore = Set<String>()
        var midAddKills = 0
        /// Kills an add after `delay` s, then checks that the index opens and holds only whole items.
        func killRound(_ round: Int, after delay: Double) throws -> (killed: Bool, committed: Int) {
            let killed = try run(refrain, ["add", index.path, files.path], killAfter: delay).killed
            let store = try IndexStore.open(at: index)
            let items = try store.items()
            let keys = Set(items.map(\.key))
            XCTAssertTrue(committedBefore.isSubset(of: keys), "round \(round): committed items were lost")
            committedBefore = keys
            print("kill round \(round): after \(delay) s, killed \(killed), \(keys.count) items committed")
            for item in items {
                let i = Int(item.key.dropFirst(4))!
                let feature = try store.feature("cens", of: item.id)
                XCTAssertTrue(feature.values.matrix() == matrices[i], "round \(round): \(item.key) differs from its file")
                XCTAssertEqual(item.sha256, try SHA256.hex(ofFile: files.appendingPathComponent("\(item.key).npy")))
            }
            if let shingles = try ShingleIndex.load(from: store) {  // a graph, when one was committed, loads
                XCTAssertGreaterThan(shingles.graph.count, 0)
            }
            return (killed, keys.count)
        }
        // The first round must land while items are being committed. The phase timed on the scratch index is
        // only a guide (a loaded machine, buffered output): when a kill comes too late, the index is made
        // again and the next kill comes twice as early.
        var delay = itemsPhase * (0.3 + 0.6 * Double(generator.next() % 1000) / 1000)
        for attempt in 0..<8 {
            let (killed, committed) = try killRound(0, after: delay)
            if killed && committed < count { midAddKills += 1; break }
            if attempt < 7 {
                try FileManager.default.removeItem(at: index)
                committedBefore = []
                XCTAssertEqual(try run(refrain, create).status, 0)
            }
            delay /= 2
        }
        // Later rounds are killed anywhere in a whole add.
        for round in 1..<5 {
            let draw = Double(generator.next() % 1000) / 1000
            let (killed, committed) = try killRound(round, after: whole * (0.1 + 0.8 * draw))
            if killed && committed < count { midAddKills += 1 }
        }
        XCTAssertGreaterThan(midAddKills, 0, "no kill landed while items were still being added (items took \(itemsPhase) s of a \(whole) s add)")
        XCTAssertEqual(try run(refrain, ["add", index.path, files.path]).status, 0)
        let store = try IndexStore.open(at: index)
        XCTAssertEqual(try store.itemCount, count)
        let shingles = try XCTUnwrap(try ShingleIndex.load(from: store))
        XCTAssertEqual(shingles.graph.count, matrices.reduce(0) { $0 + Shingles.starts(frames: $1.rows, length: 10, hop: 3).count })
        // No file is left that the catalog does not reference.
        let referenced = try store.items().flatMap { try store.arrays(of: $0.id).map(\.file) }
        let onDisk = FileManager.default.enumerator(atPath: index.appendingPathComponent("arrays").path)!
            .compactMap { $0 as? String }.filter { $0.hasSuffix(".npy") }
        XCTAssertEqual(Set(onDisk.map { "arrays/" + $0 }), Set(referenced))
        // Every item is searchable.
        let cascade = try StageRegistry.standard.cascade(QueryEngine.defaultSpecs(for: store.settings), store: store)
        for i in [0, count / 2, count - 1] {
            let excerpt = matrices[i].rows(10..<40)
            let q = SearchQuery(analysis: ItemAnalysis(kind: .features, duration: 15,
                                                       features: ["cens": FeatureSequence(values: excerpt, hopLength: 1, sampleRate: 2)]), topK: 1)
            XCTAssertEqual(try cascade.search(q, store: store).ranking.first?.key, String(format: "item%03d", i))
        }
    }
}
