import Foundation
import RefrainFeatures

/// What the analysis of one input has computed (its audio per rate, beats, shared features, CQT magnitudes),
/// shared by every lane of an `AnalysisSource` so that encoders running side by side compute each value once:
/// a lane asking for a value another lane is making waits for it rather than making it again. Values are
/// made outside the lock; only the bookkeeping is locked.
final class AnalysisMemo: @unchecked Sendable {
    private let condition = NSCondition()
    private var done: [String: Any] = [:]
    private var making: Set<String> = []
    private var magnitudes: [(cqt: CQT, magnitude: FeatureSequence)] = []
    private var makingMagnitudes: [CQT] = []

    /// The value stored under `key`, made by `make` on the first call. A call while another thread makes it
    /// waits for that one; if that one failed, this call makes it itself (and meets the same error).
    func value<T>(_ key: String, make: () throws -> T) rethrows -> T {
        condition.lock()
        while making.contains(key) { condition.wait() }
        if let value = done[key] as? T {
            condition.unlock()
            return value
        }
        making.insert(key)
        condition.unlock()
        var made: T?
        defer {
            condition.lock()
            if let made { done[key] = made }
            making.remove(key)
            condition.broadcast()
            condition.unlock()
        }
        made = try make()
        return made!
    }

    /// Stores `value` under `key` unless a value is there or being made (a value computed beforehand, e.g. a CQT
    /// streamed while the audio was made, equal to what `make` would give).
    func store<T>(_ key: String, _ value: T) {
        condition.lock()
        if done[key] == nil && !making.contains(key) { done[key] = value }
        condition.unlock()
    }

    /// Stores `magnitude` as `cqt`'s unless one of its configuration is there or being made (see `store`).
    func storeMagnitude(_ cqt: CQT, _ magnitude: FeatureSequence) {
        condition.lock()
        if !magnitudes.contains(where: { $0.cqt.configuration == cqt.configuration })
            && !makingMagnitudes.contains(where: { $0.configuration == cqt.configuration }) {
            magnitudes.append((cqt, magnitude))
        }
        condition.unlock()
    }

    /// The CQT magnitude stored for `cqt`'s configuration, if it was made.
    func storedMagnitude(_ cqt: CQT) -> FeatureSequence? {
        condition.lock()
        defer { condition.unlock() }
        return magnitudes.first { $0.cqt.configuration == cqt.configuration }?.magnitude
    }

    /// The value stored under `key`, if it was made.
    func stored<T>(_ key: String, as type: T.Type = T.self) -> T? {
        condition.lock()
        defer { condition.unlock() }
        return done[key] as? T
    }

    /// The CQT magnitude by `cqt`, made by `make` from the magnitudes already made (so that it may take the
    /// rows of a finer one, `CQT.frameStride(within:)`) on the first call for its configuration. A call waits
    /// while another thread makes this configuration or one `cqt` could take rows of, so that the result is
    /// the one a serial analysis in the same order would give.
    func magnitude(_ cqt: CQT, make: ([(cqt: CQT, magnitude: FeatureSequence)]) throws -> FeatureSequence) throws -> FeatureSequence {
        condition.lock()
        while makingMagnitudes.contains(where: { $0.configuration == cqt.configuration || cqt.frameStride(within: $0) != nil }) {
            condition.wait()
        }
        if let finished = magnitudes.first(where: { $0.cqt.configuration == cqt.configuration }) {
            condition.unlock()
            return finished.magnitude
        }
        let finished = magnitudes
        makingMagnitudes.append(cqt)
        condition.unlock()
        var made: FeatureSequence?
        defer {
            condition.lock()
            if let made { magnitudes.append((cqt, made)) }
            makingMagnitudes.removeAll { $0 === cqt }
            condition.broadcast()
            condition.unlock()
        }
        made = try make(finished)
        return made!
    }
}
