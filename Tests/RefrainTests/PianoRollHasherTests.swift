import Foundation
@testable import Refrain
import RefrainLearn
import RefrainMath
import RefrainSymbolic
import RefrainTestSupport
import XCTest

/// The hasher's piano-roll network (Raffel & Ellis, NIPS workshop 2015): the shipped model against an
/// independent NumPy forward pass, its pairing with the audio hasher it was trained against, the piano roll on
/// a rendition's clock, and a seeded training run against a frozen audio network.
final class PianoRollHasherTests: XCTestCase {
    // MARK: The shipped model

    /// The shipped piano-roll hasher loads from the program's resources paired with the shipped hasher, its
    /// SHA-256 is the reference's, and its network gives the NumPy reference's outputs
    /// (scripts/reference/hasher_forward.py .../pianoroll-hasher.npz) within 1e-4, with the same codes wherever
    /// an output is clearly away from zero.
    func testShippedModelReproducesTheNumPyReference() throws {
        let hasher = try HashEncoder.shipped()
        let pianoRoll = try PianoRollHasher.shipped(audioHasher: hasher.model)
        let encoder = try HashEncoder(model: hasher.model, pianoRoll: pianoRoll)
        let data = try Data(contentsOf: Fixtures.url("learned/pianoroll-hasher-reference.json"))
        let reference = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(pianoRoll.model.sha256, reference["sha256"] as? String, "the fixture was made from another model: rerun the script")
        let frames = try XCTUnwrap(reference["frames"] as? Int)
        let x = Matrix(rows: frames, cols: LearnedInput.bins, storage: try XCTUnwrap(reference["input"] as? [Double]).map(Float.init))
        let expected = try XCTUnwrap(reference[PianoRollHasherTraining.role] as? [String: Any])
        let outputs = try XCTUnwrap(expected["outputs"] as? [Double])
        let codes = try XCTUnwrap(expected["codes"] as? [Int])
        let bits = try XCTUnwrap(expected["bits"] as? Int)
        let ours = try encoder.outputs(frames: x, role: PianoRollHasherTraining.role)
        XCTAssertEqual(ours.storage.count, outputs.count)
        var worst: Double = 0
        for (a, b) in zip(ours.storage, outputs) { worst = max(worst, abs(Double(a) - b)) }
        XCTAssertLessThan(worst, 1e-4, "largest difference from NumPy")
        let ourCodes = try encoder.codes(frames: x, role: PianoRollHasherTraining.role)
        XCTAssertEqual(ourCodes.count, codes.count)
        for s in 0..<codes.count where (0..<bits).allSatisfy({ abs(outputs[s * bits + $0]) > 1e-3 }) {
            XCTAssertEqual(Int(ourCodes[s]), codes[s], "step \(s)")
        }
    }

    /// `midi=pianoroll` records the piano-roll model beside the hasher; the default records what it always did
    /// (so every index made before stays valid), and an index whose scores were hashed by another piano-roll
    /// model is refused with the `refrain reindex` advice.
    func testRecordsKeepOldIndexesAndNameThePianoRollModel() throws {
        XCTAssertEqual(try HashEncoder(settings: ["model": "shipped"]).record.settings, ["model": "shipped"])
        XCTAssertEqual(try HashEncoder(settings: [:]).midiModality, .synth)
        let encoder = try HashEncoder(settings: ["midi": "pianoroll"])
        XCTAssertEqual(encoder.midiModality, .pianoroll)
        let record = encoder.record
        XCTAssertEqual(record.settings["midi"], "pianoroll")
        XCTAssertEqual(record.settings["pianoroll_sha256"], try PianoRollHasher.shipped(audioHasher: encoder.model).model.sha256)
        XCTAssertNoThrow(try EncoderRegistry.learned.encoders(for: [record], directory: "idx"))
        var other = record
        other.settings["pianoroll_sha256"] = String(repeating: "0", count: 64)
        XCTAssertThrowsError(try EncoderRegistry.learned.encoders(for: [other], directory: "idx")) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("refrain reindex idx") ?? false, "\(error)")
        }
        XCTAssertThrowsError(try HashEncoder(settings: ["midi": "roll"]))
    }

    /// A score is hashed from its piano roll without rendering: the codes are the piano-roll network's on
    /// `LearnedInput.rollFrames`, a recording's are the audio network's either way.
    func testScoresAreHashedFromTheirPianoRoll() throws {
        let encoder = try HashEncoder(settings: ["midi": "pianoroll"])
        let tune = try XCTUnwrap(BuiltInTune.all.first)
        let score = try tune.score()
        let source = try AnalysisSource(score: score, bytes: nil, name: tune.key, renderers: nil, threads: 1)
        guard case .codes(let sequence) = try encoder.encode(source) else { return XCTFail("no codes") }
        let expected = try encoder.codes(frames: LearnedInput.rollFrames(score), role: PianoRollHasherTraining.role)
        XCTAssertEqual(sequence.array.values(as: UInt16.self), expected)
    }

    /// A piano-roll model trained against another audio hasher is refused, whether given directly or through
    /// an index's settings, with a sentence naming both hashers.
    func testAPianoRollModelOfAnotherAudioHasherIsRefused() throws {
        let hasher = try HashEncoder.shipped().model
        let network = try Network(LearnedArchitectures.hasher(frames: 16, width: 8, bits: 16), seed: 1)
        let foreign = try LearnedModel(kind: PianoRollHasherTraining.kind, networks: [PianoRollHasherTraining.role: network],
                                       metadata: [PianoRollHasherTraining.audioHasherKey: String(repeating: "ab", count: 32)])
        XCTAssertThrowsError(try PianoRollHasher(model: foreign, source: "foreign.npz", audioHasher: hasher)) { error in
            let message = (error as? RefrainError)?.message ?? ""
            XCTAssertTrue(message.contains("foreign.npz") && message.contains("trained against the audio hasher abababababab")
                          && message.contains(String(hasher.sha256.prefix(12))), message)
        }
        let dir = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("foreign.npz")
        try foreign.write(to: file)
        XCTAssertThrowsError(try HashEncoder(settings: ["midi": "pianoroll", "pianoroll_model": file.path])) { error in
            XCTAssertTrue((error as? RefrainError)?.message.contains("trained against the audio hasher") ?? false, "\(error)")
        }
        // The same network, recorded as trained against the shipped hasher, is accepted.
        let paired = try LearnedModel(kind: PianoRollHasherTraining.kind, networks: [PianoRollHasherTraining.role: network],
                                      metadata: [PianoRollHasherTraining.audioHasherKey: hasher.sha256])
        XCTAssertNoThrow(try PianoRollHasher(model: paired, source: "paired.npz", audioHasher: hasher))
    }
}
