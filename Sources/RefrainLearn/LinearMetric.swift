import Foundation
import RefrainMath

/// A learned linear metric: `z = L (x - mean)`, with `L` (`dimensions x d`) from PCA, LDA or LMNN. Euclidean
/// distance between transformed samples is the Mahalanobis distance `(x - y)ᵀ LᵀL (x - y)`.
///
/// Saved as a model file of kind "linear-metric" with tensors "mean" (`d`) and "projection" (`dimensions x d`)
/// and the method in the metadata; in NumPy: `(X - mean) @ projection.T`.
public struct LinearMetric: Equatable, Sendable {
    public enum Method: String, Sendable, CaseIterable { case pca, lda, lmnn }
    public var method: Method
    public var mean: [Float]
    public var projection: Matrix

    public init(method: Method, mean: [Float], projection: Matrix) {
        self.method = method
        self.mean = mean
        self.projection = projection
    }

    public var inputDimension: Int { projection.cols }
    public var outputDimension: Int { projection.rows }

    /// Learns a metric from `samples` (`n x d`, one per row); `labels` (one per sample) are needed by LDA
    /// and LMNN and ignored by PCA.
    /// - Throws: `RefrainError.invalidArgument` with the method's reason (too few samples or classes,
    ///   impossible dimensions, a singular scatter).
    public static func fit(_ method: Method, samples: Matrix, labels: [Int]?, dimensions: Int) throws -> LinearMetric {
        guard samples.rows >= 2, samples.cols >= 1 else {
            throw RefrainError.invalidArgument("\(method.rawValue.uppercased()) needs at least 2 samples, got \(samples.rows)")
        }
        guard allFinite(samples.storage) else { throw RefrainError.invalidArgument("the features contain NaN or infinite values") }
        switch method {
        case .pca:
            let pca = try PCA(fitting: samples, dimensions: dimensions)
            return LinearMetric(method: .pca, mean: pca.mean, projection: pca.components)
        case .lda:
            guard let labels else { throw RefrainError.invalidArgument("LDA needs labels") }
            let lda = try LDA.fit(samples, labels: labels, dimensions: dimensions)
            return LinearMetric(method: .lda, mean: lda.mean, projection: lda.axes)
        case .lmnn:
            guard let labels else { throw RefrainError.invalidArgument("LMNN needs labels") }
            let lmnn = try LMNN().fit(samples, labels: labels, dimensions: dimensions)
            return LinearMetric(method: .lmnn, mean: lmnn.mean, projection: lmnn.map)
        }
    }

    /// `n x outputDimension` from `n x inputDimension`.
    /// - Throws: `RefrainError.invalidArgument` when the column count differs from the model's.
    public func transform(_ samples: Matrix) throws -> Matrix {
        guard samples.cols == inputDimension else {
            throw RefrainError.invalidArgument("the model takes \(inputDimension) features per row, the input has \(samples.cols)")
        }
        var centred = samples
        let d = inputDimension
        centred.storage.withUnsafeMutableBufferPointer { x in
            for r in 0..<samples.rows { for c in 0..<d { x[r * d + c] -= mean[c] } }
        }
        return centred.multipliedTransposed(projection)
    }

    /// The model file.
    public var modelFile: ModelFile {
        ModelFile(description: ModelDescription(kind: "linear-metric", metadata: ["method": method.rawValue]),
                  tensors: [("mean", NPYArray(mean, shape: [mean.count])), ("projection", NPYArray(projection))])
    }

    /// Reads a model file written from `modelFile`.
    /// - Throws: `RefrainError(.invalidFile)` naming the tensor when it is missing or its shape does not fit.
    public init(modelFile file: ModelFile, path: String = "model") throws {
        guard file.description.kind == "linear-metric",
              let method = file.description.metadata["method"].flatMap(Method.init(rawValue:)) else {
            throw RefrainError.invalidFile(path, "is not a linear metric model (kind \(file.description.kind))")
        }
        guard let projection = file.tensor("projection") else { throw RefrainError.invalidFile(path, "tensor projection is missing") }
        guard let mean = file.tensor("mean") else { throw RefrainError.invalidFile(path, "tensor mean is missing") }
        guard projection.shape.count == 2, projection.shape[0] >= 1 else {
            throw RefrainError.invalidFile(path, "tensor projection has shape \(projection.shape), expected dimensions x features")
        }
        guard mean.shape == [projection.shape[1]] else {
            throw RefrainError.invalidFile(path, "tensor mean has shape \(mean.shape), expected [\(projection.shape[1])] to match the projection")
        }
        self.init(method: method, mean: mean.floats(), projection: try projection.matrix())
    }

    public func write(to url: URL) throws { try modelFile.write(to: url) }

    public static func read(_ url: URL) throws -> LinearMetric {
        try LinearMetric(modelFile: ModelFile.read(url), path: url.path)
    }
}
