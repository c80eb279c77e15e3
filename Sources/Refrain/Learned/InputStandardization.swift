import Foundation
import RefrainMath

/// Per-bin standardisation of learned-input frames, `(x - mean) / deviation`, as Raffel & Ellis standardise
/// their CQT features before the networks (without it the scaled dB inputs, about 0.5 on average, make the
/// first layers' outputs mostly constant and the hasher collapses to one code per network). Measured on the
/// training material and kept in the model's metadata (`<role>.input_mean`, `<role>.input_deviation`: 48
/// comma-separated numbers each).
public struct InputStandardization: Sendable, Equatable {
    public var mean: [Float]
    public var deviation: [Float]

    public init(mean: [Float], deviation: [Float]) {
        self.mean = mean
        self.deviation = deviation
    }

    /// Mean and standard deviation (floored at 1e-3) of every column over the rows of `matrices`.
    public static func measured(_ matrices: [Matrix]) -> InputStandardization {
        let d = matrices.first?.cols ?? LearnedInput.bins
        var sum = [Double](repeating: 0, count: d), squares = sum
        var n = 0
        for m in matrices where m.cols == d {
            for r in 0..<m.rows {
                for c in 0..<d { let v = Double(m.storage[r * d + c]); sum[c] += v; squares[c] += v * v }
            }
            n += m.rows
        }
        let count = Double(max(n, 1))
        let mean = sum.map { $0 / count }
        let deviation = (0..<d).map { max(1e-3, (squares[$0] / count - mean[$0] * mean[$0]).squareRoot()) }
        return InputStandardization(mean: mean.map(Float.init), deviation: deviation.map(Float.init))
    }

    /// `values` (`rows x 48`, or the flattened rows of a batch) standardised in place.
    public func apply(_ values: inout [Float]) {
        let d = mean.count
        guard d > 0 else { return }
        for i in 0..<values.count { let c = i % d; values[i] = (values[i] - mean[c]) / deviation[c] }
    }

    public func applied(_ matrix: Matrix) -> Matrix {
        var out = matrix
        apply(&out.storage)
        return out
    }

    /// The metadata entries for `role`.
    public func metadata(role: String) -> [String: String] {
        ["\(role).input_mean": mean.map { String($0) }.joined(separator: ","),
         "\(role).input_deviation": deviation.map { String($0) }.joined(separator: ",")]
    }

    /// Reads `role`'s entries from a model's metadata; nil when absent.
    /// - Throws: `RefrainError.invalidFile` when they are malformed.
    public static func read(_ metadata: [String: String], role: String, name: String) throws -> InputStandardization? {
        guard let m = metadata["\(role).input_mean"], let s = metadata["\(role).input_deviation"] else { return nil }
        let mean = m.split(separator: ",").compactMap { Float($0) }, deviation = s.split(separator: ",").compactMap { Float($0) }
        guard mean.count == LearnedInput.bins, deviation.count == LearnedInput.bins, deviation.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            throw RefrainError.invalidFile(name, "its \(role) input standardisation is not \(LearnedInput.bins) means and positive deviations")
        }
        return InputStandardization(mean: mean, deviation: deviation)
    }
}
