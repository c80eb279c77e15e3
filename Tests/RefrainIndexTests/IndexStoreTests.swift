import Foundation
import GRDB
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

final class IndexStoreTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func testAddListReAddRemove() throws {
        let index = dir.appendingPathComponent("idx")
        let files = dir.appendingPathComponent("files")
        let matrices = try TestChroma.writeItems(5, to: files)
        try "not a npy file".write(to: files.appendingPathComponent("broken.npy"), atomically: true, encoding: .utf8)
        let store = try IndexStore.create(at: index, settings: TestChroma.settings())
        XCTAssertThrowsError(try IndexStore.create(at: index, settings: TestChroma.settings()))
        let jobs = IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer)
        XCTAssertEqual(jobs.jobs.count, 6)
        let report = try IndexAdder.add(jobs.jobs, to: store, analyzer: TestChroma.analyzer)
        XCTAssertEqual(report.added.count, 5)
        XCTAssertEqual(report.failed.count, 1, "the broken file is reported and skipped")
        XCTAssertTrue(report.failed[0].path.hasSuffix("broken.npy"))

        let items = try store.items().sorted { $0.key < $1.key }  // added on two threads: ids in any order
        XCTAssertEqual(items.map(\.key), ["item000", "item001", "item002", "item003", "item004"])
        XCTAssertEqual(items[0].kind, .features)
        XCTAssertEqual(items[0].duration, Double(matrices[0].rows) / 2)
        XCTAssertEqual(items[0].sha256, try SHA256.hex(ofFile: files.appendingPathComponent("item000.npy")))
        let feature = try store.feature("cens", of: items[2].id)
        XCTAssertTrue(feature.values.matrix() == matrices[2])
        XCTAssertEqual(feature.times[3], 1.5)
        // Researchers can np.load the stored arrays: they are plain .npy files.
        XCTAssertTrue(try NPY.readMatrix(index.appendingPathComponent(feature.info.file)) == matrices[2])

        // Re-adding is a no-op, also under another name.
        let again = try IndexAdder.add(jobs.jobs, to: store, analyzer: TestChroma.analyzer)
        XCTAssertEqual(again.added.count, 0)
        XCTAssertEqual(again.unchanged.count, 5)
        let copy = files.appendingPathComponent("copy.npy")
        try FileManager.default.copyItem(at: files.appendingPathComponent("item001.npy"), to: copy)
        XCTAssertEqual(try IndexAdder.add([AddJob(key: "copy", url: copy)], to: store, analyzer: TestChroma.analyzer).unchanged, ["item001"])
        // A key naming other content is refused.
        let other = files.appendingPathComponent("other.npy")
        try NPY.write(TestChroma.sequence(frames: 50, seed: 99), to: other)
        XCTAssertEqual(try IndexAdder.add([AddJob(key: "item001", url: other)], to: store, analyzer: TestChroma.analyzer).failed.count, 1)

        // Remove deletes rows and files.
        XCTAssertEqual(try store.remove(keys: ["item002", "nope"]), ["nope"])
        XCTAssertNil(try store.item(key: "item002"))
        XCTAssertFalse(FileManager.default.fileExists(atPath: index.appendingPathComponent(feature.info.file).path))
        XCTAssertEqual(try store.itemCount, 4)

        // The narrow reads a search starts from agree with the full rows.
        let left = try store.items()
        let keys = try store.itemKeys()
        XCTAssertEqual(keys.map(\.id), left.map(\.id))
        XCTAssertEqual(keys.map(\.key), left.map(\.key))
        XCTAssertEqual(try store.itemIDs(kinds: [.features]), Set(left.map(\.id)))
        XCTAssertEqual(try store.itemIDs(kinds: [.audio, .midi]), [])
        XCTAssertEqual(try store.itemIDs(kinds: []), [])
    }

    /// The exact stages read every candidate's arrays on every query: the store maps each file once and
    /// hands the same mapping back, with the values a store opened afresh reads.
    func testFeaturesAreMappedOncePerFileWithTheValuesOfAFreshStore() throws {
        let index = dir.appendingPathComponent("idx")
        let files = dir.appendingPathComponent("files")
        let matrices = try TestChroma.writeItems(3, to: files)
        let store = try IndexStore.create(at: index, settings: TestChroma.settings())
        _ = try IndexAdder.add(IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs, to: store, analyzer: TestChroma.analyzer)
        let fresh = try IndexStore.open(at: index)
        for item in try store.items() {
            let info = try XCTUnwrap(try store.arrays(of: item.id).first { $0.name == "cens" })
            let first = try store.feature(info), again = try store.feature(info)
            XCTAssertTrue(first.values === again.values, "\(item.key): mapped once")
            XCTAssertTrue(again.values.matrix() == matrices[Int(item.key.dropFirst(4))!])
            XCTAssertTrue(try fresh.feature(info).values.matrix() == again.values.matrix())
            XCTAssertEqual(try fresh.feature(info).times, again.times)
        }
        // A removed item's mapping is forgotten with its file.
        let removed = try XCTUnwrap(try store.item(key: "item001"))
        let info = try XCTUnwrap(try store.arrays(of: removed.id).first)
        XCTAssertEqual(try store.remove(keys: ["item001"]), [])
        XCTAssertThrowsError(try store.feature(info))
    }

    /// An exact stage reads only the arrays its matcher names: `arrays(of:named:)` gives, for many items at once,
    /// exactly the rows `arrays(of:)` gives for each item with those names, and leaves out an item with none.
    func testArraysOfManyItemsByNameAreEachItemsNamedRows() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        var ids: [Int64] = []
        for n in 0..<4 {
            let sequence = FeatureSequence(values: TestChroma.sequence(frames: 10 + n, seed: UInt64(n)), hopLength: 1, sampleRate: 2)
            // Item 3 has only an array no caller asks for.
            let names = n == 3 ? ["melody"] : ["cens", "cqt_beats", "melody"]
            let analysis = ItemAnalysis(kind: .audio, duration: 5, features: Dictionary(uniqueKeysWithValues: names.map { ($0, sequence) }))
            guard case .added(let item) = try store.add(key: "k\(n)", path: "/k\(n)", title: nil,
                                                        sha256: String(format: "%02d", n) + String(repeating: "0", count: 62),
                                                        analysis: analysis) else { return XCTFail("not added") }
            ids.append(item.id)
        }
        for names: Set<String> in [["cens"], ["cqt_beats", "cens"], ["cens", "absent"]] {
            let named = try store.arrays(of: ids, named: names)
            XCTAssertEqual(Set(named.keys), Set(ids.prefix(3)), "\(names)")
            for id in ids.prefix(3) {
                XCTAssertEqual(named[id], try store.arrays(of: id).filter { names.contains($0.name) }, "\(names)")
            }
        }
        XCTAssertEqual(try store.arrays(of: ids, named: []), [:])
        XCTAssertEqual(try store.arrays(of: ids), Dictionary(uniqueKeysWithValues: try ids.map { ($0, try store.arrays(of: $0)) }))
    }

    func testBlobsAndIrregularTimes() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        let values = Matrix(rows: 3, cols: 2, storage: [1, 2, 3, 4, 5, 6])
        let beats = FeatureSequence(values: values, times: [0.1, 0.6, 1.4])
        let analysis = ItemAnalysis(kind: .midi, duration: 2, features: ["cqt_beats": beats], blobs: ["midi": Data([0x4d, 0x54])], title: "T")
        guard case .added(let item) = try store.add(key: "k", path: "/x.mid", title: nil, sha256: "ab" + String(repeating: "0", count: 62), analysis: analysis) else {
            return XCTFail("not added")
        }
        XCTAssertEqual(item.title, "T")
        let stored = try store.feature("cqt_beats", of: item.id)
        XCTAssertEqual(stored.sequence(), beats)
        XCTAssertNotNil(stored.info.timesFile)
        XCTAssertEqual(try store.blob("midi", of: item.id), Data([0x4d, 0x54]))
        XCTAssertNil(try store.blob("audio", of: item.id))
        XCTAssertThrowsError(try store.add(key: "bad", path: "/y", title: nil, sha256: "cd" + String(repeating: "0", count: 62),
                                           analysis: ItemAnalysis(kind: .audio, duration: 1, features: ["../evil": beats])))
    }

    func testBatchCommitChecksEachItemAndDeletesTheFilesOfRefusedOnes() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        func analysis(_ seed: UInt64) -> ItemAnalysis {
            ItemAnalysis(kind: .features, duration: 10,
                         features: ["cens": FeatureSequence(values: TestChroma.sequence(frames: 20, seed: seed), hopLength: 1, sampleRate: 2)])
        }
        let sha = { (c: Character) in String(repeating: c, count: 64) }
        let a = try store.stage(key: "a", path: "/a", title: nil, sha256: sha("a"), analysis: analysis(1))
        let sameContent = try store.stage(key: "a2", path: "/a2", title: nil, sha256: sha("a"), analysis: analysis(1))
        let sameKey = try store.stage(key: "a", path: "/b", title: nil, sha256: sha("b"), analysis: analysis(2))
        let c = try store.stage(key: "c", path: "/c", title: nil, sha256: sha("c"), analysis: analysis(3))
        XCTAssertNotEqual(a.files, sameContent.files, "two stagings of one content never share a file")
        XCTAssertEqual(try store.itemCount, 0, "staged items are not visible")
        let outcomes = try store.commit([a, sameContent, sameKey, c])
        guard case .success(.added(let added)) = outcomes[0] else { return XCTFail("\(outcomes[0])") }
        XCTAssertEqual(try outcomes[1].get(), .unchanged(added))
        XCTAssertThrowsError(try outcomes[2].get())
        guard case .success(.added) = outcomes[3] else { return XCTFail("\(outcomes[3])") }
        XCTAssertEqual(try store.items().map(\.key).sorted(), ["a", "c"])
        for file in a.files + c.files { XCTAssertTrue(FileManager.default.fileExists(atPath: file.path)) }
        for file in sameContent.files + sameKey.files { XCTAssertFalse(FileManager.default.fileExists(atPath: file.path), file.path) }
        XCTAssertTrue(try store.feature("cens", of: added.id).values.matrix() == TestChroma.sequence(frames: 20, seed: 1))
        // Staging under a key that names other content is refused before any file is written.
        XCTAssertThrowsError(try store.stage(key: "c", path: "/d", title: nil, sha256: sha("d"), analysis: analysis(4)))
    }

    func testUnknownFeatureSettingsAreRefused() throws {
        var settings = TestChroma.settings()
        settings.features["hop_of_the_future"] = "3"
        XCTAssertThrowsError(try AnalyzerRegistry.standard.analyzer(for: settings)) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("hop_of_the_future") ?? false, "\(error)")
        }
        XCTAssertNoThrow(try AnalyzerRegistry.standard.analyzer(for: TestChroma.settings()))
    }

    func testSettingsVersionAndOrphans() throws {
        do { _ = try IndexStore.create(at: dir, settings: TestChroma.settings()) }
        XCTAssertNoThrow(try IndexStore.open(at: dir, expecting: TestChroma.settings()))
        var other = TestChroma.settings()
        other.features["frame_rate"] = "10.0"
        XCTAssertThrowsError(try IndexStore.open(at: dir, expecting: other)) { error in
            XCTAssertEqual((error as? RefrainError)?.kind, .index)
            XCTAssertTrue((error as? RefrainError)?.message.contains("other feature settings") ?? false)
        }
        XCTAssertThrowsError(try IndexStore.open(at: dir.appendingPathComponent("none"))) { error in
            XCTAssertEqual((error as? RefrainError)?.kind, .index)
        }
        // Orphans (arrays no row references, temporary leftovers) are swept when a writer opens.
        let orphan = dir.appendingPathComponent("arrays/ab/abc.cens.npy")
        let partial = dir.appendingPathComponent("arrays/ab/.x.npy.123.partial")
        try FileManager.default.createDirectory(at: orphan.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data([1]).write(to: orphan)
        try Data([1]).write(to: partial)
        _ = try IndexStore.open(at: dir)  // readers leave files alone
        XCTAssertTrue(FileManager.default.fileExists(atPath: orphan.path))
        // Orphans come from a writer that was killed, and such a writer leaves no clean-close marker (WriterSessionTests).
        unlink(dir.appendingPathComponent("writer.clean").path)
        do { _ = try IndexStore.open(at: dir, writable: true) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: orphan.path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial.path))
        // A future format is refused with a clear message.
        let db = try DatabaseQueue(path: dir.appendingPathComponent("catalog.sqlite").path)
        try db.write { try $0.execute(sql: "UPDATE meta SET value = '99' WHERE key = 'format_version'") }
        XCTAssertThrowsError(try IndexStore.open(at: dir)) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("newer than this Refrain") ?? false, "\(error)")
        }
    }

    func testManifest() throws {
        let csv = dir.appendingPathComponent("items.csv")
        try "key,path,title\nk1,a/x.npy,\"Title, with comma\"\n\"k2\",/abs/y.npy,\n".write(to: csv, atomically: true, encoding: .utf8)
        let entries = try Manifest.read(csv)
        XCTAssertEqual(entries.count, 2)
        XCTAssertEqual(entries[0].key, "k1")
        XCTAssertEqual(entries[0].title, "Title, with comma")
        XCTAssertEqual(entries[0].url.path, dir.appendingPathComponent("a/x.npy").standardizedFileURL.path)
        XCTAssertEqual(entries[1].url.path, "/abs/y.npy")
        XCTAssertNil(entries[1].title)
        try "path,key\nx.npy,k\nz.npy,k\n".write(to: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Manifest.read(csv))  // duplicate key
        try "a,b\nx,y\n".write(to: csv, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Manifest.read(csv))  // no key/path header
    }
}
