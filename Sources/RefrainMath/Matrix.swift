/// A dense row-major matrix of `Float32`, stored contiguously: element `(r, c)` is at `r * cols + c`.
///
/// Feature sequences are `frames x dims` matrices (one row per frame); cost matrices are
/// `queryFrames x itemFrames`. The storage is one `[Float]`, so rows can be handed to BLAS and SIMD
/// code without copies.
public struct Matrix: Equatable, Sendable {
    public private(set) var rows: Int
    public private(set) var cols: Int
    /// Row-major elements, `rows * cols` of them.
    public var storage: [Float]

    /// A `rows x cols` matrix filled with `value`.
    public init(rows: Int, cols: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && cols >= 0, "matrix dimensions must be non-negative")
        self.rows = rows
        self.cols = cols
        self.storage = [Float](repeating: value, count: rows * cols)
    }

    /// Wraps row-major `storage` of `rows * cols` elements.
    public init(rows: Int, cols: Int, storage: [Float]) {
        precondition(storage.count == rows * cols, "storage has \(storage.count) elements, expected \(rows * cols)")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from an array of equally long rows.
    public init(rowArrays: [[Float]]) {
        let cols = rowArrays.first?.count ?? 0
        precondition(rowArrays.allSatisfy { $0.count == cols }, "rows differ in length")
        self.init(rows: rowArrays.count, cols: cols, storage: rowArrays.flatMap { $0 })
    }

    /// `rows x cols` filled by calling `value(row, col)`.
    public init(rows: Int, cols: Int, _ value: (Int, Int) -> Float) {
        var storage = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { storage[r * cols + c] = value(r, c) } }
        self.init(rows: rows, cols: cols, storage: storage)
    }

    public var count: Int { storage.count }
    public var isEmpty: Bool { storage.isEmpty }
    public var shape: (rows: Int, cols: Int) { (rows, cols) }

    @inlinable
    public subscript(row: Int, col: Int) -> Float {
        get { storage[row * cols + col] }
        set { storage[row * cols + col] = newValue }
    }

    /// A copy of one row.
    public func row(_ r: Int) -> [Float] {
        Array(storage[(r * cols)..<((r + 1) * cols)])
    }

    /// A copy of one column.
    public func column(_ c: Int) -> [Float] {
        (0..<rows).map { storage[$0 * cols + c] }
    }

    /// Rows `range` as a new matrix.
    public func rows(_ range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, storage: Array(storage[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// Columns `range` as a new matrix.
    public func columns(_ range: Range<Int>) -> Matrix {
        var out = Matrix(rows: rows, cols: range.count)
        for r in 0..<rows {
            for (j, c) in range.enumerated() { out.storage[r * range.count + j] = storage[r * cols + c] }
        }
        return out
    }

    /// The transpose, `cols x rows`.
    public func transposed() -> Matrix {
        var out = Matrix(rows: cols, cols: rows)
        storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for c in 0..<cols { dst[c * rows + r] = src[r * cols + c] }
                }
            }
        }
        return out
    }

    /// Appends the rows of `other`, which must have as many columns (or `self` must be empty).
    public mutating func appendRows(of other: Matrix) {
        if rows == 0 { cols = other.cols }
        precondition(other.cols == cols, "column counts differ: \(cols) and \(other.cols)")
        storage.append(contentsOf: other.storage)
        rows += other.rows
    }

    /// Reinterprets the storage with a new shape of the same element count.
    public func reshaped(rows newRows: Int, cols newCols: Int) -> Matrix {
        Matrix(rows: newRows, cols: newCols, storage: storage)
    }

    /// Applies `transform` to every element.
    public func map(_ transform: (Float) -> Float) -> Matrix {
        Matrix(rows: rows, cols: cols, storage: storage.map(transform))
    }

    /// The rows as arrays (for tests and small matrices).
    public var rowArrays: [[Float]] { (0..<rows).map(row) }
}
