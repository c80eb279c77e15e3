import Foundation
import RefrainLearn
import RefrainMath

/// What reduces a (transformed) chroma shingle to the few dimensions the shingle graph searches in.
public protocol ShingleReducer: Sendable {
    /// Values per input shingle (`ShingleSettings.transformedWidth`).
    var inputDimension: Int { get }
    /// Values per reduced shingle.
    var outputDimension: Int { get }
    /// `n x inputDimension` shingles to `n x outputDimension`.
    func reduce(_ shingles: Matrix) throws -> Matrix
}

extension PCA: ShingleReducer {
    public func reduce(_ shingles: Matrix) throws -> Matrix { transform(shingles) }
}

/// How an index reduces its shingles.
/// - `pca`: principal components learned from the collection's own shingles (the default).
/// - `learned`: the shingle reducer network (Zalkow & Müller 2020, "Learning low-dimensional embeddings of
///   audio shingles for cross-version retrieval of classical music"), trained by `refrain train shingles`; the
///   index records its weights' SHA-256 and refuses shingle searches with other weights until rebuilt.
public enum ShingleReducerKind: String, Codable, Sendable, CaseIterable {
    case pca
    case learned
}

/// A trained shingle reducer network (`LearnedArchitectures.shingleReducer`): a unit-length shingle, scaled
/// by the square root of its width (so that its values have a root mean square of 1), through the network to
/// a unit vector of `outputDimension` values. Thread-safe: the network's forward passes are serialised.
public final class LearnedShingleReducer: ShingleReducer, @unchecked Sendable {
    /// Lower-case hex SHA-256 of the model file the network came from.
    public let sha256: String
    public let inputDimension: Int
    public let outputDimension: Int
    private let network: Network
    private let lock = NSLock()

    /// - Throws: `RefrainError.invalidArgument` when the network does not map one vector to one vector.
    public init(network: Network, sha256: String) throws {
        guard network.architecture.inputShape.count == 1, network.outputShape.count == 1 else {
            throw RefrainError.invalidArgument("a shingle reducer maps one vector to one vector; this network takes \(network.architecture.inputShape)")
        }
        self.network = network
        self.sha256 = sha256
        inputDimension = network.architecture.inputShape[0]
        outputDimension = network.outputShape[0]
    }

    /// The input scale: unit-length shingles of `width` values times `sqrt(width)`.
    public static func inputScale(width: Int) -> Float { Float(width).squareRoot() }

    public func reduce(_ shingles: Matrix) throws -> Matrix {
        guard shingles.cols == inputDimension else {
            throw RefrainError(.index, "the learned shingle reducer takes shingles of \(inputDimension) values, got \(shingles.cols)")
        }
        guard shingles.rows > 0 else { return Matrix(rows: 0, cols: outputDimension) }
        let scale = Self.inputScale(width: inputDimension)
        let x = Tensor(shape: [shingles.rows, inputDimension], data: shingles.storage.map { $0 * scale })
        lock.lock()
        defer { lock.unlock() }
        return try network.forward(x, Pass(training: false, threads: 1)).matrix()
    }
}

/// The learned shingle reducer this program searches and builds with. The layer that ships the model
/// (Refrain) installs a loader; an index whose settings name other weights refuses shingle searches.
public final class ShingleReducerRegistry: @unchecked Sendable {
    public static let shared = ShingleReducerRegistry()
    private let lock = NSLock()
    private var loader: (@Sendable () throws -> LearnedShingleReducer)?
    private var loaded: LearnedShingleReducer?

    /// Installs `loader` (called once, on first use) as the program's learned reducer, replacing any before.
    public func install(_ loader: @escaping @Sendable () throws -> LearnedShingleReducer) {
        lock.lock()
        defer { lock.unlock() }
        self.loader = loader
        loaded = nil
    }

    /// Removes the installed loader (the program then has no learned reducer until one is installed again).
    public func uninstall() {
        lock.lock()
        defer { lock.unlock() }
        loader = nil
        loaded = nil
    }

    /// Whether a loader is installed.
    public var isInstalled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return loader != nil
    }

    /// The program's learned reducer.
    /// - Throws: `RefrainError(.missingResource)` when none is installed, or the loader's error.
    public func current() throws -> LearnedShingleReducer {
        lock.lock()
        defer { lock.unlock() }
        if let loaded { return loaded }
        guard let loader else {
            throw RefrainError(.missingResource, "this program has no learned shingle reducer (build the index with --shingle-reducer pca)")
        }
        let reducer = try loader()
        loaded = reducer
        return reducer
    }

    /// The program's learned reducer, checked against the weights an index was built with.
    /// - Throws: `RefrainError(.index)` naming both hashes when they differ.
    func current(matching sha256: String?, index: URL) throws -> LearnedShingleReducer {
        let reducer = try current()
        guard sha256 == reducer.sha256 else {
            throw RefrainError(.index, "\(index.path): the shingle index was built with learned reducer weights \((sha256 ?? "none").prefix(12)), this program has \(reducer.sha256.prefix(12)); run 'refrain index rebuild' (or reindex)")
        }
        return reducer
    }
}
