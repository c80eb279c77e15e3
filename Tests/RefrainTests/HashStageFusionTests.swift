import Foundation
@testable import Refrain
import RefrainIndex
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// `HashStageFusion` and `hash-dtw`'s fused keeps (issue 20, seventeenth round): reciprocal rank fusion counts
/// ranks as Cormack et al. do; the second reading of a MIDI query from its piano roll (`pianoroll`) keeps an item
/// that either reading alone ranks first, which one reading's keep drops (`min`, and `rank` with a small k);
/// `embedding_weight` (with a small k) keeps an item the embedding ranks first although its hash cost is past the
/// keep; malformed options are refused.
final class HashStageFusionTests: XCTestCase {
    func testReciprocalRankFusionSumsWeightOverKPlusRank() {
        XCTAssertEqual(HashStageFusion.ranks([0.3, 0.1, .infinity, 0.1, .nan]), [3, 1, 4, 2, 5], "ties by index, NaN last")
        let fused = HashStageFusion.reciprocalRanks([([1, 2, 3], 1), ([3, 2, 1], 2)], k: 10)
        XCTAssertEqual(fused[0], 1.0 / 11 + 2.0 / 13, accuracy: 1e-12)
        XCTAssertEqual(fused[1], 1.0 / 12 + 2.0 / 12, accuracy: 1e-12)
        XCTAssertEqual(fused[2], 1.0 / 13 + 2.0 / 11, accuracy: 1e-12)
        XCTAssertEqual(HashStageFusion.reciprocalRanks([([1, 2], 1), ([2, 1], 0)]), HashStageFusion.reciprocalRanks([([1, 2], 1)]), "weight 0 adds nothing")
        XCTAssertEqual(HashStageFusion.combined(.min, synth: 0.2, roll: 0.5), 0.2)
        XCTAssertEqual(HashStageFusion.combined(.mean, synth: 0.2, roll: 0.5), 0.35, accuracy: 1e-12)
        XCTAssertEqual(HashStageFusion.combined(.only, synth: 0.2, roll: 0.5), 0.5)
        XCTAssertEqual(HashStageFusion.combined(.off, synth: 0.2, roll: 0.5), 0.2)
    }

