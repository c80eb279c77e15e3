import RefrainMath

/// Ticks to seconds through a piecewise-constant tempo, exactly as pretty_midi computes it
/// (`_load_tempo_changes` + `_update_tick_to_time`): segment `k` starts at `ticks[k]` with `secondsPerTick[k]`,
/// and `seconds(tick) = startSeconds[k] + secondsPerTick[k] * (tick - ticks[k])` in double precision.
public struct TempoMap: Equatable, Sendable {
    /// Ticks per quarter note.
    public let resolution: Int
    /// Segment start ticks, non-decreasing, first is 0.
    public private(set) var ticks: [Int]
    /// Microseconds per quarter note of each segment.
    public private(set) var microsecondsPerQuarter: [Int]
    /// Seconds per tick of each segment, `60 / ((6e7 / usPerQuarter) * resolution)`.
    public private(set) var secondsPerTick: [Double]
    /// Seconds at each segment start.
    public private(set) var startSeconds: [Double]

    /// 120 quarter notes per minute from tick 0.
    public init(resolution: Int) {
        self.resolution = resolution
        ticks = [0]; microsecondsPerQuarter = [500_000]
        secondsPerTick = [60.0 / (120.0 * Double(resolution))]
        startSeconds = [0]
    }

    /// A tempo map from `(tick, microseconds per quarter)` events in file order, with pretty_midi's rules: an
    /// event at tick 0 replaces the initial 120 qpm, a later event that repeats the current tempo is ignored.
    /// Microsecond values must be positive.
    public init(resolution: Int, events: [(tick: Int, microsecondsPerQuarter: Int)]) {
        self.init(resolution: resolution)
        var scales: [(Int, Int, Double)] = [(0, 500_000, secondsPerTick[0])]
        for e in events {
            let scale = 60.0 / ((6e7 / Double(e.microsecondsPerQuarter)) * Double(resolution))
            if e.tick == 0 {
                scales = [(0, e.microsecondsPerQuarter, scale)]
            } else if scale != scales[scales.count - 1].2 {
                scales.append((e.tick, e.microsecondsPerQuarter, scale))
            }
        }
        ticks = scales.map { $0.0 }
        microsecondsPerQuarter = scales.map { $0.1 }
        secondsPerTick = scales.map { $0.2 }
        computeStarts()
    }

    private mutating func computeStarts() {
        startSeconds = [Double](repeating: 0, count: ticks.count)
        var last = 0.0
        for k in 1..<max(ticks.count, 1) {
            last = last + secondsPerTick[k - 1] * Double(ticks[k] - ticks[k - 1])
            startSeconds[k] = last
        }
    }

    /// Seconds at `tick` (tick >= 0).
    @inlinable
    public func seconds(atTick tick: Int) -> Double {
        // Last segment whose start tick is <= tick (pretty_midi: later segments overwrite earlier ones).
        var lo = 0, hi = ticks.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if ticks[mid] <= tick { lo = mid } else { hi = mid - 1 }
        }
        return startSeconds[lo] + secondsPerTick[lo] * Double(tick - ticks[lo])
    }

    /// The tick nearest to `seconds` (inverse of `seconds(atTick:)`, for notes made in seconds).
    public func tick(atSeconds seconds: Double) -> Int {
        var k = 0
        while k + 1 < ticks.count && startSeconds[k + 1] <= seconds { k += 1 }
        return ticks[k] + Int(((seconds - startSeconds[k]) / secondsPerTick[k]).rounded())
    }

    /// Tempo changes with their times in seconds (pretty_midi `get_tempo_changes`).
    public var changes: [MIDITempoChange] {
        (0..<ticks.count).map {
            MIDITempoChange(tick: ticks[$0], time: startSeconds[$0], microsecondsPerQuarter: microsecondsPerQuarter[$0])
        }
    }

    /// Quarter notes per minute of each segment, `60 / (secondsPerTick * resolution)` as pretty_midi reports it.
    public var qpm: [Double] { secondsPerTick.map { 60.0 / ($0 * Double(resolution)) } }

    /// Every tempo multiplied by `factor` (2 = twice as fast); ticks are unchanged.
    public func scaled(by factor: Double) -> TempoMap {
        TempoMap(resolution: resolution, events: zip(ticks, microsecondsPerQuarter).map {
            (tick: $0.0, microsecondsPerQuarter: max(1, Int((Double($0.1) / factor).rounded())))
        })
    }

    /// The microseconds per quarter note in force at `tick`.
    public func microsecondsPerQuarter(atTick tick: Int) -> Int {
        var k = 0
        while k + 1 < ticks.count && ticks[k + 1] <= tick { k += 1 }
        return microsecondsPerQuarter[k]
    }
}
