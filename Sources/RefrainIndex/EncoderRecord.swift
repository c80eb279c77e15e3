import Foundation
import RefrainMath

/// Element types an index stores its arrays in (`.npy` files NumPy reads as they are): float features in
/// `float32` or, to halve their size, `float16`; hash sequences as unsigned integers of their code width.
public enum StoredDType: String, Codable, Sendable, CaseIterable {
    case float32, float16, uint16, uint32, uint64

    /// The NumPy element type of the stored file.
    public var npy: NPYArray.DType {
        switch self {
        case .float32: return .float32
        case .float16: return .float16
        case .uint16: return .uint16
        case .uint32: return .uint32
        case .uint64: return .uint64
        }
    }

    /// Bytes per element.
    public var size: Int { npy.size }

    /// Whether the elements are integer codes (hash sequences) rather than feature values.
    public var isInteger: Bool { self == .uint16 || self == .uint32 || self == .uint64 }

    /// The stored type of a NumPy element type, or nil when an index does not store that type.
    public init?(npy: NPYArray.DType) {
        guard let found = Self.allCases.first(where: { $0.npy == npy }) else { return nil }
        self = found
    }
}

/// What produced a stored array, as an index records it: an encoder's name, version and settings, and for a
/// learned encoder the SHA-256 of its weights. A query must go through the very encoders the collection went
/// through, so an index refuses to be searched by a program whose encoders differ (`refrain reindex`
/// re-encodes it).
public struct EncoderRecord: Codable, Hashable, Sendable {
    /// The name of the array the encoder writes, e.g. `cens`.
    public var name: String
    /// Bumped whenever the encoder's output changes for the same input and settings.
    public var version: Int
    /// The settings that shape the output (sample rate in Hz, hops in samples, ...), as text.
    public var settings: [String: String]
    /// SHA-256 of the model weights, lower-case hex, for learned encoders; nil otherwise.
    public var weightsSHA256: String?
    /// Values per frame (columns of the stored array).
    public var dims: Int
    public var dtype: StoredDType

    public init(name: String, version: Int, settings: [String: String] = [:], weightsSHA256: String? = nil,
                dims: Int, dtype: StoredDType = .float32) {
        self.name = name
        self.version = version
        self.settings = settings
        self.weightsSHA256 = weightsSHA256
        self.dims = dims
        self.dtype = dtype
    }

    /// `name/version`, with the first 12 hex digits of the weights' hash for learned encoders
    /// (`hasher/1@3f2a9c...`).
    public var identity: String {
        "\(name)/\(version)" + (weightsSHA256.map { "@" + $0.prefix(12) } ?? "")
    }

    /// A short digest of everything recorded (identity, settings, shape, type): two records with the same
    /// fingerprint produce interchangeable arrays. Stored with every array the encoder wrote.
    public var fingerprint: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data(identity.utf8)
        return String(SHA256.hex(of: data).prefix(16))
    }

    /// What differs between this record (the index's) and `other` (the program's), in words, or nil.
    public func difference(from other: EncoderRecord) -> String? {
        if version != other.version { return "version \(version) here, \(other.version) in this Refrain" }
        if weightsSHA256 != other.weightsSHA256 {
            return "weights \(weightsSHA256.map { String($0.prefix(12)) } ?? "none") here, \(other.weightsSHA256.map { String($0.prefix(12)) } ?? "none") in this Refrain"
        }
        if settings != other.settings {
            let keys = Set(settings.keys).union(other.settings.keys).sorted().filter { settings[$0] != other.settings[$0] }
            return "settings differ (" + keys.map { "\($0) \(settings[$0] ?? "-") vs \(other.settings[$0] ?? "-")" }.joined(separator: ", ") + ")"
        }
        if dims != other.dims || dtype != other.dtype {
            return "\(dims) \(dtype.rawValue) values per frame here, \(other.dims) \(other.dtype.rawValue) in this Refrain"
        }
        return nil
    }
}
