import Foundation
@testable import Refrain
import RefrainAlign
import RefrainIndex
import RefrainMath
import RefrainTestSupport
import XCTest

/// The stages and matchers added for issue 18: offset-consistent votes, stretched short queries, the
/// keep-best wrapper, the relative audio-match score, coarse-to-fine matching, version matching, and the
/// grouping of pieces that are one work.
final class RobustStagesTests: XCTestCase {
    /// A `frames x 12` CENS-like query of the given frames.
    func query(_ values: Matrix) -> SearchQuery {
        SearchQuery(analysis: ItemAnalysis(kind: .audio, duration: Double(values.rows) / 2,
                                           features: [CENSEncoder.name: FeatureSequence(values: values, hopLength: 1, sampleRate: 2)]))
    }

    /// Stores `sequences` as items of a features-npy index (CENS at 2 Hz) and returns the store and its stored features.
    func store(_ sequences: [Matrix], in dir: URL) throws -> (IndexStore, [StoredFeature]) {
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1",
                                                                             features: ["frame_rate": "2", "array": "cens"], shingles: nil))
        var features: [StoredFeature] = []
        for (n, values) in sequences.enumerated() {
            guard case .added(let item) = try store.add(key: "item\(n)", path: "/item\(n)", title: nil,
                                                        sha256: String(repeating: String(n % 10), count: 64),
                                                        analysis: ItemAnalysis(kind: .audio, duration: Double(values.rows) / 2, features: [
                                                            "cens": FeatureSequence(values: values, hopLength: 1, sampleRate: 2)])) else {
                throw XCTSkip("not added")
            }
            features.append(try store.feature("cens", of: item.id))
        }
        return (store, features)
    }

    func testConsistentVotesCountOnlyAgreeingOffsets() {
        XCTAssertEqual(ShingleVoteStage.consistentVotes([-40, 3, 5, 6, 8, 90, 91], window: 5).count, 4)
        XCTAssertEqual(ShingleVoteStage.consistentVotes([-40, 3, 5, 6, 8, 90, 91], window: 5).offset, 6)
        XCTAssertEqual(ShingleVoteStage.consistentVotes([1, 50, 100], window: Int.max).count, 3)
        XCTAssertEqual(ShingleVoteStage.consistentVotes([], window: 3).count, 0)
    }

    /// Records the CENS lengths its queries had and returns fixed candidates.
    final class Recorder: SearchStage, @unchecked Sendable {
        let name = "recorder"
        var lengths: [Int] = []
        var topKs: [Int] = []
        var output: [Candidate]
        init(output: [Candidate]) { self.output = output }
        func run(_ query: SearchQuery, candidates: [Candidate], store: IndexStore) throws -> [Candidate] {
            lengths.append(query.analysis.features[CENSEncoder.name]?.frameCount ?? 0)
            topKs.append(query.topK)
            return output
        }
    }

    func testShortQueriesVotePlayedSlowerAndLongOnesUnchanged() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try store([randomUnitFrames(30, dims: 12, seed: 1)], in: dir)
        let inner = Recorder(output: [Candidate(itemID: 1, key: "a", score: 0.5), Candidate(itemID: 2, key: "b", score: 0.2)])
        let stage = ShortQueryStage(inner, minimumFrames: 12, keep: 1)
        let out = try stage.run(query(randomUnitFrames(10, dims: 12, seed: 2)), candidates: [], store: store)
        XCTAssertEqual(inner.lengths, [14, 20], "stretched to minimum + 2 frames, and 1.4 times that")
        XCTAssertEqual(out.map(\.key), ["b"], "best first, cut to keep")
        _ = try stage.run(query(randomUnitFrames(40, dims: 12, seed: 3)), candidates: [], store: store)
        XCTAssertEqual(inner.lengths.last, 40)
        XCTAssertEqual(inner.lengths.count, 3)
    }

    func testKeepBestPassesTheBestDistinctItemsAndNarrowsTopK() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try store([randomUnitFrames(30, dims: 12, seed: 1)], in: dir)
        let inner = Recorder(output: [Candidate(itemID: 1, key: "a", score: 0.1), Candidate(itemID: 1, key: "a", score: 0.2),
                                      Candidate(itemID: 2, key: "b", score: 0.3), Candidate(itemID: 3, key: "c", score: 0.4)])
        let out = try KeepBestStage(inner, keep: 2).run(query(randomUnitFrames(20, dims: 12, seed: 2)), candidates: [], store: store)
        XCTAssertEqual(out.map(\.key), ["a", "b"])
        XCTAssertEqual(inner.topKs, [2])
    }

    /// With `pass` the first candidates given go on after the kept ones, once each, with the inner stage's score
    /// when it scored them and as given when it did not; without `pass` they do not. Through the registry,
    /// `version`'s `pass` makes it, and a negative one is refused.
    func testKeepBestPassesTheFirstCandidatesGivenWhateverTheirRank() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (store, _) = try store([randomUnitFrames(30, dims: 12, seed: 1)], in: dir)
        let inner = Recorder(output: [Candidate(itemID: 1, key: "a", score: 0.1), Candidate(itemID: 2, key: "b", score: 0.3),
                                      Candidate(itemID: 3, key: "c", score: 0.4), Candidate(itemID: 4, key: "d", score: 0.5)])
        let given = [Candidate(itemID: 4, key: "d", score: 9), Candidate(itemID: 1, key: "a", score: 9), Candidate(itemID: 5, key: "e", score: 7),
                     Candidate(itemID: 3, key: "c", score: 9)]
        let q = query(randomUnitFrames(20, dims: 12, seed: 2))
        XCTAssertEqual(try KeepBestStage(inner, keep: 2).run(q, candidates: given, store: store).map(\.key), ["a", "b"])
        let out = try KeepBestStage(inner, keep: 2, pass: 3).run(q, candidates: given, store: store)
        XCTAssertEqual(out.map(\.key), ["a", "b", "d", "e"])
        XCTAssertEqual(out.map(\.score), [0.1, 0.3, 0.5, 7])
        XCTAssertEqual(inner.topKs.last, 2, "the inner stage still sees topK = keep")
        let spec = StageSpec(stage: "version", options: ["keep": "10", "pass": "3"])
        XCTAssertEqual((try StageRegistry.refrain.cascade([spec], store: store).stages.first as? KeepBestStage)?.pass, 3)
        XCTAssertThrowsError(try StageRegistry.refrain.cascade([StageSpec(stage: "version", options: ["keep": "10", "pass": "-1"])], store: store))
    }

    func testRelativeScoreUsesTheMeanCostOfTheSpannedSubmatrix() throws {
        let item = randomUnitFrames(50, dims: 12, seed: 4), q = randomUnitFrames(8, dims: 12, seed: 5)
        let score = AudioMatchScore(relativeWeight: 2, item: item)
        let cost = try CostMatrix.compute(q, item, metric: .cosine)
        var sum = 0.0
        for i in 0..<8 { for j in 10...29 { sum += Double(cost[i, j]) } }
        let mean = sum / Double(8 * 20)
        XCTAssertEqual(score.score(costPerStep: 0.1, query: AudioMatchScore.columnSums(q), queryFrames: 8, span: 10...29),
                       0.1 + 2 * 0.1 / mean, accuracy: 1e-4)
        XCTAssertEqual(score.costLimit(0.9), 0.3, accuracy: 1e-12)
        XCTAssertEqual(AudioMatchScore(relativeWeight: 0, item: item).score(costPerStep: 0.1, query: [], queryFrames: 8, span: 1...2), 0.1)
    }

    /// Frames of either sign (CRP) can have a mean cosine cost up to 2, so early abandoning must allow more:
    /// a signed item's relative term is at least half the cost.
    func testCostLimitAllowsForFramesOfEitherSign() {
        let signed = Matrix(rowArrays: [[0.6, -0.8], [1, 0]])
        XCTAssertEqual(AudioMatchScore(relativeWeight: 2, item: signed).costLimit(0.9), 0.45, accuracy: 1e-12)
        // Opposite frames: the submatrix mean is 2, and the score stays within the limit's bound.
        let score = AudioMatchScore(relativeWeight: 2, item: Matrix(rowArrays: [[-1, 0], [-1, 0]]))
        XCTAssertEqual(score.score(costPerStep: 0.45, query: [1, 0], queryFrames: 1, span: 0...1), 0.45 + 2 * 0.45 / 2, accuracy: 1e-6)
    }

    /// Coarse to fine: when every version is refined it equals the full-rate search of the estimated keys;
    /// with the default two, it still finds a transposed, slower excerpt at its place.
    func testCoarseToFineEqualsTheFullSearchWhenEverythingIsRefined() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = randomUnitFrames(200, dims: 12, seed: 5)
        let (_, stored) = try store([database], in: dir)
        let excerpt = cyclicallyShifted(timeScaled(database.rows(60..<100), by: 1.2), by: -5)
        let q = query(excerpt)
        let item = [CENSEncoder.name: stored[0]]
        let full = try KeyInvariantMatcher(AudioMatchMatcher(relativeWeight: 1), maxShifts: 2).prepared(for: q)
            .matches(q, item: item, abandonAbove: .infinity)
        let everything = try CoarseToFineAudioMatcher(base: AudioMatchMatcher(relativeWeight: 1), keyShifts: 2, refine: 100).prepared(for: q)
            .matches(q, item: item, abandonAbove: .infinity)
        XCTAssertEqual(everything.map(\.score), Array(full.map(\.score).prefix(3)))
        XCTAssertEqual(everything.map(\.start), Array(full.map(\.start).prefix(3)))
        let fast = try CoarseToFineAudioMatcher(base: AudioMatchMatcher(relativeWeight: 1)).prepared(for: q)
            .matches(q, item: item, abandonAbove: .infinity)
        XCTAssertEqual(fast.first?.start ?? -1, 30, accuracy: 1)
        XCTAssertEqual(fast.first?.score ?? 9, full.first?.score ?? 0, accuracy: 0.01, "a neighbouring tempo version at most")
        XCTAssertEqual(try CoarseToFineAudioMatcher(spec: StageSpec(stage: "audio-match", options: ["key": "off"])).keyShifts, 0)
        XCTAssertThrowsError(try CoarseToFineAudioMatcher(spec: StageSpec(stage: "audio-match", options: ["key": "maybe"])))
    }

    /// The coarse pass abandons a version once it cannot beat the `refine`-th best so far; the versions it
    /// keeps must be those a full coarse ranking keeps: the matches equal a full-rate search of exactly the
    /// two tempo versions whose half-rate costs per step are lowest (computed here without the matcher).
    func testBoundedCoarsePassRefinesTheTwoBestCoarseVersions() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = randomUnitFrames(240, dims: 12, seed: 8)
        let (_, stored) = try store([database], in: dir)
        var excerpt = timeScaled(database.rows(90..<130), by: 1.15)
        let noise = randomUnitFrames(excerpt.rows, dims: 12, seed: 9)
        for r in 0..<excerpt.rows { for c in 0..<12 { excerpt[r, c] += 0.6 * noise[r, c] } }
        let q = query(excerpt)
        let base = AudioMatchMatcher()
        let coarseSearch = try SubsequenceSearch(database: CoarseToFineAudioMatcher.halved(database), metric: .cosine)
        let weights = StepWeights.nonDiagonalPenalty(base.penalty)
        let perStep = try base.tempoFactors.map { factor -> Double in
            let version = CoarseToFineAudioMatcher.halved(timeScaled(excerpt, by: factor))
            let best = try XCTUnwrap(coarseSearch.bestMatches(version, rows: 0..<version.rows, count: 1, weights: weights).first)
            return Double(best.cost) / Double(version.rows)
        }
        let two = perStep.indices.sorted { perStep[$0] < perStep[$1] }.prefix(2)
        var reference = base
        reference.tempoFactors = two.map { base.tempoFactors[$0] }
        let expected = try reference.prepared(for: q).matches(q, item: [CENSEncoder.name: stored[0]], abandonAbove: .infinity)
        let got = try CoarseToFineAudioMatcher(base: base, keyShifts: 0, refine: 2).prepared(for: q)
            .matches(q, item: [CENSEncoder.name: stored[0]], abandonAbove: .infinity)
        XCTAssertFalse(got.isEmpty)
        XCTAssertEqual(got.map(\.score), expected.map(\.score))
        XCTAssertEqual(got.map(\.start), expected.map(\.start))
    }

    /// A whole sequence played 15 % faster and 3 semitones higher is its source's version, not another piece's.
    func testVersionMatcherRanksTheSourceFirstInAnyKey() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pieces = (0..<5).map { randomUnitFrames(120 + 10 * $0, dims: 12, seed: UInt64(40 + $0)) }
        let (_, stored) = try store(pieces, in: dir)
        let version = cyclicallyShifted(timeScaled(pieces[2], by: 1 / 1.15), by: 3)
        let q = query(version)
        for method in ["banded", "raffel"] {
            let matcher = try KeyInvariantMatcher(VersionMatcher(spec: StageSpec(stage: "version", options: ["method": method])),
                                                  window: .whole).prepared(for: q)
            let scores = try stored.map { try matcher.matches(q, item: [CENSEncoder.name: $0], abandonAbove: .infinity).first?.score ?? .infinity }
            XCTAssertEqual(scores.indices.min { scores[$0] < scores[$1] }, 2, "\(method): \(scores)")
        }
        XCTAssertThrowsError(try VersionMatcher(spec: StageSpec(stage: "version", options: ["method": "fast"])))
    }

    func testGlobalKeyShinglesIgnoreTranspositionOfTheWholeSequence() {
        // Frames weighted towards the C major scale, so that the sequence has a clear key.
        var random = SplitMix64(seed: 9)
        let scale: Set<Int> = [0, 2, 4, 5, 7, 9, 11]
        var piece = Matrix(rows: 40, cols: 12) { _, c in Float(random.uniform(0...1)) * (scale.contains(c) ? 1 : 0.1) + (c == 0 ? 1 : 0) }
        for r in 0..<piece.rows {
            let n = piece.row(r).reduce(0) { $0 + $1 * $1 }.squareRoot()
            for c in 0..<12 { piece[r, c] /= n }
        }
        let starts = Shingles.starts(frames: 40, length: 10, hop: 5)
        let reference = piece.storage.withUnsafeBufferPointer { ShingleTransform.globalKey.indexShingles($0, dims: 12, length: 10, starts: starts) }
        for k in [2, 7] {
            let moved = cyclicallyShifted(piece, by: k)
            let keys = moved.storage.withUnsafeBufferPointer { ShingleTransform.globalKey.indexShingles($0, dims: 12, length: 10, starts: starts) }
            XCTAssertEqual(keys, reference, "moved by \(k)")
            let (queryStarts, variants) = ShingleTransform.globalKey.queryShingles(moved, length: 10, hop: 5, alternatives: 2)
            XCTAssertEqual(queryStarts, starts)
            XCTAssertEqual(variants.count, 2)
            XCTAssertEqual(variants[0], reference)
        }
    }

    func testPiecesWithTheSameNotesAreOneWork() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let tune = BuiltInTune.all[0], other = BuiltInTune.all[1]
        try tune.score().write(to: dir.appendingPathComponent("a.mid"))
        try tune.score(melodyProgram: 40).transposed(by: 5).scalingTempo(by: 1.2).write(to: dir.appendingPathComponent("b.mid"))
        try other.score().write(to: dir.appendingPathComponent("c.mid"))
        let works = try RealisticSet.works(try RealisticSet.midiFiles(in: dir))
        XCTAssertEqual(works, ["a": "a", "b": "a", "c": "c"])
    }

    func testArrangementEditsKeepTheTimingAndSayWhatChanged() throws {
        let score = try BuiltInTune.all[2].score()
        var random = SplitMix64(seed: 3)
        var labels = Set<String>()
        for _ in 0..<40 {
            let edit = ArrangementEdit.draw(for: score, changeProbability: 0.8, using: &random)
            let edited = try edit.applied(to: score)
            labels.insert(edit.label)
            XCTAssertEqual(edited.endTime, score.endTime, accuracy: 1e-9)
            XCTAssertEqual(edited.instruments.count, score.instruments.count + (edit.doubled != nil ? 1 : 0) - (edit.dropped != nil ? 1 : 0))
        }
        XCTAssertTrue(labels.contains("as written"))
        XCTAssertTrue(labels.contains { $0.contains("doubled") })
        XCTAssertTrue(labels.contains { $0.contains("dropped") })
    }
}
