import Foundation
import RefrainMath

/// CRP, chroma DCT-reduced log pitch (Müller & Ewert 2010, "Towards timbre-invariant audio features for
/// harmony-based music", IEEE TASLP 18(3); the Chroma Toolbox's `pitch_to_CRP`, Müller & Ewert 2011): per frame,
/// the energy of each of the 120 MIDI pitches is log-compressed (`log(1 + compression · energy)`), its
/// orthonormal DCT-II over the pitch axis loses the coefficients below `firstKept` (the spectral envelope,
/// which timbre shapes most), the inverse DCT returns to pitches, and these fold into 12 pitch classes (C
/// first) scaled to unit L2 length; a frame whose length is below 1e-6 (silence) becomes the flat unit
/// vector. Values can be negative. The toolbox's defaults: compression 1000, the coefficients from the 55th
/// (1-based) on kept.
public struct CRPParameters: Hashable, Sendable {
    /// η of the log compression, per unit of pitch energy (squared CQT magnitude).
    public var compression: Double = 1000
    /// The first DCT coefficient kept, 1-based as in the toolbox (55: coefficients 1...54 are dropped).
    public var firstKept: Int = 55

    public init(compression: Double = 1000, firstKept: Int = 55) {
        self.compression = compression
        self.firstKept = firstKept
    }

    /// MIDI pitches 1...120, the toolbox's pitch axis.
    public static let pitches = 120

    /// - Throws: `RefrainError.invalidArgument` unless `compression > 0` and `1 <= firstKept <= 120`.
    public func validate() throws {
        guard compression > 0, compression.isFinite, (1...Self.pitches).contains(firstKept) else {
            throw RefrainError.invalidArgument("CRP needs a positive compression and a first kept DCT coefficient in 1...120 (got \(compression) and \(firstKept))")
        }
    }

    /// The linear map from the 120 log pitch energies to the 12 unnormalized CRP values: the fold into pitch
    /// classes after the DCT projection onto the kept coefficients. `12 x 120`; column `p - 1` is MIDI pitch `p`.
    public var reduction: Matrix {
        let n = Self.pitches
        // Orthonormal DCT-II basis: basis[k][p] = s_k cos(pi (p + 1/2) k / n), s_0 = sqrt(1/n), s_k = sqrt(2/n).
        var basis = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for k in 0..<n {
            let scale: Double = (Double(k == 0 ? 1 : 2) / Double(n)).squareRoot()
            for p in 0..<n {
                let angle: Double = Double.pi * (Double(p) + 0.5) * Double(k) / Double(n)
                basis[k][p] = scale * cos(angle)
            }
        }
        var fold = Matrix(rows: 12, cols: n)
        for column in 0..<n {
            // Column `column` of the projection onto the kept coefficients, summed into its rows' pitch classes.
            for row in 0..<n {
                var projection = 0.0
                for k in (firstKept - 1)..<n { projection += basis[k][row] * basis[k][column] }
                fold[(row + 1) % 12, column] += Float(projection)
            }
        }
        return fold
    }
}

/// CRP (`CRPParameters`) from a constant-Q magnitude (`frames x bins`, `binsPerOctave` a multiple of 12, bin 0
/// centred on `fmin`, the same folding of bins into semitones as `cqToChroma`): each semitone's energy is the
/// sum of its bins' squared magnitudes, placed at its MIDI pitch (pitches outside 1...120 are dropped).
/// Output `frames x 12`, the same frame times; each frame of unit L2 length.
public func crp(fromCQT cqt: FeatureSequence, binsPerOctave: Int, fmin: Double = midiToHz(24),
                parameters: CRPParameters = CRPParameters()) -> FeatureSequence {
    precondition(binsPerOctave % 12 == 0, "bins per octave must be a multiple of 12")
    let merge = binsPerOctave / 12
    let lowest = Int((12 * log2(fmin / 440) + 69).rounded())
    let reduction = parameters.reduction
    let flat = Float(1 / Double(12).squareRoot())
    var out = Matrix(rows: cqt.frameCount, cols: 12)
    var pitch = [Double](repeating: 0, count: CRPParameters.pitches)
    for t in 0..<cqt.frameCount {
        for p in pitch.indices { pitch[p] = 0 }
        for bin in 0..<cqt.dimension {
            let midi = lowest + (bin + merge / 2) / merge
            guard (1...CRPParameters.pitches).contains(midi) else { continue }
            let magnitude = Double(cqt.values[t, bin])
            pitch[midi - 1] += magnitude * magnitude
        }
        for p in pitch.indices { pitch[p] = log(1 + parameters.compression * pitch[p]) }
        var length = 0.0
        var row = [Double](repeating: 0, count: 12)
        for c in 0..<12 {
            var acc = 0.0
            for p in pitch.indices { acc += Double(reduction[c, p]) * pitch[p] }
            row[c] = acc
            length += acc * acc
        }
        length = length.squareRoot()
        for c in 0..<12 { out[t, c] = length < 1e-6 ? flat : Float(row[c] / length) }
    }
    return FeatureSequence(values: out, times: cqt.times)
}
