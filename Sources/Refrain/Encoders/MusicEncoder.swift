import Foundation
import RefrainIndex
import RefrainMath

/// What an encoder produces for one input: a feature sequence (`frames x dims` floats with frame times) or a
/// sequence of integer codes (hash sequences).
public enum EncodedArray: Sendable {
    case features(FeatureSequence)
    case codes(CodeSequence)

    /// Frames of the sequence.
    public var frameCount: Int {
        switch self {
        case .features(let sequence): return sequence.frameCount
        case .codes(let codes): return codes.frameCount
        }
    }
}

/// A named, versioned part that turns an input into one stored array (`cqt_beats`, `cens`, later hash
/// sequences, embeddings, melodies): the same code encodes the indexed items and the queries, and an index
/// records each encoder's `record` so that a program whose encoders differ refuses to search it.
///
/// Implementations must be thread-safe (the engine encodes several inputs at once, each from its own
/// `AnalysisSource`) and deterministic for a given input and settings.
public protocol MusicEncoder: Sendable {
    /// Name, version, settings, weights hash, values per frame and storage type.
    var record: EncoderRecord { get }
    /// The kinds of input the encoder reads.
    var inputs: Set<InputKind> { get }
    /// Encodes `source` (reading what it needs from it: audio at its rate, the score, beats ...).
    func encode(_ source: AnalysisSource) throws -> EncodedArray
}

extension MusicEncoder {
    /// The stored array's name (the encoder's name).
    public var name: String { record.name }
}

/// An encoder whose CQT can be computed while a score renders (`AnalysisSource.computeWhileRendering`, asked
/// for by `MusicAnalyzer.analysis`): `cqt_beats` and `cens`.
protocol CQTWhileRenderingEncoder {
    /// The transform the encoder reads and where the source keeps its magnitude.
    var streamedCQT: AnalysisSource.StreamedCQT { get }
}

/// Reads an encoder's settings from the text an index records, refusing unknown keys and malformed values
/// (an index whose settings this program does not understand would otherwise be searched with other ones).
struct SettingsReader {
    let encoder: String
    let values: [String: String]
    private(set) var used: Set<String> = []

    init(encoder: String, _ values: [String: String]) {
        self.encoder = encoder
        self.values = values
    }

    /// The value of `key` parsed as `T`, or `defaultValue` when absent.
    mutating func value<T: LosslessStringConvertible>(_ key: String, default defaultValue: T) throws -> T {
        used.insert(key)
        guard let text = values[key] else { return defaultValue }
        guard let parsed = T(text) else {
            throw RefrainError(.index, "encoder \(encoder): setting \(key) = '\(text)' is not a valid \(T.self)")
        }
        return parsed
    }

    /// Throws when `values` holds a key no `value` call asked for.
    func finish() throws {
        if let unknown = Set(values.keys).subtracting(used).sorted().first {
            throw RefrainError(.index, "encoder \(encoder): unknown setting '\(unknown)' (known: \(used.sorted().joined(separator: ", ")))")
        }
    }
}
