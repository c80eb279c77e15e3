import Foundation
@testable import Refrain
import RefrainAudio
import RefrainIndex
import RefrainLearn
import RefrainMath
import RefrainTestSupport
import XCTest

/// The learned embedder (Raffel & Ellis 2016): the shipped model against an independent NumPy forward pass,
/// refusals of damaged and foreign model files, the embedding stage with every item kept against the stage
/// after it alone, and a seeded training run that separates matching from non-matching pieces.
final class LearnedEmbedderTests: XCTestCase {
    /// The shipped embedder loads from the program's resources with the SHA-256 the reference was made with,
    /// and both networks give the NumPy reference's unit vectors (scripts/reference/embedder_forward.py, 300
    /// frames, not the training window) within 1e-4 per value.
    func testShippedEmbedderReproducesTheNumPyReference() throws {
        let encoder = try EmbeddingEncoder.shipped()
        let data = try Data(contentsOf: Fixtures.url("learned/embedder-reference.json"))
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(encoder.model.sha256, reference["sha256"] as? String, "the fixture was made from another model: rerun the script")
        XCTAssertEqual(encoder.record.weightsSHA256, encoder.model.sha256)
        XCTAssertEqual(encoder.dimensions, 128)
        let frames = try XCTUnwrap(reference["frames"] as? Int)
        let input = try XCTUnwrap(reference["input"] as? [Double]).map(Float.init)
        let x = Matrix(rows: frames, cols: LearnedInput.bins, storage: input)
        for role in ["audio", "synth"] {
            let expected = try XCTUnwrap((reference[role] as? [String: Any])?["embedding"] as? [Double])
            let ours = try encoder.embedding(frames: x, role: role)
            XCTAssertEqual(ours.count, expected.count, role)
            var worst: Double = 0
            for (a, b) in zip(ours, expected) { worst = max(worst, abs(Double(a) - b)) }
            XCTAssertLessThan(worst, 1e-4, "\(role): largest difference from NumPy")
            XCTAssertEqual(Double(ours.reduce(0) { $0 + $1 * $1 }), 1, accuracy: 1e-5, "\(role): unit norm")
        }
    }

    /// The hasher and the embedder read one set of learned-input frames per analysis source (round 7: each
    /// computed its own CQT of the same audio, twice per query): frames already in the source's shared features
    /// are the ones both encode, and a fresh source's frames are the CQT of its audio.
    func testHasherAndEmbedderShareTheSourcesFrames() throws {
        let embedder = try EmbeddingEncoder.shipped(), hasher = try HashEncoder.shipped()
        let signal = AudioSignal(samples: (0..<44_100).map { Float(0.5 * sin(Double($0) * 0.06)) }, sampleRate: LearnedInput.sampleRate)
        let planted = Matrix(rows: 64, cols: LearnedInput.bins, storage: (0..<(64 * LearnedInput.bins)).map { Float(($0 * 7) % 13) / 13 })
        let source = AnalysisSource(signal: signal, name: "tone", threads: 1)
        _ = source.sharedFeature(LearnedInput.sharedName) {
            FeatureSequence(values: planted, hopLength: LearnedInput.hop, sampleRate: LearnedInput.sampleRate)
        }
        guard case .features(let vector) = try embedder.encode(source) else { return XCTFail("the embedder gives features") }
        XCTAssertEqual(vector.values.storage, try embedder.embedding(frames: planted, role: "audio"))
        guard case .codes(let hashes) = try hasher.encode(source) else { return XCTFail("the hasher gives codes") }
        let expected = try hasher.codes(frames: planted, role: "audio")
        XCTAssertEqual(hashes.array, NPYArray(expected, shape: [expected.count, 1]))
        let fresh = AnalysisSource(signal: signal, name: "tone", threads: 1)
        XCTAssertEqual(try LearnedInput().audioFrames(of: fresh).storage, try LearnedInput().audioFrames(signal, threads: 1).storage)
    }

