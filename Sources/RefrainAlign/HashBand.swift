import Foundation

/// A Sakoe & Chiba (1978) band for Hamming batch DTW of length-fitted sequences: against a query of `n` codes,
/// a database sequence of `m` codes may only be aligned through the cells `(i, j)` with
/// `|j - i (m - 1) / (n - 1)| <= radius`, `radius = max(minimum, round(fraction * m))` codes of the sequence
/// (`GlobalConstraint.band(radius:)`, cells on the radius included), i.e. a global tempo change fitted by the
/// two lengths plus local deviations of at most `fraction` of the piece. Suited to whole-piece comparisons
/// (a score against its recording), as the version stage's banded CENS DTW; not to excerpts.
public struct HashBand: Sendable, Equatable {
    /// Radius as a share of the database sequence's length, > 0.
    public var fraction: Double
    /// Smallest radius, codes (at least 1).
    public var minimum: Int

    public init(fraction: Double, minimum: Int = 4) {
        self.fraction = fraction
        self.minimum = max(1, minimum)
    }

    /// The radius in codes for a database sequence of `length` codes.
    public func radius(length: Int) -> Int {
        max(minimum, Int((fraction * Double(length)).rounded()))
    }
}
