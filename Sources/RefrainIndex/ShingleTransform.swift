import Foundation
import RefrainMath

/// What is done to a chroma shingle (`length` frames x 12 pitch classes, flattened) before the PCA, so
/// that a passage and its transposition get the same key:
/// - `none`: the shingle as it is (a transposition then needs twelve query versions).
/// - `fourierMagnitude`: the magnitude of its 2-D discrete Fourier transform over time and pitch class
///   (Bertin-Mahieux & Ellis 2012, "Large-scale cover song recognition using the 2D Fourier transform
///   magnitude"): invariant to cyclic shifts along both axes, so to any transposition, at the cost of the
///   phase (which passage within the shingle comes first). `length x (dims / 2 + 1)` values.
/// - `canonicalKey`: every frame rotated so that the shingle's strongest pitch class (the largest sum
///   over its frames) comes first; keeps everything but the absolute key. A query also tries the
///   rotations of its next strongest pitch classes (`queryVariants`), in case a near tie came out the
///   other way in the indexed shingle.
///
/// Rows are L2-normalised after the transform (all-zero rows stay zero).
public enum ShingleTransform: String, Codable, Sendable, CaseIterable {
    case none
    case fourierMagnitude = "2dftm"
    case canonicalKey = "canonical-key"

    /// Values per transformed shingle.
    public func width(length: Int, dims: Int) -> Int {
        self == .fourierMagnitude ? length * (dims / 2 + 1) : length * dims
    }

    /// Transformed shingles: `shingles.rows x width(length:dims:)`.
    public func apply(_ shingles: Matrix, length: Int, dims: Int) -> Matrix {
        switch self {
        case .none: return shingles
        case .fourierMagnitude: return Self.fourierMagnitudes(shingles, length: length, dims: dims)
        case .canonicalKey: return Self.rotated(shingles, length: length, dims: dims, choice: 0)
        }
    }

    /// The versions of the query's shingles to search with: for `canonicalKey`, the rotations to its
    /// `alternatives` strongest pitch classes (the first one being `apply`'s); otherwise `apply`'s alone.
    public func queryVariants(_ shingles: Matrix, length: Int, dims: Int, alternatives: Int) -> [Matrix] {
        guard self == .canonicalKey else { return [apply(shingles, length: length, dims: dims)] }
        return (0..<max(1, min(alternatives, dims))).map { Self.rotated(shingles, length: length, dims: dims, choice: $0) }
    }

    /// Each row rotated so that its `choice`-th strongest pitch class (0: the strongest) is first.
    static func rotated(_ shingles: Matrix, length: Int, dims: Int, choice: Int) -> Matrix {
        var out = Matrix(rows: shingles.rows, cols: shingles.cols)
        shingles.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                var profile = [Float](repeating: 0, count: dims)
                for r in 0..<shingles.rows {
                    let base = r * shingles.cols
                    for c in 0..<dims { profile[c] = 0 }
                    for t in 0..<length { for c in 0..<dims { profile[c] += src[base + t * dims + c] } }
                    let order = profile.indices.sorted { profile[$0] != profile[$1] ? profile[$0] > profile[$1] : $0 < $1 }
                    let top = order[min(choice, dims - 1)]
                    for t in 0..<length {
                        for c in 0..<dims { dst[base + t * dims + (c - top + dims) % dims] = src[base + t * dims + c] }
                    }
                }
            }
        }
        return out
    }

    /// `|DFT2(shingle)|` over (time, pitch class), pitch-class frequencies 0...dims/2 (the others mirror
    /// them), unit length. Separable: a DFT along pitch class per frame, then along time per frequency.
    static func fourierMagnitudes(_ shingles: Matrix, length: Int, dims: Int) -> Matrix {
        let half = dims / 2 + 1, width = length * half
        var out = Matrix(rows: shingles.rows, cols: width)
        // Twiddles e^{-2πi jk/n} for both axes.
        let cd = (0..<(dims * half)).map { Float(cos(-2 * Double.pi * Double(($0 / half) * ($0 % half)) / Double(dims))) }
        let sd = (0..<(dims * half)).map { Float(sin(-2 * Double.pi * Double(($0 / half) * ($0 % half)) / Double(dims))) }
        let ct = (0..<(length * length)).map { Float(cos(-2 * Double.pi * Double(($0 / length) * ($0 % length)) / Double(length))) }
        let st = (0..<(length * length)).map { Float(sin(-2 * Double.pi * Double(($0 / length) * ($0 % length)) / Double(length))) }
        var re = [Float](repeating: 0, count: length * half), im = re
        shingles.storage.withUnsafeBufferPointer { src in
            out.storage.withUnsafeMutableBufferPointer { dst in
                for r in 0..<shingles.rows {
                    let base = r * shingles.cols
                    // Along pitch class: re/im[t * half + v].
                    for t in 0..<length {
                        for v in 0..<half {
                            var a: Float = 0, b: Float = 0
                            for c in 0..<dims {
                                let x = src[base + t * dims + c]
                                a += x * cd[c * half + v]
                                b += x * sd[c * half + v]
                            }
                            re[t * half + v] = a
                            im[t * half + v] = b
                        }
                    }
                    // Along time, magnitude.
                    var norm: Float = 0
                    for u in 0..<length {
                        for v in 0..<half {
                            var a: Float = 0, b: Float = 0
                            for t in 0..<length {
                                let c = ct[t * length + u], s = st[t * length + u]
                                let x = re[t * half + v], y = im[t * half + v]
                                a += x * c - y * s
                                b += x * s + y * c
                            }
                            let m = (a * a + b * b).squareRoot()
                            dst[r * width + u * half + v] = m
                            norm += m * m
                        }
                    }
                    if norm > 0 {
                        let scale = 1 / norm.squareRoot()
                        for k in 0..<width { dst[r * width + k] *= scale }
                    }
                }
            }
        }
        return out
    }
}