    /// An index of 40 items: `synth-copy` holds the query's own (synthesized-score) codes, `roll-copy` the piano-roll
    /// network's codes of the query's score, `near` holds the embedding nearest the query with random codes, the
    /// rest random codes and embeddings.
    private func makeIndex(_ dir: URL) throws -> (store: IndexStore, query: SearchQuery, candidates: [Candidate], roll: [UInt16]) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1", features: ["frame_rate": "5", "array": "cens"],
                                                                           shingles: nil))
        let hasher = try HashEncoder.shipped()
        let score = try XCTUnwrap(BuiltInTune.all.first).score()
        let bytes = score.midiData()
        let roll = try HashEncoder(settings: ["midi": "pianoroll"]).codes(frames: LearnedInput.rollFrames(try MIDIScore(data: bytes)), role: PianoRollHasherTraining.role)
        XCTAssertGreaterThan(roll.count, 10)
        var random = SplitMix64(seed: 17)
        let synth = (0..<roll.count).map { _ in UInt16(truncatingIfNeeded: random.next()) }
        let queryVector: [Float] = [1, 0, 0, 0]
        for k in 0..<40 {
            let key = k == 0 ? "synth-copy" : k == 1 ? "roll-copy" : k == 2 ? "near" : "item\(k)"
            let codes = k == 0 ? synth : k == 1 ? roll : (0..<roll.count).map { _ in UInt16(truncatingIfNeeded: random.next()) }
            let vector: [Float] = k == 2 ? [0.99, 0.01, 0, 0] : (0..<4).map { _ in Float(random.next() % 1000) / 1000 + 1 }
            let analysis = ItemAnalysis(kind: .audio, duration: 8,
                                        features: ["cens": FeatureSequence(values: Matrix(rows: 2, cols: 12, repeating: 0.1), times: [0, 0.2]),
                                                   "embedding": FeatureSequence(values: Matrix(rows: 1, cols: 4, storage: vector), times: [0])],
                                        codes: ["hashes": try CodeSequence(array: NPYArray(codes, shape: [codes.count, 1]),
                                                                           times: (0..<codes.count).map { Double($0) / 5 })])
            try store.add(key: key, path: "/\(key)", title: nil, sha256: String(format: "%064d", k), analysis: analysis)
        }
        let candidates = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let analysis = ItemAnalysis(kind: .midi, duration: 8,
                                    features: ["embedding": FeatureSequence(values: Matrix(rows: 1, cols: 4, storage: queryVector), times: [0])],
                                    codes: ["hashes": try CodeSequence(array: NPYArray(synth, shape: [synth.count, 1]),
                                                                       times: (0..<synth.count).map { Double($0) / 5 })],
                                    encoders: ["hashes": hasher.record], blobs: ["midi": bytes])
        return (store, SearchQuery(analysis: analysis, topK: 10, threads: 2), candidates, roll)
    }

    func testPianoRollReadingKeepsWhatEitherReadingRanksFirst() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, query, candidates, roll) = try makeIndex(dir)
        XCTAssertEqual(try QueryPianoRollCodes.shared.codes(of: query.analysis, array: "hashes", model: "shipped", threads: 1), roll,
                       "the stage's piano-roll codes are the piano-roll network's on the score's roll")
        // Reciprocal rank fusion with a small k keeps each ranking's first (with k 60 and 40 items the fused scores are
        // nearly flat: an item 2nd in both readings outranks one 1st in one and 30th in the other).
        func kept(_ reading: HashPianoRollReading, keep: Int) throws -> [String] {
            try HashDTWStage(keep: keep, pianoRoll: reading, fusionK: 0.001).run(query, candidates: candidates, store: store).map(\.key)
        }
        XCTAssertEqual(try kept(.off, keep: 1), ["synth-copy"])
        XCTAssertEqual(try kept(.only, keep: 1), ["roll-copy"])
        XCTAssertFalse(try kept(.off, keep: 2).contains("roll-copy"), "one reading's keep of 2 drops the other's first")
        XCTAssertFalse(try kept(.only, keep: 2).contains("synth-copy"))
        for reading in [HashPianoRollReading.min, .rank] {
            XCTAssertEqual(Set(try kept(reading, keep: 2)), ["synth-copy", "roll-copy"], "\(reading)")
        }
        // min: both copies cost 0, then every other item at its smaller cost; mean: each copy at half its other cost.
        let min = try HashDTWStage(keep: 40, pianoRoll: .min).run(query, candidates: candidates, store: store)
        XCTAssertEqual(min.prefix(2).map(\.score), [0, 0])
        XCTAssertEqual(min.map(\.score), min.map(\.score).sorted())
        let off = Dictionary(uniqueKeysWithValues: try HashDTWStage(keep: 40).run(query, candidates: candidates, store: store).map { ($0.key, $0.score) })
        let only = Dictionary(uniqueKeysWithValues: try HashDTWStage(keep: 40, pianoRoll: .only).run(query, candidates: candidates, store: store).map { ($0.key, $0.score) })
        for c in try HashDTWStage(keep: 40, pianoRoll: .mean).run(query, candidates: candidates, store: store) {
            XCTAssertEqual(c.score, (off[c.key]! + only[c.key]!) / 2, accuracy: 1e-12, c.key)
        }
        // A query with no second reading (not a score; codes that are the piano roll's already) is read once, as
        // with pianoroll=off, rather than refused: the option must serve every query the task takes.
        var audio = query
        audio.analysis.kind = .audio
        XCTAssertNil(try QueryPianoRollCodes.shared.codes(of: audio.analysis, array: "hashes", model: "shipped", threads: 1))
        var rolled = query
        rolled.analysis.encoders["hashes"]?.settings["midi"] = HashEncoder.MIDIModality.pianoroll.rawValue
        XCTAssertNil(try QueryPianoRollCodes.shared.codes(of: rolled.analysis, array: "hashes", model: "shipped", threads: 1))
        for single in [audio, rolled] {
            let once = try HashDTWStage(keep: 2, pianoRoll: .min).run(single, candidates: candidates, store: store)
            XCTAssertEqual(once.map(\.key), try HashDTWStage(keep: 2).run(single, candidates: candidates, store: store).map(\.key))
            XCTAssertEqual(once.first?.key, "synth-copy")
            XCTAssertFalse(once.map(\.key).contains("roll-copy"))
        }
    }

    /// The learned MIDI task passes its `hashPianoRoll` to the stage (off: the seventeenth round's measurements), and
    /// a query's `--set hash-dtw.pianoroll=min` reaches it.
    func testTheHashedTaskPassesItsPianoRollReading() throws {
        let hash = try XCTUnwrap(HashedMIDIToAudioTask().stages(QueryOptions()).first { $0.stage == "hash-dtw" })
        XCTAssertEqual(try HashDTWStage(spec: hash).pianoRoll.rawValue, HashedMIDIToAudioTask.hashPianoRoll)
        XCTAssertEqual(try HashDTWStage(spec: hash).pianoRoll, .off)
        var set = hash
        set.options["pianoroll"] = "min"
        XCTAssertEqual(try HashDTWStage(spec: set).pianoRoll, .min)
    }

    func testEmbeddingWeightKeepsWhatTheEmbeddingRanksFirst() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, query, candidates, _) = try makeIndex(dir)
        let byHash = try HashDTWStage(keep: 40).run(query, candidates: candidates, store: store).map(\.key)
        let nearRank = try XCTUnwrap(byHash.firstIndex(of: "near"))
        XCTAssertGreaterThan(nearRank, 3, "the test needs the embedding's first item past the hash keep")
        XCTAssertFalse(try HashDTWStage(keep: 3).run(query, candidates: candidates, store: store).map(\.key).contains("near"))
        let fused = try HashDTWStage(keep: 3, embeddingWeight: 1, fusionK: 0.001).run(query, candidates: candidates, store: store).map(\.key)
        XCTAssertTrue(fused.contains("near"), "\(fused)")
        XCTAssertTrue(fused.contains("synth-copy"), "the hash's first stays: \(fused)")
    }

    func testOptionsAreParsedAndMalformedOnesRefused() throws {
        func stage(_ options: [String: String]) throws -> HashDTWStage { try HashDTWStage(spec: StageSpec(stage: "hash-dtw", options: options)) }
        XCTAssertEqual(try stage([:]).pianoRoll, .off, "off by default")
        XCTAssertEqual(try stage([:]).embeddingWeight, 0, "off by default")
        XCTAssertEqual(try stage(["pianoroll": "mean"]).pianoRoll, .mean)
        XCTAssertEqual(try stage(["pianoroll": "rank", "pianoroll_model": "/x.npz"]).pianoRollModel, "/x.npz")
        XCTAssertEqual(try stage(["embedding_weight": "0.5", "fusion_k": "30"]).embeddingWeight, 0.5)
        XCTAssertEqual(try stage(["embedding_weight": "0.5", "fusion_k": "30"]).fusionK, 30)
        for bad in [["pianoroll": "maybe"], ["embedding_weight": "-1"], ["embedding_weight": "x"], ["fusion_k": "0"],
                    ["pianoroll": "min", "relative_weight": "2"], ["pianoroll": "rank", "margin": "0.1"], ["embedding_weight": "1", "margin": "0.1"]] {
            XCTAssertThrowsError(try stage(bad), "\(bad)")
        }
        XCTAssertNoThrow(try stage(["pianoroll": "min", "margin": "0.1"]), "a combined cost can widen its keep by margin")
    }
}
