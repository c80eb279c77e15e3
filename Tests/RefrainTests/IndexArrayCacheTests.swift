import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `IndexArrayCache`: what a learned stage read from an index is reused until the array's item set changes.
final class IndexArrayCacheTests: XCTestCase {
    final class Loaded { let number: Int; init(_ number: Int) { self.number = number } }

    /// Built once and then reused; built again after an item is added (the array's state changed), when
    /// `isUsable` rejects the cached entry, and after `forget`; another array of the same index is its own entry.
    func testRebuildsOnlyWhenTheArraySetChangesOrIsRejected() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 3, frames: 20, seed: 40)
        let cache = IndexArrayCache<Loaded>()
        var builds = 0
        func load(_ array: String = "cens", usable: @escaping (Loaded) -> Bool = { _ in true }) throws -> Int {
            try cache.entry(array, of: store, isUsable: usable) { builds += 1; return Loaded(builds) }.number
        }
        XCTAssertEqual(try load(), 1)
        XCTAssertEqual(try load(), 1)
        XCTAssertEqual(builds, 1)

        let before = try store.arraySetState(named: "cens")
        let values = randomUnitFrames(20, dims: 12, seed: 99)
        try store.add(key: "extra", path: "/extra", title: nil, sha256: String(repeating: "1", count: 64),
                      analysis: ItemAnalysis(kind: .audio, duration: 10,
                                             features: ["cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
        XCTAssertNotEqual(try store.arraySetState(named: "cens"), before)
        XCTAssertEqual(try load(), 2)
        XCTAssertEqual(try load(), 2)

        XCTAssertEqual(try load(usable: { $0.number != 2 }), 3)
        XCTAssertEqual(try load("other"), 4)
        XCTAssertEqual(try load(), 3)
        cache.forget(dir)
        XCTAssertEqual(try load(), 5)
        XCTAssertEqual(try load("other"), 6)
    }

    /// A failed build caches nothing and rethrows; the next call builds again.
    func testAFailedBuildIsNotCached() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try shingledTestStore(at: dir, count: 2, frames: 20, seed: 41)
        let cache = IndexArrayCache<Loaded>()
        struct Broken: Error {}
        XCTAssertThrowsError(try cache.entry("cens", of: store) { throw Broken() })
        XCTAssertEqual(try cache.entry("cens", of: store) { Loaded(7) }.number, 7)
    }
}
