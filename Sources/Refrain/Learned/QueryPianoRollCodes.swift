import Foundation
import RefrainIndex
import RefrainSymbolic

/// The piano-roll hash codes of a MIDI query, for `hash-dtw`'s second reading (`HashPianoRollReading`; issue 20,
/// seventeenth round): the query's score (the MIDI bytes its analysis keeps) read into its octave-folded piano roll
/// (`LearnedInput.rollFrames`, `frames x 48` at 21.5 frames per second) and hashed by the piano-roll network paired
/// with the hasher that wrote the query's `hashes` codes (`PianoRollHasher`; Raffel & Ellis, NIPS 2015 workshop):
/// one 16-bit code per 4 frames, in the same code space as the index's recordings. No synthesizer is involved.
/// The encoders are made once per hasher record and kept while the process runs.
final class QueryPianoRollCodes: @unchecked Sendable {
    static let shared = QueryPianoRollCodes()

    private var encoders: [String: HashEncoder] = [:]
    private let lock = NSLock()

    /// The piano-roll codes of `analysis`'s score, for the `array` codes its hasher (`analysis.encoders[array]`)
    /// wrote; `model` names the piano-roll network ("shipped" or a model file's path). Nil where no second reading
    /// exists: the query is not a score, its hash codes came from the piano roll already (an index made with
    /// `--midi-hashes pianoroll`), or the score is under 0.4 s (the stage then reads the query once).
    /// - Throws: `RefrainError.invalidArgument` when the query has no record of its hasher; the piano-roll model's
    ///   errors when it cannot be loaded or was trained against another hasher.
    func codes(of analysis: ItemAnalysis, array: String, model: String, threads: Int) throws -> [UInt16]? {
        guard let record = analysis.encoders[array] else {
            throw RefrainError.invalidArgument("hash-dtw: the query has no '\(array)' encoder record, so its hasher is unknown")
        }
        // The query's codes are the piano roll's already, or there is no score to read.
        guard record.settings["midi"] != HashEncoder.MIDIModality.pianoroll.rawValue,
              analysis.kind == .midi, let bytes = analysis.blobs["midi"] else { return nil }
        let encoder = try encoder(for: record, model: model)
        let score = try MIDIScore(data: bytes, name: "the query's score")
        let frames = LearnedInput.rollFrames(score)
        // Too short for the piano-roll network.
        guard frames.rows >= LearnedInference.minimumFrames else { return nil }
        return try encoder.codes(frames: frames, role: PianoRollHasherTraining.role, threads: threads)
    }

    /// What identifies the piano-roll encoder for `record`'s hasher and `model`.
    private static func key(_ record: EncoderRecord, model: String) -> String {
        record.settings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ";") + ";" + (record.weightsSHA256 ?? "") + ";" + model
    }

    private func encoder(for record: EncoderRecord, model: String) throws -> HashEncoder {
        var settings = record.settings
        settings["midi"] = HashEncoder.MIDIModality.pianoroll.rawValue
        settings["pianoroll_model"] = model
        let key = Self.key(record, model: model)
        lock.lock()
        defer { lock.unlock() }
        if let known = encoders[key] { return known }
        let made = try HashEncoder(settings: settings)
        if let sha = record.weightsSHA256, made.model.sha256 != sha {
            throw RefrainError.invalidArgument("hash-dtw: the query's hasher \(sha.prefix(12)) is not the one its settings load (\(made.model.sha256.prefix(12)))")
        }
        encoders[key] = made
        return made
    }
}
