import Foundation
import RefrainLearn

/// The networks of Refrain's learned encoders, sized for a 2-core machine (widths chosen from measured training
/// speed, see docs/learned-models.md).
///
/// All share Raffel & Ellis's convolutional front end over `frames x 48` learned-input frames (`LearnedInput`):
/// conv 16 (5 x 12, time padded), ReLU, 2 x 2 max pooling, conv 32 (3 x 3, padded), ReLU, 2 x 2 max pooling,
/// then one vector of 32 x 9 = 288 values per output step, each step covering 4 input frames (≈ 186 ms).
public enum LearnedArchitectures {
    /// The front end for inputs of `frames` frames.
    static func frontEnd() -> [LayerSpec] {
        [.conv2d(1, 16, kernel: [5, 12], padding: [2, 0], name: "conv1"), .relu, .maxPool2d([2, 2]),
         .conv2d(16, 32, kernel: [3, 3], padding: [1, 1], name: "conv2"), .relu, .maxPool2d([2, 2]),
         .toSequence]
    }

    /// Values per output step of the front end.
    static let frontEndFeatures = 288

    /// The hasher (Raffel & Ellis 2015, 2016): the front end, two dense ReLU layers of `width` units applied to
    /// every step, and `bits` tanh outputs per step, whose signs are the step's hash bits. One output step per 4
    /// input frames: `frames x 48` in, `(frames / 4) x bits` out.
    public static func hasher(frames: Int = 100, width: Int, bits: Int = 16) -> Architecture {
        Architecture(inputShape: [1, frames, LearnedInput.bins], layers: frontEnd() + [
            .dense(frontEndFeatures, width, name: "dense1"), .relu, .dense(width, width, name: "dense2"), .relu,
            .dense(width, bits, name: "out"), .tanh,
        ])
    }

    /// The embedder (Raffel & Ellis 2016, "Pruning subsequence search with attention-based embedding"): the
    /// front end, two dense ReLU layers of `width` units per step, feed-forward attention pooling over the steps,
    /// a dense layer to `dimensions` and L2 normalisation: one unit vector per sequence of any length.
    public static func embedder(frames: Int = 256, width: Int, dimensions: Int = 128) -> Architecture {
        Architecture(inputShape: [1, frames, LearnedInput.bins], layers: frontEnd() + [
            .dense(frontEndFeatures, width, name: "dense1"), .relu, .dense(width, width, name: "dense2"), .relu,
            .attention(width, name: "attention"), .dense(width, dimensions, name: "out"), .l2Normalize(),
        ])
    }

    /// The shingle reducer (Zalkow & Müller 2020, "Learning low-dimensional embeddings of audio shingles for
    /// cross-version retrieval of classical music"): a flattened CENS shingle (`inputs` values, e.g. 12 frames
    /// x 12 chroma = 144) through two dense ReLU layers of `width` units to `dimensions` values, L2-normalised.
    public static func shingleReducer(inputs: Int, width: Int, dimensions: Int) -> Architecture {
        Architecture(inputShape: [inputs], layers: [
            .dense(inputs, width, name: "dense1"), .relu, .dense(width, width, name: "dense2"), .relu,
            .dense(width, dimensions, name: "out"), .l2Normalize(),
        ])
    }
}
