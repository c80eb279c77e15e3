import Foundation

/// What an indexed file is.
public enum ItemKind: String, Codable, Sendable, CaseIterable {
    case audio, midi
    /// A precomputed feature matrix (`.npy`, `frames x dims`), indexed as it is.
    case features
}

/// One item of the catalog.
public struct IndexedItem: Codable, Equatable, Sendable {
    /// Catalog row id; increases with every add and is never reused.
    public var id: Int64
    /// Unique name (by default the file name without extension).
    public var key: String
    /// The file's path when added.
    public var path: String
    public var title: String?
    /// The musical work the item belongs to (a score and its recordings share one), as set when it was added;
    /// nil means the item is a work of its own (see `workKey`).
    public var work: String?
    public var kind: ItemKind
    /// SHA-256 of the file's bytes, lower-case hex.
    public var sha256: String
    /// Seconds.
    public var duration: Double
    /// Seconds since 1970.
    public var addedAt: Double
    /// Bytes of the item's array files.
    public var arrayBytes: Int64

    /// The work the item belongs to: `work`, or its own key.
    public var workKey: String { work ?? key }
}

/// A stored array's entry in the catalog: `frames x dims` Float32 in an `.npy` file, with its frame times
/// either regular (`frameRate` frames per second starting at `timeOffset` seconds) or in a times file.
public struct StoredArrayInfo: Codable, Equatable, Sendable {
    public var itemID: Int64
    public var name: String
    /// Path relative to the index directory.
    public var file: String
    /// Path of a float64 `.npy` of frame times in seconds, when they are not regular.
    public var timesFile: String?
    public var frames: Int
    public var dims: Int
    public var frameRate: Double?
    public var timeOffset: Double
    /// How the values are stored (float32 in indexes made before types were recorded).
    public var dtype: StoredDType = .float32
    /// Fingerprint of the encoder that wrote the array (`EncoderRecord.fingerprint`); nil in indexes made
    /// before encoders were recorded.
    public var encoder: String?
}
