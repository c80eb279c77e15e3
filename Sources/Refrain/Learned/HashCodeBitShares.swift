import Foundation

/// How often each of a hash sequence's 16 bits is set: enough to know the mean Hamming distance between
/// every code of one sequence and every code of another without comparing the pairs. For bit `b` set in a
/// share `p` of one sequence's codes and `q` of the other's, a pair differs in `b` with probability
/// `p (1 - q) + (1 - p) q`; the mean distance over all `n x m` pairs is the sum over the bits (exact, in
/// Double rounding). It is the Hamming counterpart of the mean cost of all frame pairs that
/// `VersionMatcher` divides by (Raffel & Ellis 2016 score a path relative to its submatrix's mean cost):
/// an item whose codes sit close to every code of every query (few bits set, say) gets low DTW costs
/// against everything, and a relative score takes that back.
public struct HashCodeBitShares: Sendable, Equatable {
    /// Share of the codes with bit `b` set, `b` = 0 (least significant) ..< 16; all 0 for an empty sequence.
    public let shares: [Double]

    public init(_ codes: [UInt16]) {
        var counts = [Int](repeating: 0, count: 16)
        for code in codes {
            var bits = code
            while bits != 0 {
                counts[bits.trailingZeroBitCount] += 1
                bits &= bits - 1
            }
        }
        let n = Double(max(codes.count, 1))
        shares = counts.map { Double($0) / n }
    }

    /// The mean Hamming distance, bits, between a code of `self`'s sequence and a code of `other`'s, over
    /// all pairs.
    public func meanDistance(to other: HashCodeBitShares) -> Double {
        var sum = 0.0
        for b in 0..<16 { sum += shares[b] * (1 - other.shares[b]) + (1 - shares[b]) * other.shares[b] }
        return sum
    }
}
