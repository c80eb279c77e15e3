import Foundation
import RefrainMath

/// A second-order IIR filter with the coefficient formulas of Robert Bristow-Johnson's "Cookbook formulae
/// for audio EQ biquad filter coefficients" (the RBJ cookbook): `y[n] = b0 x[n] + b1 x[n-1] + b2 x[n-2]
/// - a1 y[n-1] - a2 y[n-2]`, coefficients normalised by `a0`. Used to colour audio like a room, a
/// loudspeaker or a telephone line (equalisation, band limits).
public struct Biquad: Codable, Equatable, Sendable {
    public var b0: Double, b1: Double, b2: Double, a1: Double, a2: Double

    public init(b0: Double, b1: Double, b2: Double, a0: Double = 1, a1: Double, a2: Double) {
        self.b0 = b0 / a0
        self.b1 = b1 / a0
        self.b2 = b2 / a0
        self.a1 = a1 / a0
        self.a2 = a2 / a0
    }

    /// The cookbook's intermediate values for a centre or corner frequency `hz` at `sampleRate` Hz.
    private static func angle(_ hz: Double, _ sampleRate: Double) throws -> (cos: Double, sin: Double) {
        guard hz > 0, hz < sampleRate / 2, sampleRate > 0 else {
            throw RefrainError.invalidArgument("filter frequency \(hz) Hz must lie between 0 and half the sample rate (\(sampleRate / 2) Hz)")
        }
        let w = 2 * Double.pi * hz / sampleRate
        return (cos(w), sin(w))
    }

    /// Second-order low-pass (-3 dB at `hz` for `q` = 1/√2, Butterworth), 12 dB per octave above.
    public static func lowPass(hz: Double, q: Double = 1 / 2.0.squareRoot(), sampleRate: Double) throws -> Biquad {
        let (c, s) = try angle(hz, sampleRate)
        let alpha = s / (2 * q)
        return Biquad(b0: (1 - c) / 2, b1: 1 - c, b2: (1 - c) / 2, a0: 1 + alpha, a1: -2 * c, a2: 1 - alpha)
    }

    /// Second-order high-pass (-3 dB at `hz` for `q` = 1/√2).
    public static func highPass(hz: Double, q: Double = 1 / 2.0.squareRoot(), sampleRate: Double) throws -> Biquad {
        let (c, s) = try angle(hz, sampleRate)
        let alpha = s / (2 * q)
        return Biquad(b0: (1 + c) / 2, b1: -(1 + c), b2: (1 + c) / 2, a0: 1 + alpha, a1: -2 * c, a2: 1 - alpha)
    }

    /// Peaking equaliser: `gainDB` at `hz`, 0 dB far from it; `q` sets the bandwidth.
    public static func peaking(hz: Double, gainDB: Double, q: Double = 1, sampleRate: Double) throws -> Biquad {
        let (c, s) = try angle(hz, sampleRate)
        let a = pow(10, gainDB / 40), alpha = s / (2 * q)
        return Biquad(b0: 1 + alpha * a, b1: -2 * c, b2: 1 - alpha * a, a0: 1 + alpha / a, a1: -2 * c, a2: 1 - alpha / a)
    }

    /// Low shelf: `gainDB` below `hz` (half of it, in dB, at `hz`), 0 dB far above; shelf slope 1.
    public static func lowShelf(hz: Double, gainDB: Double, slope: Double = 1, sampleRate: Double) throws -> Biquad {
        let (c, s) = try angle(hz, sampleRate)
        let a = pow(10, gainDB / 40)
        let alpha = s / 2 * ((a + 1 / a) * (1 / slope - 1) + 2).squareRoot()
        let r = 2 * a.squareRoot() * alpha
        return Biquad(b0: a * ((a + 1) - (a - 1) * c + r), b1: 2 * a * ((a - 1) - (a + 1) * c),
                      b2: a * ((a + 1) - (a - 1) * c - r), a0: (a + 1) + (a - 1) * c + r,
                      a1: -2 * ((a - 1) + (a + 1) * c), a2: (a + 1) + (a - 1) * c - r)
    }

    /// High shelf: `gainDB` above `hz` (half of it, in dB, at `hz`), 0 dB far below; shelf slope 1.
    public static func highShelf(hz: Double, gainDB: Double, slope: Double = 1, sampleRate: Double) throws -> Biquad {
        let (c, s) = try angle(hz, sampleRate)
        let a = pow(10, gainDB / 40)
        let alpha = s / 2 * ((a + 1 / a) * (1 / slope - 1) + 2).squareRoot()
        let r = 2 * a.squareRoot() * alpha
        return Biquad(b0: a * ((a + 1) + (a - 1) * c + r), b1: -2 * a * ((a - 1) + (a + 1) * c),
                      b2: a * ((a + 1) + (a - 1) * c - r), a0: (a + 1) - (a - 1) * c + r,
                      a1: 2 * ((a - 1) - (a + 1) * c), a2: (a + 1) - (a - 1) * c - r)
    }

    /// The magnitude response at `hz` (linear gain), from the transfer function on the unit circle.
    public func gain(atHz hz: Double, sampleRate: Double) -> Double {
        let w = 2 * Double.pi * hz / sampleRate
        // H(e^{jw}) = (b0 + b1 z^-1 + b2 z^-2) / (1 + a1 z^-1 + a2 z^-2), z^-k = cos(kw) - j sin(kw).
        let nr = b0 + b1 * cos(w) + b2 * cos(2 * w), ni = -(b1 * sin(w) + b2 * sin(2 * w))
        let dr = 1 + a1 * cos(w) + a2 * cos(2 * w), di = -(a1 * sin(w) + a2 * sin(2 * w))
        return ((nr * nr + ni * ni) / (dr * dr + di * di)).squareRoot()
    }

    /// Filters `samples` in place (transposed direct form II in double precision, zero initial state).
    public func apply(to samples: inout [Float]) {
        var z1 = 0.0, z2 = 0.0
        samples.withUnsafeMutableBufferPointer { x in
            for i in x.indices {
                let input = Double(x[i])
                let output = b0 * input + z1
                z1 = b1 * input - a1 * output + z2
                z2 = b2 * input - a2 * output
                x[i] = Float(output)
            }
        }
    }
}