    /// A cut embedder file, a hasher given as an embedder and an embedder given as a hasher are refused with
    /// one sentence naming the file.
    func testCutAndForeignEmbedderFilesAreRefused() throws {
        let embedder = try EmbeddingEncoder.shipped().model
        let bytes = try embedder.encoded()
        for cut in [bytes.prefix(bytes.count / 2), bytes.prefix(100)] {
            XCTAssertThrowsError(try LearnedModel.decode(Data(cut), name: "cut.npz", expecting: "embedder")) { error in
                let message = (error as? RefrainError)?.message ?? ""
                XCTAssertTrue(message.contains("cut.npz"), "\(error)")
                XCTAssertFalse(message.dropLast().contains("\n"), "one sentence: \(message)")
            }
        }
        let hasher = try HashEncoder.shipped().model
        XCTAssertThrowsError(try LearnedModel.decode(try hasher.encoded(), name: "hasher.npz", expecting: "embedder")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("holds a hasher model") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try EmbeddingEncoder(model: hasher, source: "hasher.npz")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("not an embedder") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try HashEncoder(model: embedder, source: "embedder.npz")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("not a hasher") ?? false, "\(error)")
        }
    }

    /// `embedding-nn` keeping every item (exact scan and HNSW graph alike) hands `hash-dtw` every candidate,
    /// so the two stages rank as `hash-dtw` alone; keeping `k` keeps the `k` nearest vectors.
    func testEmbeddingStageKeepingEveryItemEqualsTheNextStageAlone() throws {
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try IndexStore.create(at: dir, settings: IndexSettings(analyzer: "features-npy/1", features: ["frame_rate": "5", "array": "cens"],
                                                                                   shingles: nil))
        var random = SplitMix64(seed: 21)
        let dims = 8
        func unit() -> [Float] {
            let v = (0..<dims).map { _ in Float(random.uniform(-1...1)) }
            let norm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
            return v.map { $0 / norm }
        }
        let queryCodes = (0..<25).map { _ in UInt16(truncatingIfNeeded: random.next()) }
        let queryVector = unit()
        var vectors: [String: [Float]] = [:]
        for k in 0..<60 {
            let length = 10 + Int(random.next() % 40)
            let codes: [UInt16] = (0..<length).map { i in
                k % 5 == 0 ? queryCodes[i * queryCodes.count / length] ^ UInt16(1 << (random.next() % 16)) : UInt16(truncatingIfNeeded: random.next())
            }
            let vector = unit()
            vectors["item\(k)"] = vector
            let analysis = ItemAnalysis(kind: .audio, duration: Double(length) / 5,
                                        features: ["cens": FeatureSequence(values: Matrix(rows: 2, cols: 12, repeating: 0.1), times: [0, 0.2]),
                                                   "embedding": FeatureSequence(values: Matrix(rows: 1, cols: dims, storage: vector), times: [0])],
                                        codes: ["hashes": try CodeSequence(array: NPYArray(codes, shape: [length, 1]),
                                                                           times: (0..<length).map { Double($0) / 5 })])
            try store.add(key: "item\(k)", path: "/item\(k)", title: nil, sha256: String(format: "%064d", k), analysis: analysis)
        }
        let candidates = try store.itemKeys().map { Candidate(itemID: $0.id, key: $0.key) }
        let queryAnalysis = ItemAnalysis(kind: .midi, duration: 5,
                                         features: ["embedding": FeatureSequence(values: Matrix(rows: 1, cols: dims, storage: queryVector), times: [0])],
                                         codes: ["hashes": try CodeSequence(array: NPYArray(queryCodes, shape: [queryCodes.count, 1]),
                                                                            times: (0..<queryCodes.count).map { Double($0) / 5 })])
        let search = SearchQuery(analysis: queryAnalysis, topK: 10, threads: 2)
        let alone = try HashDTWStage(keep: 1000).run(search, candidates: candidates, store: store)
        for exactBelow in [Int.max, 0] {
            let embedded = try EmbeddingNNStage(keep: 1000, exactBelow: exactBelow).run(search, candidates: candidates, store: store)
            XCTAssertEqual(Set(embedded.map(\.key)), Set(candidates.map(\.key)), "every item kept (exact-below \(exactBelow))")
            let after = try HashDTWStage(keep: 1000).run(search, candidates: embedded, store: store)
            XCTAssertEqual(after.map(\.key), alone.map(\.key), "exact-below \(exactBelow)")
            XCTAssertEqual(after.map(\.score), alone.map(\.score))
        }
        // Keeping 7: the 7 nearest vectors, nearest first.
        func distance(_ v: [Float]) -> Double { Double(zip(v, queryVector).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()) }
        let nearest = vectors.sorted { distance($0.value) < distance($1.value) }.prefix(7).map(\.key)
        let kept = try EmbeddingNNStage(keep: 7, exactBelow: Int.max).run(search, candidates: candidates, store: store)
        XCTAssertEqual(kept.map(\.key), nearest)
        for c in kept { XCTAssertEqual(c.score, distance(vectors[c.key]!), accuracy: 1e-5) }
        // The default keep: 2,000 or a fifth of the collection, so all 60 here.
        XCTAssertEqual(try EmbeddingNNStage(spec: StageSpec(stage: "embedding-nn")).run(search, candidates: candidates, store: store).count, 60)
        XCTAssertEqual([9_999, 10_000, 20_000, 100_000, 1_000_000].map(EmbeddingNNStage.autoKeep), [2000, 2000, 4000, 20_000, 200_000])
        // A query without an embedding is refused with a sentence.
        XCTAssertThrowsError(try EmbeddingNNStage().run(SearchQuery(analysis: ItemAnalysis(kind: .midi, duration: 1, features: [:])),
                                                        candidates: candidates, store: store))
    }

    /// An embedder trained from a fixed seed on 12 synthetic pieces embeds 6 held-out pieces (whole recording
    /// against whole score, each at its own tempo) so that at least 4 of 6 recordings find their own score
    /// nearest (chance: 1 in 6) and matching pairs are on average closer than non-matching ones; the same seed
    /// gives the same model bit for bit.
    func testSeededEmbedderTrainingSeparatesHeldOutPieces() throws {
        let train = LearnedHasherTests.syntheticPieces(12, seed: 1), validation = LearnedHasherTests.syntheticPieces(4, seed: 2)
        let test = LearnedHasherTests.syntheticPieces(6, seed: 3)
        let options = Self.smallOptions()
        let result = try EmbedderTraining.train(train: train, validation: validation, options: options)
        let again = try EmbedderTraining.train(train: train, validation: validation, options: options)
        XCTAssertEqual(result.model.sha256, again.model.sha256, "same seed, same model")
        let (top1, matching, nonMatching) = try Self.heldOut(result.model, test)
        XCTAssertGreaterThanOrEqual(top1, 4, "held-out recordings nearest their own score (validation best MRR \(result.bestMRR))")
        XCTAssertLessThan(matching, nonMatching)
    }

    /// Training continued from an embedder (`initialEmbedder`) on windows of varied lengths, each modality on
    /// its own clock (`shortestWindowFrames`): it starts from that embedder's weights and input
    /// standardisation (its first validation beats an untrained network's on the same windows), records
    /// both in its metadata, and still separates held-out pieces (at least 4 of 6 nearest their own score).
    func testContinuedTrainingOnVariedWindows() throws {
        let train = LearnedHasherTests.syntheticPieces(12, seed: 1), validation = LearnedHasherTests.syntheticPieces(4, seed: 2)
        let test = LearnedHasherTests.syntheticPieces(6, seed: 3)
        var options = Self.smallOptions()
        options.maxSteps = 200
        let first = try EmbedderTraining.train(train: train, validation: validation, options: options)
        options.windowFrames = 160
        options.shortestWindowFrames = 32
        options.maxSteps = 100
        let fresh = try EmbedderTraining.train(train: train, validation: validation, options: options)
        options.initialEmbedder = first.model
        let continued = try EmbedderTraining.train(train: train, validation: validation, options: options)
        XCTAssertGreaterThan(continued.curve[0].validationMRR, fresh.curve[0].validationMRR + 0.1,
                             "starts from the first model (untrained: \(fresh.curve[0].validationMRR))")
        XCTAssertEqual(continued.model.metadata["initial_embedder"], first.model.sha256)
        XCTAssertEqual(continued.model.metadata["shortest_window_frames"], "32")
        for key in ["audio.input_mean", "synth.input_deviation"] {
            XCTAssertEqual(continued.model.metadata[key], first.model.metadata[key], "\(key) kept")
        }
        XCTAssertGreaterThanOrEqual(try Self.heldOut(continued.model, test).top1, 4, "held-out recordings nearest their own score")
    }

    /// The seeded training tests' options: 32-unit layers, 16 dimensions, 64-frame windows, batches of 8, 300
    /// steps validated every 50 on 32 windows, learning rate 1e-3, seed 5.
    static func smallOptions() -> EmbedderTrainingOptions {
        var options = EmbedderTrainingOptions()
        options.width = 32
        options.dimensions = 16
        options.windowFrames = 64
        options.batch = 8
        options.maxSteps = 300
        options.validateEvery = 50
        options.validationWindows = 32
        options.learningRate = 1e-3
        options.seed = 5
        return options
    }

    /// Whole held-out pieces embedded by `model` (each recording against every score, each at its own tempo):
    /// how many recordings find their own score nearest, and the mean distance of matching and of
    /// non-matching pairs.
    static func heldOut(_ model: LearnedModel, _ test: [TrainingPiece]) throws -> (top1: Int, matching: Float, nonMatching: Float) {
        let encoder = try EmbeddingEncoder(model: model, source: "test")
        let audio = try test.map { try encoder.embedding(frames: $0.renditions[0].audio, role: "audio") }
        let synth = try test.map { try encoder.embedding(frames: $0.synth, role: "synth") }
        func distance(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot() }
        var top1 = 0, matching: Float = 0, nonMatching: Float = 0
        for i in 0..<test.count {
            let d = synth.map { distance(audio[i], $0) }
            if d.indices.min(by: { d[$0] < d[$1] }) == i { top1 += 1 }
            matching += d[i] / Float(test.count)
            nonMatching += (d.reduce(0, +) - d[i]) / Float(test.count * (test.count - 1))
        }
        return (top1, matching, nonMatching)
    }
}
