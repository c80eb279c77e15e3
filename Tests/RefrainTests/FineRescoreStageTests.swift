import Foundation
import Refrain
import RefrainAudio
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// `FineRescoreStage` and the `cens_fine` array (issue 18, round 4): the re-scoring reorders only the best
/// items, and on recordings whose chords change faster than `cens` smooths, it tells apart two items that the
/// `cens` stage scores alike.
final class FineRescoreStageTests: XCTestCase {
    /// Returns fixed scores for the items it is given (none for items it "cannot read").
    struct FixedScores: SearchStage {
        let scores: [Int64: Double]
        /// Where every match starts (seconds); it lasts 1 s.
        var start: Double = 1
        var name: String { "fixed" }
        func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
            candidates.compactMap { c in scores[c.itemID].map { Candidate(itemID: c.itemID, key: c.key, score: $0, start: start, end: start + 1) } }
        }
    }

    func testOnlyTheTopItemsAreReorderedAndTheRestKeepTheirOrder() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Engine.create(at: dir)
        let store = try IndexStore.open(at: dir)
        let candidates = [(1, 0.1), (1, 0.15), (2, 0.2), (3, 0.3), (4, 0.4)].map {
            Candidate(itemID: Int64($0.0), key: "item\($0.0)", score: $0.1)
        }
        var analysis = ItemAnalysis(kind: .audio, duration: 1, features: [:])
        analysis.features[FineCENSEncoder.name] = FeatureSequence(values: Matrix(rows: 4, cols: 12), times: [0, 0.2, 0.4, 0.6])
        let query = SearchQuery(analysis: analysis, topK: 10)
        // Item 3 best on the fine array, item 1 worse, item 2 unreadable; item 4 is beyond `top`.
        let inner = FixedScores(scores: [1: 0.5, 3: 0.05, 4: 0.0])
        let ranked = try FineRescoreStage(inner, top: 3).run(query, candidates: candidates, store: store)
        XCTAssertEqual(ranked.map(\.itemID), [3, 1, 2, 4])
        XCTAssertEqual(ranked.map(\.score), [0.05, 0.5, 0.2, 0.4])
        XCTAssertEqual(ranked.first?.start, 1)
        // Half and half: fused with each item's best earlier score.
        let fused = try FineRescoreStage(inner, top: 3, weight: 0.5).run(query, candidates: candidates, store: store)
        XCTAssertEqual(fused.map(\.itemID), [3, 1, 2, 4])
        XCTAssertEqual(fused[0].score, 0.175, accuracy: 1e-12)
        XCTAssertEqual(fused[1].score, 0.3, accuracy: 1e-12)
        // A query without the fine array passes through unchanged.
        let plain = try FineRescoreStage(inner, top: 3).run(SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: 1, features: [:])), candidates: candidates, store: store)
        XCTAssertEqual(plain, candidates)
    }

    /// Two arrays: an item's fine score is the mean of its best score on each, its span that of the array that
    /// scored it best; a query without the second array is re-scored on the first alone.
    func testTwoArraysAverageEachItemsBestScores() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Engine.create(at: dir)
        let store = try IndexStore.open(at: dir)
        let candidates = [(1, 0.1), (2, 0.2), (3, 0.3)].map { Candidate(itemID: Int64($0.0), key: "item\($0.0)", score: $0.1) }
        let frames = FeatureSequence(values: Matrix(rows: 4, cols: 12), times: [0, 0.2, 0.4, 0.6])
        var analysis = ItemAnalysis(kind: .audio, duration: 1, features: [:])
        analysis.features[FineCENSEncoder.name] = frames
        // On cens_fine item 1 leads; on crp item 2 leads by more.
        let stage = FineRescoreStage([FixedScores(scores: [1: 0.2, 2: 0.3, 3: 0.9]), FixedScores(scores: [1: 0.6, 2: 0.1, 3: 0.9], start: 5)],
                                     arrays: [FineCENSEncoder.name, CRPEncoder.name], top: 3)
        let first = try stage.run(SearchQuery(analysis: analysis), candidates: candidates, store: store)
        XCTAssertEqual(first.map(\.itemID), [1, 2, 3])
        XCTAssertEqual(first.map(\.score), [0.2, 0.3, 0.9])
        analysis.features[CRPEncoder.name] = frames
        let both = try stage.run(SearchQuery(analysis: analysis), candidates: candidates, store: store)
        XCTAssertEqual(both.map(\.itemID), [2, 1, 3])
        XCTAssertEqual(both[0].score, 0.2, accuracy: 1e-12)
        XCTAssertEqual(both[1].score, 0.4, accuracy: 1e-12)
        XCTAssertEqual(both.map(\.start), [5, 1, 1], "item 2's span from crp, item 1's from cens_fine, a tie from the first")
    }

    /// Option `array`: the stage re-scores on the chroma it names (`crp` here) and passes a query without
    /// it through; a name that is not a 12-d chroma array is refused.
    func testArrayOptionChoosesTheChromaReScored() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Engine.create(at: dir)
        let store = try IndexStore.open(at: dir)
        let stage = try XCTUnwrap(try StageRegistry.refrain.cascade([StageSpec(stage: "fine-rescore", options: ["array": "crp"])],
                                                                    store: store).stages.first as? FineRescoreStage)
        XCTAssertEqual(stage.arrays, [CRPEncoder.name])
        let candidates = [Candidate(itemID: 1, key: "a", score: 0.2), Candidate(itemID: 2, key: "b", score: 0.1)]
        var analysis = ItemAnalysis(kind: .audio, duration: 1, features: [:])
        analysis.features[FineCENSEncoder.name] = FeatureSequence(values: Matrix(rows: 4, cols: 12), times: [0, 0.2, 0.4, 0.6])
        XCTAssertEqual(try stage.run(SearchQuery(analysis: analysis), candidates: candidates, store: store), candidates,
                       "without a crp array the ranking passes unchanged")
        let pair = try XCTUnwrap(try StageRegistry.refrain.cascade([StageSpec(stage: "fine-rescore", options: ["array": "cens_fine, crp"])],
                                                                   store: store).stages.first as? FineRescoreStage)
        XCTAssertEqual(pair.arrays, [FineCENSEncoder.name, CRPEncoder.name])
        for bad in ["melody", "crp,crp", ""] {
            XCTAssertThrowsError(try StageRegistry.refrain.cascade([StageSpec(stage: "fine-rescore", options: ["array": bad])], store: store)) { error in
                XCTAssertTrue("\(error)".contains("fine-rescore: array must name one or more of"), "\(error)")
            }
        }
    }

    /// Sine chords (equal temperament, A4 = 440 Hz) of `seconds` each, cycled for `total` seconds at 22050 Hz.
    static func chords(_ cycle: [[Int]], seconds: Double, total: Double, rate: Double = 22050) -> [Float] {
        let n = Int(total * rate), per = Int(seconds * rate)
        var out = [Float](repeating: 0, count: n)
        for i in 0..<n {
            let chord = cycle[(i / per) % cycle.count]
            var v = 0.0
            for midi in chord { v += sin(2 * Double.pi * 440 * pow(2, Double(midi - 69) / 12) * Double(i) / rate) }
            out[i] = Float(0.2 * v / Double(chord.count))
        }
        return out
    }

    func testFineChromaSeparatesItemsWhoseSmoothedChromaIsAlike() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (c, f, g, a) = ([60, 64, 67], [65, 69, 72], [67, 71, 74], [57, 60, 64])
        // Two items with the same four chords, a quarter of a second each, in another order: `cens` smooths over
        // about two 1 s cycles and sees the same mix in both; `cens_fine` (0.84 s) sees the order. Two items
        // with other chords.
        let items: [(String, [[Int]])] = [("forward", [c, f, g, a]), ("backward", [c, a, g, f]),
                                          ("other1", [[62, 66, 69], [64, 68, 71]]), ("other2", [[63, 66, 70], [61, 65, 68], [58, 62, 65]])]
        var urls: [URL] = []
        for (key, cycle) in items {
            let url = dir.appendingPathComponent("\(key).wav")
            try writeAudio(Self.chords(cycle, seconds: 0.25, total: 60), sampleRate: 22050, to: url)
            urls.append(url)
        }
        let engine = try Engine.create(at: dir.appendingPathComponent("index"))
        XCTAssertEqual(try engine.add(try engine.jobs(for: urls).jobs).added.count, 4)
        // An 8 s excerpt of "forward", starting mid-chord.
        let query = dir.appendingPathComponent("query.wav")
        try writeAudio(Array(Self.chords(items[0].1, seconds: 0.25, total: 60)[Int(10.3 * 22050)..<Int(18.3 * 22050)]), sampleRate: 22050, to: query)

        let answer = try engine.query(.file(query), options: QueryOptions(top: 4))
        XCTAssertEqual(answer.trace.map(\.stage).last, "fine-rescore")
        let ranking = answer.result.ranking
        XCTAssertEqual(ranking.first?.key, "forward", "\(ranking.map { "\($0.key) \($0.score)" })")
        let fineGap = try XCTUnwrap(ranking.first { $0.key == "backward" }?.score) - (ranking.first?.score ?? 0)

        // Without the stage, `cens` scores the two orders alike: the gap is a fraction of the fine one.
        let coarse = try engine.query(.file(query), options: QueryOptions(top: 4, overrides: ["fine-rescore": ["enabled": "false"]])).result.ranking
        let forward = try XCTUnwrap(coarse.first { $0.key == "forward" }?.score)
        let backward = try XCTUnwrap(coarse.first { $0.key == "backward" }?.score)
        XCTAssertLessThan(abs(backward - forward), 0.5 * fineGap, "cens: forward \(forward), backward \(backward); fine gap \(fineGap)")
    }

    /// Audio matching re-scores on the mean of `cens_fine` and `crp` by default (issue 18, round 12); the registry
    /// builds that stage from the task's spec.
    func testAudioMatchReScoresOnTheMeanOfCENSFineAndCRP() throws {
        let spec = try XCTUnwrap(AudioMatchTask().stages(QueryOptions()).first { $0.stage == "fine-rescore" })
        XCTAssertEqual(spec.options["array"], "cens_fine,crp")
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Engine.create(at: dir)
        let stage = try XCTUnwrap(try StageRegistry.refrain.cascade([spec], store: try IndexStore.open(at: dir)).stages.first as? FineRescoreStage)
        XCTAssertEqual(stage.arrays, [FineCENSEncoder.name, CRPEncoder.name])
        XCTAssertEqual(stage.top, 20)
    }
}
