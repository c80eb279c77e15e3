import Foundation

/// What an index was built with: the analysis pipeline and its feature settings, and the pruning (ANN)
/// settings. Stored as JSON in the catalog; an index opened with different settings is refused, since its
/// stored features would not be comparable with a query's.
public struct IndexSettings: Codable, Equatable, Sendable {
    /// Identifies the analysis pipeline and its version, e.g. `"features-npy/1"`; items analysed by another
    /// pipeline would not be comparable.
    public var analyzer: String
    /// The pipeline's feature settings (sample rate in Hz, hop in samples, CQT bins, CENS window ...),
    /// as text so that any pipeline can record its own. Compared exactly.
    public var features: [String: String]
    /// The shingle + PCA + HNSW pruning stage, or nil for an index without one.
    public var shingles: ShingleSettings?
    /// The encoders behind the stored arrays, one per array name; nil in indexes made before encoders were
    /// recorded (their pipeline's `features` settings describe them).
    public var encoders: [EncoderRecord]?

    public init(analyzer: String, features: [String: String] = [:], shingles: ShingleSettings? = ShingleSettings(),
                encoders: [EncoderRecord]? = nil) {
        self.analyzer = analyzer
        self.features = features
        self.shingles = shingles
        self.encoders = encoders
    }

    /// Sorted-key JSON, the form stored in the catalog.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// Settings of the shingle pruning stage (Grosche & Müller 2012, "Toward characteristic audio shingles for
/// efficient cross-version music retrieval"; Zalkow & Müller 2020, "Using weakly aligned score-audio pairs to
/// train deep chroma models for cross-modal music retrieval"): windows of `length` consecutive frames of the
/// array `array`, taken every `hop` frames, flattened to one vector (`length * dims` values), reduced by PCA
/// (or the learned shingle reducer, `reducer`) to `dimensions` and searched in an HNSW graph.
public struct ShingleSettings: Codable, Equatable, Sendable {
    /// Name of the stored array the shingles are cut from (a chroma-like `frames x 12` sequence, e.g. "cens").
    public var array: String = "cens"
    /// Frames per shingle (20 frames of 1 Hz CENS = 20 s, after Grosche & Müller 2012).
    public var length: Int = 20
    /// Frames between the starts of consecutive shingles of an indexed item.
    public var hop: Int = 5
    /// Reduced dimensions (Zalkow & Müller 2020 found 30 or fewer enough for 240-dimensional shingles); with the
    /// learned reducer, its network's output dimension.
    public var dimensions: Int = 30
    /// HNSW out-degree M and construction breadth (hnswlib defaults 16 and 200).
    public var m: Int = 16
    public var efConstruction: Int = 200
    /// Most shingles used to learn the PCA (a random subset above this).
    public var pcaSampleLimit: Int = 100_000
    /// What is done to each shingle before the PCA (nil: nothing, as `ShingleTransform.none`); indexes
    /// made before this setting existed have none.
    public var transform: ShingleTransform?

    /// How the transformed shingles are reduced to `dimensions` values (nil: PCA, as indexes made before this
    /// setting existed).
    public var reducer: ShingleReducerKind?
    /// With the learned reducer: the SHA-256 of the weights the shingle graph was built with (an index with
    /// other weights than the program's refuses shingle searches until `refrain index rebuild`).
    public var reducerWeights: String?

    /// The transform in effect.
    public var effectiveTransform: ShingleTransform { transform ?? .none }

    /// The reducer in effect.
    public var effectiveReducer: ShingleReducerKind { reducer ?? .pca }

    /// These settings with the learned reducer of `weights` (SHA-256), whose output dimension is `dimensions`.
    public func learned(weights: String, dimensions: Int) -> ShingleSettings {
        var copy = self
        copy.reducer = .learned
        copy.reducerWeights = weights
        copy.dimensions = dimensions
        return copy
    }

    /// These settings with `transform`.
    public func transformed(_ transform: ShingleTransform) -> ShingleSettings {
        var copy = self
        copy.transform = transform
        return copy
    }

    /// Values per shingle after the transform, for chroma of `dims` values per frame.
    public func transformedWidth(dims: Int) -> Int { effectiveTransform.width(length: length, dims: dims) }

    public init(array: String = "cens", length: Int = 20, hop: Int = 5, dimensions: Int = 30, transform: ShingleTransform? = nil) {
        self.array = array
        self.length = length
        self.hop = hop
        self.dimensions = dimensions
        self.transform = transform
    }
}
