import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `IndexStore.packedArrays`: the pack equals the item files, follows the item set, reuses unchanged rows, and a
/// damaged pack or an interrupted save's leftover never gives other values.
final class IndexStorePackedArraysTests: XCTestCase {
    var dir: URL!
    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func packFiles(_ index: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: index.appendingPathComponent(PackedArrayFile.folder).path)) ?? []).sorted()
    }

    /// Each item's rows in the pack are the values of its `.npy` file.
    private func assertPackMatchesFiles(_ store: IndexStore, count: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let pack = try store.packedArrays(named: "cens")
        let items = try store.items().sorted { $0.id < $1.id }
        XCTAssertEqual(pack.ids, items.map(\.id), file: file, line: line)
        XCTAssertEqual(pack.count, count, file: file, line: line)
        for (k, item) in items.enumerated() {
            let stored = try store.feature("cens", of: item.id).values.matrix()
            XCTAssertEqual(pack.values(at: k, as: Float.self) ?? [], stored.storage, "\(item.key)", file: file, line: line)
        }
    }

    func testPackFollowsTheItemSetAndReusesUnchangedRows() throws {
        let index = dir.appendingPathComponent("idx"), files = dir.appendingPathComponent("files")
        _ = try TestChroma.writeItems(6, to: files)
        let store = try IndexStore.create(at: index, settings: TestChroma.settings())
        let all = IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs.sorted { $0.key < $1.key }
        _ = try IndexAdder.add(Array(all.prefix(4)), to: store, analyzer: TestChroma.analyzer)
        try assertPackMatchesFiles(store, count: 4)
        let first = packFiles(index)
        XCTAssertEqual(first.count, 1)

        // Rows of unchanged items come from the earlier pack: an item file spoiled after packing is not read again.
        let item0 = try XCTUnwrap(store.items().min { $0.id < $1.id })
        let info = try XCTUnwrap(store.arrays(of: item0.id).first { $0.name == "cens" })
        let before = try store.packedArrays(named: "cens").values(at: 0, as: Float.self)
        let original = try Data(contentsOf: index.appendingPathComponent(info.file))
        try NPY.encode(NPYArray([Float](repeating: 9, count: info.frames * info.dims), shape: [info.frames, info.dims]))
            .write(to: index.appendingPathComponent(info.file))
        _ = try IndexAdder.add(Array(all.suffix(2)), to: store, analyzer: TestChroma.analyzer)
        let grown = try store.packedArrays(named: "cens")
        XCTAssertEqual(grown.count, 6)
        XCTAssertEqual(grown.values(at: 0, as: Float.self), before, "reused, not read from the item file")
        try original.write(to: index.appendingPathComponent(info.file))
        try assertPackMatchesFiles(store, count: 6)
        XCTAssertEqual(packFiles(index).count, 1, "the pack of the earlier set was removed")
        XCTAssertNotEqual(packFiles(index), first)

        try store.remove(keys: [all[1].key])
        try assertPackMatchesFiles(store, count: 5)
        // A later process (another store object) reads the saved pack.
        let reader = try IndexStore.open(at: index)
        XCTAssertEqual(try reader.packedArrays(named: "cens"), try store.packedArrays(named: "cens"))
        XCTAssertThrowsError(try store.packedArrays(named: "../cens"))
    }

    func testDamagedPackAndInterruptedSaveNeverGiveOtherValues() throws {
        let index = dir.appendingPathComponent("idx"), files = dir.appendingPathComponent("files")
        _ = try TestChroma.writeItems(5, to: files)
        let store = try IndexStore.create(at: index, settings: TestChroma.settings())
        _ = try IndexAdder.add(IndexAdder.jobs(for: [files], analyzer: TestChroma.analyzer).jobs, to: store, analyzer: TestChroma.analyzer)
        let good = try store.packedArrays(named: "cens")
        let folder = index.appendingPathComponent(PackedArrayFile.folder)
        let name = try XCTUnwrap(packFiles(index).first)
        let url = folder.appendingPathComponent(name)
        let bytes = try Data(contentsOf: url)

        // A pack cut short, one with a flipped element, and one emptied: each is rebuilt from the item files.
        var flipped = bytes
        flipped[flipped.count - 3] ^= 0x40
        for damaged in [bytes.prefix(bytes.count / 2), flipped, Data()] {
            try damaged.write(to: url)
            XCTAssertEqual(try store.packedArrays(named: "cens"), good)
            XCTAssertEqual(try Data(contentsOf: url), bytes, "the rebuilt pack was saved whole")
        }
        // A writer killed while saving leaves a temporary file (and may leave a pack of an older set): the
        // next save removes them, and neither is read as the current pack.
        let leftover = folder.appendingPathComponent(".\(name).1234\(DurableFile.temporarySuffix)")
        try bytes.prefix(100).write(to: leftover)
        let older = folder.appendingPathComponent("cens-0123456789abcdef.pack")
        try bytes.write(to: older)
        try FileManager.default.removeItem(at: url)
        XCTAssertEqual(try store.packedArrays(named: "cens"), good)
        XCTAssertEqual(packFiles(index), [name])
    }
}
