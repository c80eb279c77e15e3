import Foundation

/// The reference level that 0 dB stands for in `powerToDB` and `amplitudeToDB`.
public enum DecibelReference: Sendable {
    /// A fixed value (librosa's `ref=1.0` by default).
    case value(Float)
    /// The largest value of the input (librosa's `ref=np.max`).
    case maximum
}

/// Converts a power spectrogram to decibels with librosa's `power_to_db` semantics:
/// `10 * log10(max(amin, S)) - 10 * log10(max(amin, ref))`, then, when `topDB` is given, every value
/// is raised to at least `max - topDB`.
///
/// - Parameters:
///   - power: non-negative values, any shape (processed element-wise; `topDB` uses the global maximum).
///   - reference: 0 dB level (default `.value(1)`).
///   - amin: floor before the logarithm (default `1e-10`).
///   - topDB: dynamic range kept below the maximum, in dB (default 80; nil keeps everything).
public func powerToDB(_ power: Matrix, reference: DecibelReference = .value(1), amin: Float = 1e-10,
                      topDB: Float? = 80) -> Matrix {
    precondition(amin > 0, "amin must be positive")
    let refValue: Float
    switch reference {
    case .value(let v): refValue = abs(v)
    case .maximum: refValue = power.storage.max() ?? 1
    }
    let offset = 10 * log10(max(amin, refValue))
    var out = power
    var top = -Float.infinity
    out.storage.withUnsafeMutableBufferPointer { p in
        for i in p.indices {
            let db = 10 * log10(max(amin, p[i])) - offset
            p[i] = db
            top = max(top, db)
        }
        if let topDB {
            precondition(topDB >= 0, "topDB must be non-negative")
            let floor = top - topDB
            for i in p.indices where p[i] < floor { p[i] = floor }
        }
    }
    return out
}

/// Converts an amplitude (magnitude) spectrogram to decibels with librosa's `amplitude_to_db`
/// semantics: `powerToDB(S², ref², amin²)`. Defaults: `ref = 1`, `amin = 1e-5`, `topDB = 80`.
public func amplitudeToDB(_ magnitude: Matrix, reference: DecibelReference = .value(1), amin: Float = 1e-5,
                          topDB: Float? = 80) -> Matrix {
    let ref: DecibelReference
    switch reference {
    case .value(let v): ref = .value(v * v)
    case .maximum: ref = .value({ let m = magnitude.storage.map(abs).max() ?? 1; return m * m }())
    }
    return powerToDB(magnitude.map { $0 * $0 }, reference: ref, amin: amin * amin, topDB: topDB)
}
