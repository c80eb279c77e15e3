import Foundation
import RefrainMath

/// Audio shingles (Casey & Slaney 2006; Grosche & Müller 2012): `length` consecutive frames of a
/// `frames x dims` sequence flattened into one vector of `length * dims` values, each scaled to unit
/// Euclidean length so that distances compare shapes, not loudness.
public enum Shingles {
    /// Start frames of the shingles of a sequence of `frames` frames: 0, hop, 2 hop, ... while a whole
    /// shingle fits. Empty when `frames < length`.
    public static func starts(frames: Int, length: Int, hop: Int) -> [Int] {
        guard length > 0, hop > 0, frames >= length else { return [] }
        return Array(stride(from: 0, through: frames - length, by: hop))
    }

    /// The shingles starting at `starts`: `starts.count x (length * dims)`, rows unit length (all-zero
    /// windows stay zero).
    public static func extract(_ values: UnsafeBufferPointer<Float>, dims: Int, length: Int, starts: [Int]) -> Matrix {
        let width = length * dims
        var out = Matrix(rows: starts.count, cols: width)
        out.storage.withUnsafeMutableBufferPointer { dst in
            for (row, start) in starts.enumerated() {
                let target = dst.baseAddress! + row * width
                target.update(from: values.baseAddress! + start * dims, count: width)
                var norm: Float = 0
                for i in 0..<width { norm += target[i] * target[i] }
                if norm > 0 {
                    let scale = 1 / norm.squareRoot()
                    for i in 0..<width { target[i] *= scale }
                }
            }
        }
        return out
    }

    /// Shingles of a matrix (`frames x dims`) every `hop` frames.
    public static func extract(_ matrix: Matrix, length: Int, hop: Int) -> (starts: [Int], shingles: Matrix) {
        let starts = starts(frames: matrix.rows, length: length, hop: hop)
        let shingles = matrix.storage.withUnsafeBufferPointer { extract($0, dims: matrix.cols, length: length, starts: starts) }
        return (starts, shingles)
    }
}
