import Foundation
import RefrainMath

/// What analysing one file yields: everything the index stores for it.
public struct ItemAnalysis: Sendable {
    public var kind: ItemKind
    /// Seconds.
    public var duration: Double
    /// Named feature sequences (`frames x dims`, with frame times in seconds), e.g. "cens", "cqt_beats".
    public var features: [String: FeatureSequence]
    /// Named integer code sequences (hash sequences, `frames x k` unsigned integers), with frame times.
    public var codes: [String: CodeSequence] = [:]
    /// The encoder behind each array (by array name): recorded with the array, and its `dtype` chooses how
    /// a feature sequence is stored (float32 when absent).
    public var encoders: [String: EncoderRecord] = [:]
    /// Named opaque byte blobs kept with the item, e.g. "midi" (the file's bytes, to render it at query time).
    public var blobs: [String: Data]
    /// A title found in the file itself (tags, MIDI track name), used when no manifest title is given.
    public var title: String?

    public init(kind: ItemKind, duration: Double, features: [String: FeatureSequence],
                codes: [String: CodeSequence] = [:], encoders: [String: EncoderRecord] = [:],
                blobs: [String: Data] = [:], title: String? = nil) {
        self.kind = kind
        self.duration = duration
        self.features = features
        self.codes = codes
        self.encoders = encoders
        self.blobs = blobs
        self.title = title
    }
}

/// A sequence of integer codes, one row per frame (`frames x k` of `uint16`, `uint32` or `uint64`): the
/// output of a hashing encoder, compared by Hamming distance.
public struct CodeSequence: Sendable, Equatable {
    /// `frames x k`, an unsigned integer type.
    public var array: NPYArray
    /// Seconds, one per frame.
    public var times: [Double]

    public init(array: NPYArray, times: [Double]) throws {
        guard array.shape.count == 2, array.shape[0] == times.count,
              let dtype = StoredDType(npy: array.dtype), dtype.isInteger else {
            throw RefrainError.invalidArgument("a code sequence is a frames x k uint16/32/64 array with one time per frame")
        }
        self.array = array
        self.times = times
    }

    public var frameCount: Int { array.shape[0] }
}

/// Turns a file into what the index stores. The same analyzer must serve indexed items and queries, so
/// that both sides go through the same representation code.
///
/// Implementations must be thread-safe: `refrain add` calls `analyze` from several threads at once.
public protocol ItemAnalyzer: Sendable {
    /// Identifies the pipeline and its version; recorded in the index settings.
    var identifier: String { get }
    /// The feature settings recorded in the index (compared exactly when the index is opened).
    var settings: [String: String] { get }
    /// Whether this analyzer handles the file (by extension); others are skipped when adding folders.
    func accepts(_ url: URL) -> Bool
    /// Analyses the file at `url`, or `bytes` when given (a file's content in memory, named by `url`, whose
    /// extension tells its type), on up to `threads` threads; throws `RefrainError` for unreadable or
    /// unsupported input.
    func analyze(_ url: URL, bytes: Data?, threads: Int) throws -> ItemAnalysis
}

extension ItemAnalyzer {
    /// Analyses the file at `url` on every core.
    public func analyze(_ url: URL) throws -> ItemAnalysis {
        try analyze(url, bytes: nil, threads: ComputeBudget.machine.threads)
    }
}

/// Tries several analyzers in order (e.g. audio, then MIDI, then `.npy` features): the first that
/// accepts a file analyses it.
public struct CompositeAnalyzer: ItemAnalyzer {
    public let analyzers: [any ItemAnalyzer]

    public init(_ analyzers: [any ItemAnalyzer]) { self.analyzers = analyzers }

    public var identifier: String { analyzers.map(\.identifier).joined(separator: "+") }

    public var settings: [String: String] {
        var merged: [String: String] = [:]
        for analyzer in analyzers {
            for (key, value) in analyzer.settings { merged["\(analyzer.identifier).\(key)"] = value }
        }
        return merged
    }

    public func accepts(_ url: URL) -> Bool { analyzers.contains { $0.accepts(url) } }

    public func analyze(_ url: URL, bytes: Data?, threads: Int) throws -> ItemAnalysis {
        guard let analyzer = analyzers.first(where: { $0.accepts(url) }) else {
            throw RefrainError(.unsupported, "\(url.path): no analyzer handles this kind of file")
        }
        return try analyzer.analyze(url, bytes: bytes, threads: threads)
    }
}

/// Indexes precomputed feature matrices: a `.npy` file holding a `frames x dims` matrix becomes an item of
/// kind `features` whose one sequence, named `arrayName`, is that matrix, frame `i` at `i / frameRate` s.
/// Lets the index and the search cascade be used (and tested) with features made by any tool.
public struct NPYFeatureAnalyzer: ItemAnalyzer {
    /// The name the matrix is stored under (the shingle stage reads the array of this name).
    public var arrayName: String
    /// Frames per second of the stored matrices.
    public var frameRate: Double

    public init(arrayName: String = "cens", frameRate: Double = 2) {
        precondition(frameRate > 0, "frame rate must be positive")
        self.arrayName = arrayName
        self.frameRate = frameRate
    }

    public var identifier: String { "features-npy/1" }
    public var settings: [String: String] { ["array": arrayName, "frame_rate": String(frameRate)] }

    public func accepts(_ url: URL) -> Bool { url.pathExtension.lowercased() == "npy" }

    public func analyze(_ url: URL, bytes: Data?, threads: Int) throws -> ItemAnalysis {
        let matrix: Matrix
        if let bytes {
            do { matrix = try NPY.decode(bytes).matrix() } catch let error as RefrainError {
                throw RefrainError.invalidFile(url.path, error.message)
            }
        } else {
            matrix = try NPY.readMatrix(url)
        }
        guard matrix.rows > 0, matrix.cols > 0 else { throw RefrainError.invalidFile(url.path, "empty feature matrix") }
        guard matrix.storage.allSatisfy({ $0.isFinite }) else {
            throw RefrainError.invalidFile(url.path, "feature matrix holds NaN or infinite values")
        }
        let times = (0..<matrix.rows).map { Double($0) / frameRate }
        return ItemAnalysis(kind: .features, duration: Double(matrix.rows) / frameRate,
                            features: [arrayName: FeatureSequence(values: matrix, times: times)])
    }
}
