import Foundation
import RefrainMath

/// What analysing one file yields: everything the index stores for it.
public struct ItemAnalysis: Sendable {
    public var kind: ItemKind
    /// Seconds.
    public var duration: Double
    /// Named feature sequences (`frames x dims`, with frame times in seconds), e.g. "cens", "cqt_beats".
    public var features: [String: FeatureSequence]
    /// Named opaque byte blobs kept with the item, e.g. "midi" (the file's bytes, to render it at query time).
    public var blobs: [String: Data]
    /// A title found in the file itself (tags, MIDI track name), used when no manifest title is given.
    public var title: String?

    public init(kind: ItemKind, duration: Double, features: [String: FeatureSequence],
                blobs: [String: Data] = [:], title: String? = nil) {
        self.kind = kind
        self.duration = duration
        self.features = features
        self.blobs = blobs
        self.title = title
    }
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
    /// Analyses one file; throws `RefrainError` for unreadable or unsupported input.
    func analyze(_ url: URL) throws -> ItemAnalysis
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

    public func analyze(_ url: URL) throws -> ItemAnalysis {
        guard let analyzer = analyzers.first(where: { $0.accepts(url) }) else {
            throw RefrainError(.unsupported, "\(url.path): no analyzer handles this kind of file")
        }
        return try analyzer.analyze(url)
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

    public func analyze(_ url: URL) throws -> ItemAnalysis {
        let matrix = try NPY.readMatrix(url)
        guard matrix.rows > 0, matrix.cols > 0 else { throw RefrainError.invalidFile(url.path, "empty feature matrix") }
        guard matrix.storage.allSatisfy({ $0.isFinite }) else {
            throw RefrainError.invalidFile(url.path, "feature matrix holds NaN or infinite values")
        }
        let times = (0..<matrix.rows).map { Double($0) / frameRate }
        return ItemAnalysis(kind: .features, duration: Double(matrix.rows) / frameRate,
                            features: [arrayName: FeatureSequence(values: matrix, times: times)])
    }
}
