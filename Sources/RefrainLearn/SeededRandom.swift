import Foundation
import RefrainMath

/// The only source of randomness in RefrainLearn: `SplitMix64` (Steele, Lea & Flood 2014), so that the same
/// seed gives the same initial weights, dropout masks, crops and mining, bit for bit, on one machine. Its
/// state is one `UInt64`, saved in checkpoints (`SeededRandom(seed: state)` resumes the stream).
public typealias SeededRandom = SplitMix64

extension SplitMix64 {
    /// Uniform in `[0, 1)` with 24 random bits.
    public mutating func uniform() -> Float { Float(next() >> 40) * 0x1p-24 }

    /// Standard normal (Box-Muller on two uniform `Double`s).
    public mutating func normal() -> Float {
        let u1 = (Double(next() >> 11) + 1) * 0x1p-53, u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2))
    }

    /// An independent generator for a sub-task (e.g. one layer's dropout), derived from this one's stream.
    public mutating func split() -> SplitMix64 { SplitMix64(seed: next()) }
}
