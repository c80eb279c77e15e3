import Foundation
import GRDB
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// Arrays of every stored type (float32, float16, uint16/32/64 hash codes) with the encoder that made them,
/// works, and the upgrade of a format 1 catalog.
final class StoredTypesTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    static func sha(_ c: Character) -> String { String(repeating: c, count: 64) }

    func testIntegerAndHalfArraysRoundTripAndNumPyReadsThem() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        let values = Matrix(rows: 3, cols: 2, storage: [0.5, -1.25, 3, 1000.5, 0.0009765625, 65504])
        let times = [0.0, 0.5, 1.0]
        let half = EncoderRecord(name: "embedding", version: 1, dims: 2, dtype: .float16)
        var codes: [String: CodeSequence] = [:]
        codes["h16"] = try CodeSequence(array: NPYArray([UInt16(0), 1, 0xFFFF], shape: [3, 1]), times: times)
        codes["h32"] = try CodeSequence(array: NPYArray([UInt32(7), 0xDEAD_BEEF, 0], shape: [3, 1]), times: times)
        codes["h64"] = try CodeSequence(array: NPYArray([UInt64.max, 42, 1 << 63], shape: [3, 1]), times: times)
        let analysis = ItemAnalysis(kind: .audio, duration: 1.5, features: ["embedding": FeatureSequence(values: values, times: times)],
                                    codes: codes, encoders: ["embedding": half])
        guard case .added(let item) = try store.add(key: "k", path: "/k.wav", title: nil, work: "w", sha256: Self.sha("a"),
                                                    analysis: analysis) else { return XCTFail("not added") }
        XCTAssertEqual(item.work, "w")
        let embedding = try store.feature("embedding", of: item.id)
        XCTAssertEqual(embedding.info.dtype, .float16)
        XCTAssertEqual(embedding.info.encoder, half.fingerprint)
        XCTAssertEqual(embedding.values.matrix().storage, values.storage, "these values are exact in half precision")
        let h64 = try store.feature("h64", of: item.id)
        XCTAssertEqual(h64.info.dtype, .uint64)
        XCTAssertNil(h64.info.encoder)
        XCTAssertEqual(h64.values.withElements(of: UInt64.self) { Array($0) }, [UInt64.max, 42, 1 << 63])
        XCTAssertEqual(try store.feature("h16", of: item.id).values.withElements(of: UInt16.self) { Array($0) }, [0, 1, 0xFFFF])
        XCTAssertEqual(try store.feature("h32", of: item.id).times, times)

        let files = try ["embedding", "h16", "h32", "h64"].map { dir.appendingPathComponent(try store.feature($0, of: item.id).info.file).path }
        let printed = try runPython("""
            import sys, numpy as np
            for path in sys.argv[1:]:
                a = np.load(path)
                print(a.dtype, a.shape, a.ravel().tolist())
            """, arguments: files)
        XCTAssertEqual(printed.split(separator: "\n").map(String.init), [
            "float16 (3, 2) [0.5, -1.25, 3.0, 1000.5, 0.0009765625, 65504.0]",
            "uint16 (3, 1) [0, 1, 65535]",
            "uint32 (3, 1) [7, 3735928559, 0]",
            "uint64 (3, 1) [18446744073709551615, 42, 9223372036854775808]",
        ])
    }

    func testCodeSequencesMustBeUnsignedFramesWithTimes() {
        XCTAssertThrowsError(try CodeSequence(array: NPYArray([Float(1)], shape: [1, 1]), times: [0]))
        XCTAssertThrowsError(try CodeSequence(array: NPYArray([UInt16(1), 2], shape: [2, 1]), times: [0]))
        XCTAssertThrowsError(try CodeSequence(array: NPYArray([Int32(1)], shape: [1, 1]), times: [0]))
    }

    func testWorksAndPagedListing() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        for (n, (key, work)) in [("score", "tune"), ("take1", "tune"), ("other", nil)].enumerated() {
            let analysis = ItemAnalysis(kind: .features, duration: 10,
                                        features: ["cens": FeatureSequence(values: TestChroma.sequence(frames: 20, seed: UInt64(n)),
                                                                           hopLength: 1, sampleRate: 2)])
            try store.add(key: key, path: "/\(key)", title: nil, work: work, sha256: Self.sha(Character(String(n))), analysis: analysis)
        }
        let items = try store.items()
        XCTAssertEqual(items.map(\.workKey), ["tune", "tune", "other"])
        XCTAssertEqual(try store.items(offset: 1, limit: 5).map(\.key), ["take1", "other"])
        XCTAssertEqual(try store.items(offset: 3, limit: 5), [])
        XCTAssertEqual(try store.items(ids: [items[2].id, 999]).mapValues(\.key), [items[2].id: "other"])
        XCTAssertThrowsError(try store.stage(key: "x", path: "/x", title: nil, work: "", sha256: Self.sha("x"),
                                             analysis: ItemAnalysis(kind: .features, duration: 1, features: [:])))
    }

    /// A catalog of format 1 (no work, dtype or encoder columns) is read as it is and upgraded when opened
    /// for writing.
    func testFormatOneCatalogIsReadAndUpgraded() throws {
        let analysis = ItemAnalysis(kind: .features, duration: 10,
                                    features: ["cens": FeatureSequence(values: TestChroma.sequence(frames: 20, seed: 1), hopLength: 1, sampleRate: 2)])
        do {  // the writer's lock goes with the store
            let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
            try store.add(key: "old", path: "/old", title: nil, sha256: Self.sha("o"), analysis: analysis)
        }
        let catalog = dir.appendingPathComponent(IndexStore.catalogName).path
        let queue = try DatabaseQueue(path: catalog)
        try queue.write { db in
            try db.execute(sql: "DROP INDEX items_work")
            try db.execute(sql: "ALTER TABLE items DROP COLUMN work")
            try db.execute(sql: "ALTER TABLE arrays DROP COLUMN dtype")
            try db.execute(sql: "ALTER TABLE arrays DROP COLUMN encoder")
            try db.execute(sql: "UPDATE meta SET value = '1' WHERE key = 'format_version'")
        }
        try queue.close()
        let reader = try IndexStore.open(at: dir)
        XCTAssertEqual(try reader.items().map(\.workKey), ["old"])
        XCTAssertEqual(try reader.feature("cens", of: try reader.items()[0].id).info.dtype, .float32)
        do {
            let writer = try IndexStore.open(at: dir, writable: true)
            XCTAssertEqual(try writer.meta("format_version"), String(IndexStore.formatVersion))
            try writer.add(key: "new", path: "/new", title: nil, work: "w", sha256: Self.sha("n"), analysis: analysis.withTitle("n"))
        }
        XCTAssertEqual(try IndexStore.open(at: dir).items().map(\.workKey), ["old", "w"])
    }
}

private extension ItemAnalysis {
    func withTitle(_ title: String) -> ItemAnalysis {
        var copy = self
        copy.title = title
        return copy
    }
}
