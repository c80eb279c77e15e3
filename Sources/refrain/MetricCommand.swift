import ArgumentParser
import Foundation
import Refrain

/// `refrain metric fit|transform`: learn a linear metric (PCA, LDA, LMNN) from labelled feature vectors and
/// apply it. The model file is an `.npz` (or a folder) of `mean` and `projection` tensors with a JSON
/// description (docs/model-format.md); NumPy applies it as `(X - mean) @ projection.T`.
struct MetricCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metric",
        abstract: "Learn a linear metric (PCA, LDA, LMNN) from labelled features, and apply it.",
        subcommands: [MetricFitCommand.self, MetricTransformCommand.self])
}

struct MetricFitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fit",
        abstract: "Learn a linear metric from features (n x d .npy) and integer labels (n .npy).",
        discussion: """
        pca: the leading principal axes (labels not needed). lda: Fisher's discriminant axes, at most \
        classes - 1 of them (scikit-learn's eigen solver). lmnn: large-margin nearest neighbours (Weinberger, \
        Blitzer & Saul 2006), 3 target neighbours, impostor weight 0.5. Prints the model's SHA-256.
        """)

    @Option(help: "pca, lda or lmnn.") var method: String
    @Option(help: "Features: .npy of shape samples x dims (any numeric type).") var features: String
    @Option(help: "Labels: .npy of integer class labels, one per sample (needed by lda and lmnn).") var labels: String?
    @Option(help: "Output dimensions.") var dims: Int
    @Option(help: "Model file to write (.npz, or a folder).") var out: String

    func run() throws {
        try reportingErrors {
            guard let kind = LinearMetric.Method(rawValue: method.lowercased()) else {
                throw RefrainError.invalidArgument("unknown method '\(method)'; use pca, lda or lmnn")
            }
            let x = try LinearMetric.features(fromNPY: features)
            var y: [Int]?
            if let labels {
                y = try LinearMetric.labels(fromNPY: labels)
            } else if kind != .pca {
                throw RefrainError.invalidArgument("\(kind.rawValue.uppercased()) needs --labels")
            }
            if let y, y.count != x.rows {
                throw RefrainError.invalidArgument("\(y.count) labels for \(x.rows) feature rows")
            }
            let model = try LinearMetric.fit(kind, samples: x, labels: y, dimensions: dims)
            let url = URL(fileURLWithPath: out)
            try model.write(to: url)
            print("wrote \(out): \(kind.rawValue.uppercased()) \(model.inputDimension) -> \(model.outputDimension) dimensions from \(x.rows) samples, sha256 \(try model.modelFile.sha256())")
        }
    }
}

struct MetricTransformCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transform",
        abstract: "Apply a linear metric model to features (n x d .npy); writes n x dims float32 .npy.")

    @Argument(help: "Model file (.npz or folder) written by 'refrain metric fit'.") var model: String
    @Argument(help: "Features: .npy of shape samples x dims.") var features: String
    @Option(help: "Output .npy.") var out: String

    func run() throws {
        try reportingErrors {
            let metric = try LinearMetric.read(URL(fileURLWithPath: model))
            let z = try metric.transform(try LinearMetric.features(fromNPY: features))
            try NPY.write(z, to: URL(fileURLWithPath: out))
            print("wrote \(out): \(z.rows) x \(z.cols)")
        }
    }
}
