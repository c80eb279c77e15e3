import Foundation

/// A small, fast, seeded generator (SplitMix64, Steele, Lea & Flood 2014): the only source of randomness in
/// RefrainLearn, so that the same seed gives the same initial weights, dropout masks, crops and mining,
/// bit for bit, on one machine. Its state is one `UInt64`, saved in checkpoints.
public struct SeededRandom: RandomNumberGenerator, Sendable, Equatable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)` with 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Standard normal (Box-Muller on two uniform `Double`s).
    public mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53, u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// An independent generator for a sub-task (e.g. one layer's dropout), derived from this one's stream.
    public mutating func split() -> SeededRandom { SeededRandom(seed: next()) }
}
