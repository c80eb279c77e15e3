import Foundation
import Refrain
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `kind-filter`: only candidates whose items are of the given kinds pass, in their order and with their scores.
final class KindFilterStageTests: XCTestCase {
    /// An index of five items: audio, midi, features, audio, midi (keys `item0` ... `item4`), every one a candidate.
    func mixedStore(at dir: URL) throws -> (IndexStore, [Candidate]) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(
            analyzer: "features-npy/1", features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        let kinds: [ItemKind] = [.audio, .midi, .features, .audio, .midi]
        for (k, kind) in kinds.enumerated() {
            let values = randomUnitFrames(8, dims: 12, seed: 500 + UInt64(k))
            try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(repeating: "\(k)", count: 64),
                          analysis: ItemAnalysis(kind: kind, duration: 4,
                                                 features: ["cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
        }
        let candidates = try store.items().reversed().enumerated().map { n, item in
            Candidate(itemID: item.id, key: item.key, score: Double(n))
        }
        return (store, candidates)
    }

    func testKeepsTheGivenKindsInOrder() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, candidates) = try mixedStore(at: dir)
        let query = SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 1, features: [:]))
        let audio = try KindFilterStage(spec: StageSpec(stage: "kind-filter")).run(query, candidates: candidates, store: store)
        XCTAssertEqual(audio.map(\.key), ["item3", "item0"])
        XCTAssertEqual(audio.map(\.score), [1, 4])
        let both = try KindFilterStage(spec: StageSpec(stage: "kind-filter", options: ["kinds": "midi,features"]))
        XCTAssertEqual(both.kinds, [.midi, .features])
        XCTAssertEqual(try both.run(query, candidates: candidates, store: store).map(\.key), ["item4", "item2", "item1"])
        XCTAssertEqual(try KindFilterStage(kinds: [.audio]).run(query, candidates: [], store: store), [])
    }

    func testAnUnknownKindIsRefusedByName() {
        XCTAssertThrowsError(try KindFilterStage(spec: StageSpec(stage: "kind-filter", options: ["kinds": "audio,video"]))) { error in
            XCTAssertTrue("\(error)".contains("unknown kind 'video'"), "\(error)")
        }
    }
}
