import Foundation

/// A small deterministic random generator (SplitMix64, Steele, Lea & Flood 2014): the same seed gives the
/// same numbers on every platform and build, which seeded benchmarks, augmentations and tests rely on.
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    /// The whole state: `SplitMix64(seed: state)` continues this stream (checkpoints save it).
    public private(set) var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform draw from `range` (53 random bits).
    public mutating func uniform(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + (range.upperBound - range.lowerBound) * Double(next() >> 11) / Double(1 << 53)
    }

    /// A draw whose logarithm is uniform over `log(range)` (tempo ratios, frequencies); `range` positive.
    public mutating func logUniform(_ range: ClosedRange<Double>) -> Double {
        exp(uniform(log(range.lowerBound)...log(range.upperBound)))
    }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { uniform(0...1) < p }

    /// A standard normal draw (Box-Muller).
    public mutating func gaussian() -> Double {
        let u = max(uniform(0...1), 1e-300), v = uniform(0...1)
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    /// A uniformly chosen element of a non-empty collection.
    public mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
}
