import RefrainMath

/// An n-dimensional array of `Float32`, contiguous and row-major (C order, the layout of NumPy and PyTorch):
/// the last axis varies fastest. The first axis is the batch.
///
/// Layouts used by the layers: images `batch x channels x height x width` (height is time for spectrogram
/// patches, width is frequency), sequences `batch x channels x length` (1-D convolutions) or
/// `batch x steps x features` (dense layers and attention pooling), embeddings `batch x features`.
public struct Tensor: Equatable, Sendable {
    /// Dimensions, batch first.
    public var shape: [Int]
    /// `shape.reduce(1, *)` elements, row-major.
    public var data: [Float]
    /// For sequences (`batch x steps x ...`) of different lengths padded to one: the number of valid steps of
    /// each batch item, `batch` values in `1...steps`; nil when every step is valid. Layers that change the
    /// number of steps (pooling, strided convolution along time) map the lengths with it.
    public var lengths: [Int]?

    /// A tensor of `shape` filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "tensor dimensions must be non-negative")
        self.shape = shape
        self.data = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Wraps row-major `data`, which must hold `shape.reduce(1, *)` elements.
    public init(shape: [Int], data: [Float], lengths: [Int]? = nil) {
        precondition(data.count == shape.reduce(1, *), "tensor data has \(data.count) elements, shape \(shape) needs \(shape.reduce(1, *))")
        self.shape = shape
        self.data = data
        self.lengths = lengths
    }

    /// A `rows x cols` matrix as a 2-D tensor.
    public init(_ matrix: Matrix) {
        self.init(shape: [matrix.rows, matrix.cols], data: matrix.storage)
    }

    /// Number of elements.
    public var count: Int { data.count }
    /// Size of the first axis.
    public var batch: Int { shape.first ?? 0 }
    /// Elements per batch item.
    public var itemSize: Int { shape.count > 1 ? shape.dropFirst().reduce(1, *) : 1 }

    /// The same elements under another shape of the same count (lengths kept).
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var t = Tensor(shape: newShape, data: data)
        t.lengths = lengths
        return t
    }

    /// A 2-D tensor as a matrix (`shape[0] x` the rest).
    public func matrix() -> Matrix { Matrix(rows: batch, cols: itemSize, storage: data) }

    /// Whether every element is finite.
    public var isFinite: Bool { allFinite(data) }
}
