import Foundation
import RefrainIndex
import RefrainLearn

/// The shingle reducer model (Zalkow & Müller 2020, "Learning low-dimensional embeddings of audio shingles for
/// cross-version retrieval of classical music"; `LearnedArchitectures.shingleReducer`, trained by
/// `ShingleReducerTraining`): one network, role `chroma`, from a flattened, key-transformed CENS shingle
/// (`ShingleSettings.transformedWidth` values, 144 for the music index's 12-frame shingles) to a unit vector.
/// Shipped as `Resources/models/shingles.npz`; an index built with it records its SHA-256.
public enum ShingleReducerModel {
    /// The shipped model's file name (without `.npz`) and its kind.
    public static let shippedModel = "shingles"
    public static let kind = "shingles"
    /// The role of its one network.
    public static let role = "chroma"

    /// The reducer of `model`.
    /// - Throws: `RefrainError.invalidFile` when the model is not a shingle reducer.
    public static func reducer(of model: LearnedModel, name: String = "model") throws -> LearnedShingleReducer {
        guard model.kind == kind else { throw RefrainError.invalidFile(name, "holds a \(model.kind) model, not a shingle reducer") }
        return try LearnedShingleReducer(network: try model.network(role, name: name), sha256: model.sha256)
    }

    /// The shipped reducer.
    public static func shipped() throws -> LearnedShingleReducer {
        try reducer(of: try LearnedModel.shipped(shippedModel, kind: kind), name: "\(shippedModel).npz")
    }

    /// Makes the shipped reducer this program's learned shingle reducer (`ShingleReducerRegistry`), unless
    /// another was installed before (a test's, or a bench's model file).
    public static func installShipped() {
        if !ShingleReducerRegistry.shared.isInstalled { ShingleReducerRegistry.shared.install { try shipped() } }
    }
}
