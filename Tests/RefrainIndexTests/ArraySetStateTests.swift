import Foundation
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `IndexStore.arraySetState`: the cheap fingerprint searches compare to notice a changed set of arrays.
final class ArraySetStateTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws { dir = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func analysis(_ seed: UInt64, encoder: EncoderRecord? = nil) -> ItemAnalysis {
        let values = TestChroma.sequence(frames: 4, seed: seed)
        return ItemAnalysis(kind: .audio, duration: 2, features: ["cens": FeatureSequence(values: values, times: [0, 0.5, 1, 1.5])],
                            encoders: encoder.map { ["cens": $0] } ?? [:])
    }

    private func sha(_ n: Int) -> String { String(format: "%064d", n) }

    /// Adding, removing, removing the newest item and adding another in its place, and re-encoding every item
    /// with another encoder each change the state; reading does not; another array's state is its own.
    func testStateChangesWithEveryChangeOfTheSet() throws {
        let store = try IndexStore.create(at: dir, settings: TestChroma.settings(shingles: nil))
        let empty = try store.arraySetState(named: "cens")
        for n in 0..<3 { try store.add(key: "k\(n)", path: "/k\(n)", title: nil, sha256: sha(n), analysis: analysis(UInt64(n))) }
        let three = try store.arraySetState(named: "cens")
        XCTAssertNotEqual(three, empty)
        _ = try store.items()
        XCTAssertEqual(try store.arraySetState(named: "cens"), three, "reading changes nothing")
        XCTAssertNotEqual(try store.arraySetState(named: "other"), three)

        _ = try store.remove(keys: ["k2"])
        let removed = try store.arraySetState(named: "cens")
        XCTAssertNotEqual(removed, three)
        try store.add(key: "k3", path: "/k3", title: nil, sha256: sha(3), analysis: analysis(3))
        let replaced = try store.arraySetState(named: "cens")
        XCTAssertNotEqual(replaced, three, "the newest item removed and another added: same count, new item id")
        XCTAssertNotEqual(replaced, removed)

        let other = EncoderRecord(name: "cens", version: 2, dims: 12, dtype: .float32)
        let staged = try store.items().map { try store.stageReplacement(of: $0, analysis: analysis(9, encoder: other)) }
        try store.commitReplacements(staged)
        XCTAssertNotEqual(try store.arraySetState(named: "cens"), replaced, "re-encoded with another encoder")
    }
}
