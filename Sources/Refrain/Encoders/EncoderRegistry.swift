import Foundation
import RefrainIndex
import RefrainMath

/// The encoders this program has, by name: each with its current version and a factory that builds it from
/// the settings an index recorded. Opening an index checks every recorded encoder against this registry
/// (`encoders(for:)`), so that a query is encoded exactly as the collection was, or refused with a sentence
/// saying how to re-encode.
public struct EncoderRegistry: Sendable {
    public typealias Factory = @Sendable (_ settings: [String: String]) throws -> any MusicEncoder

    public struct Entry: Sendable {
        public var name: String
        public var version: Int
        /// One line: what the encoder computes.
        public var summary: String
        /// Whether a new index of audio and MIDI gets it.
        public var isDefault: Bool
        let factory: Factory
    }

    private var entries: [String: Entry] = [:]

    public init() {}

    public mutating func register(_ name: String, version: Int, summary: String, isDefault: Bool = true,
                                  factory: @escaping Factory) {
        entries[name] = Entry(name: name, version: version, summary: summary, isDefault: isDefault, factory: factory)
    }

    /// `cqt_beats`, `cens`, `cens_fine`, `crp`, `crp_coarse` and `melody` (the defaults of a new index), and the learned `hashes` (on request: an
    /// index made with `EncoderRegistry.learned` has them, and this registry opens it).
    public static var standard: EncoderRegistry {
        var registry = EncoderRegistry()
        registry.register(CQTBeatsEncoder.name, version: CQTBeatsEncoder.version,
                          summary: "beat-synchronous log-CQT, 48 bins from C2 (Raffel & Ellis 2015)") { settings in
            try CQTBeatsEncoder(settings: try CQTBeatsEncoder.Settings(settings))
        }
        registry.register(CENSEncoder.name, version: CENSEncoder.version,
                          summary: "CENS chroma at about 2.15 frames per second (Müller, Kurth & Clausen 2005)") { settings in
            try CENSEncoder(settings: try CENSEncoder.Settings(settings))
        }
        registry.register(FineCENSEncoder.name, version: FineCENSEncoder.version,
                          summary: "CENS chroma at about 5.4 frames per second, smoothed over 0.84 s (short audio excerpts)") { settings in
            try FineCENSEncoder(recorded: settings)
        }
        registry.register(CRPEncoder.name, version: CRPEncoder.version,
                          summary: "CRP chroma (DCT-reduced log pitch, Müller & Ewert 2010) at about 5.4 frames per second: timbre-robust") { settings in
            try CRPEncoder(settings: try CRPEncoder.Settings(settings))
        }
        registry.register(CoarseCRPEncoder.name, version: CoarseCRPEncoder.version,
                          summary: "CRP chroma at about 2.15 frames per second, smoothed over 2 s (audio matching's first stage)") { settings in
            try CoarseCRPEncoder.make(recorded: settings)
        }
        registry.register(MelodyEncoder.name, version: MelodyEncoder.version,
                          summary: "melody notes: a score's melody-part skylines, a hum's pYIN notes (query by humming)") { settings in
            try MelodyEncoder(settings: try MelodyEncoder.Settings(settings))
        }
        registry.registerHashes(isDefault: false)
        registry.registerEmbedding(isDefault: false)
        return registry
    }

    public var names: [String] { entries.keys.sorted() }

    public func entry(_ name: String) -> Entry? { entries[name] }

    /// The encoder `name` at its default settings.
    public func make(_ name: String, settings: [String: String] = [:]) throws -> any MusicEncoder {
        guard let entry = entries[name] else {
            throw RefrainError.invalidArgument("unknown encoder '\(name)' (known: \(names.joined(separator: ", ")))")
        }
        return try entry.factory(settings)
    }

    /// The encoders a new index of audio and MIDI gets, at their default settings.
    public func defaults() throws -> [any MusicEncoder] {
        try entries.values.filter(\.isDefault).map(\.name).sorted().map { try make($0) }
    }

    /// The encoders an index recorded, rebuilt from its settings, after checking that this program's
    /// encoders produce the same arrays: same version, same weights. `directory` names the index in the
    /// error, which tells the user to run `refrain reindex`.
    public func encoders(for records: [EncoderRecord], directory: String) throws -> [any MusicEncoder] {
        try records.map { record in
            guard let entry = entries[record.name] else {
                throw RefrainError(.index, "\(directory) was encoded with '\(record.identity)', which this Refrain does not have "
                                   + "(it has \(names.joined(separator: ", "))); use the Refrain that made it, or run `refrain reindex \(directory)`")
            }
            let encoder: any MusicEncoder
            do { encoder = try entry.factory(record.settings) } catch let error as RefrainError {
                throw RefrainError(.index, "\(directory): \(error.message); run `refrain reindex \(directory)` to re-encode it with this Refrain's settings")
            }
            if let difference = record.difference(from: encoder.record) {
                throw RefrainError(.index, "\(directory) was encoded with \(record.identity), this Refrain has \(encoder.record.identity): "
                                   + "\(difference); run `refrain reindex \(directory)` to re-encode its items")
            }
            return encoder
        }
    }
}
