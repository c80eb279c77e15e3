/// A feature sequence with the time of every frame: `values` is `frames x dims` (one row per frame)
/// and `times[i]` is the time in seconds of frame `i` (its centre, librosa's `frames_to_time`
/// convention for centred frames).
///
/// Every feature Refrain computes travels as a `FeatureSequence`, so that an alignment path in frames
/// can always be read back in seconds.
public struct FeatureSequence: Equatable, Sendable {
    /// `frames x dims`.
    public var values: Matrix
    /// Seconds, one per frame, non-decreasing.
    public var times: [Double]

    public init(values: Matrix, times: [Double]) {
        precondition(values.rows == times.count, "\(values.rows) frames but \(times.count) times")
        self.values = values
        self.times = times
    }

    /// Frames at a constant rate: frame `i` at `i * hopLength / sampleRate` seconds.
    public init(values: Matrix, hopLength: Int, sampleRate: Double) {
        self.init(values: values, times: (0..<values.rows).map { Double($0 * hopLength) / sampleRate })
    }

    public var frameCount: Int { values.rows }
    public var dimension: Int { values.cols }

    /// Frames per second, estimated from the first and last frame times (0 with fewer than 2 frames).
    public var frameRate: Double {
        guard times.count > 1, let first = times.first, let last = times.last, last > first else { return 0 }
        return Double(times.count - 1) / (last - first)
    }

    /// Frames `range` with their times.
    public func frames(_ range: Range<Int>) -> FeatureSequence {
        FeatureSequence(values: values.rows(range), times: Array(times[range]))
    }
}
