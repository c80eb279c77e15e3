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
/// - `globalKey`: the whole sequence (an indexed item, or the query) rotated so that its key, the
///   rotation of the Krumhansl-Kessler major profile that best correlates with its chroma profile
///   (Krumhansl 1990), becomes C, before it is cut into shingles; a query also tries its next best keys.
///   Stable where one key rules the whole sequence, unlike a shingle's strongest pitch class.
///
/// Rows are L2-normalised after the transform (all-zero rows stay zero).
public enum ShingleTransform: String, Codable, Sendable, CaseIterable {
    case none
    case fourierMagnitude = "2dftm"
    case canonicalKey = "canonical-key"
    case globalKey = "global-key"

    /// Values per transformed shingle.
    public func width(length: Int, dims: Int) -> Int {
        self == .fourierMagnitude ? length * (dims / 2 + 1) : length * dims
    }

    /// The shingles an index stores for an item whose `frames x dims` sequence is `values`, starting at `starts`.
    public func indexShingles(_ values: UnsafeBufferPointer<Float>, dims: Int, length: Int, starts: [Int]) -> Matrix {
        if self == .globalKey {
            let frames = dims > 0 ? values.count / dims : 0
            let rotation = Self.keyRotations(values, frames: frames, dims: dims, count: 1).first ?? 0
            let rotated = Self.rotatedSequence(values, dims: dims, by: rotation)
            return rotated.withUnsafeBufferPointer { Shingles.extract($0, dims: dims, length: length, starts: starts) }
        }
        return apply(Shingles.extract(values, dims: dims, length: length, starts: starts), length: length, dims: dims)
    }

    /// A query's shingles (every `hop` frames), in the versions to search with (`queryVariants`, or for
    /// `globalKey` the sequence rotated to each of its `alternatives` best keys).
    public func queryShingles(_ sequence: Matrix, length: Int, hop: Int, alternatives: Int) -> (starts: [Int], variants: [Matrix]) {
        let (starts, shingles) = Shingles.extract(sequence, length: length, hop: hop)
        guard !starts.isEmpty else { return (starts, []) }
        guard self == .globalKey else {
            return (starts, queryVariants(shingles, length: length, dims: sequence.cols, alternatives: alternatives))
        }
        let variants = sequence.storage.withUnsafeBufferPointer { values in
            Self.keyRotations(values, frames: sequence.rows, dims: sequence.cols, count: alternatives).map { rotation in
                Self.rotatedSequence(values, dims: sequence.cols, by: rotation).withUnsafeBufferPointer {
                    Shingles.extract($0, dims: sequence.cols, length: length, starts: starts)
                }
            }
        }
        return (starts, variants)
    }

    /// Krumhansl & Kessler's major-key profile, C major (Krumhansl 1990, "Cognitive Foundations of Musical Pitch").
    static let majorProfile: [Float] = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]

    /// The `count` rotations `r` (best first) that move a 12-dimensional sequence's key to C: the profile
    /// summed over frames correlates best (Pearson) with the major profile moved up by `r`. Others: [0].
    static func keyRotations(_ values: UnsafeBufferPointer<Float>, frames: Int, dims: Int, count: Int) -> [Int] {
        guard dims == 12, frames > 0 else { return [0] }
        var profile = [Float](repeating: 0, count: 12)
        for t in 0..<frames { for c in 0..<12 { profile[c] += values[t * 12 + c] } }
        func centred(_ x: [Float]) -> [Float] { let m = x.reduce(0, +) / Float(x.count); return x.map { $0 - m } }
        let p = centred(profile), k = centred(majorProfile)
        let scores = (0..<12).map { r -> Float in (0..<12).reduce(0) { $0 + p[$1] * k[($1 - r + 12) % 12] } }
        return Array((0..<12).sorted { scores[$0] != scores[$1] ? scores[$0] > scores[$1] : $0 < $1 }.prefix(max(1, count)))
    }

    /// The sequence with every frame's pitch class `c` moved to `c - rotation` (key `rotation` becomes C).
    static func rotatedSequence(_ values: UnsafeBufferPointer<Float>, dims: Int, by rotation: Int) -> [Float] {
        guard dims > 0, rotation % dims != 0 else { return Array(values) }
        var out = [Float](repeating: 0, count: values.count)
        for t in 0..<(values.count / dims) {
            for c in 0..<dims { out[t * dims + ((c - rotation) % dims + dims) % dims] = values[t * dims + c] }
        }
        return out
    }

    /// Transformed shingles: `shingles.rows x width(length:dims:)`.
    public func apply(_ shingles: Matrix, length: Int, dims: Int) -> Matrix {
        switch self {
        case .none, .globalKey: return shingles
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
