import Foundation
import RefrainFeatures

/// A hum's pitch contour at a fixed frame rate: the voiced pYIN frames (those pYIN doubts left out), octave errors
/// folded, median-pooled into bins of `1 / rate` seconds (unvoiced bins left out; `times` keep the gaps).
public struct QueryContour: Equatable, Sendable {
    /// Fractional MIDI pitch per kept bin.
    public var pitches: [Float]
    /// The bin's start, seconds.
    public var times: [Float]
    /// Bins per second.
    public var rate: Double

    public init(pitches: [Float], times: [Float], rate: Double = 10) {
        self.pitches = pitches
        self.times = times
        self.rate = rate
    }

    /// Least voiced probability of a frame the contour keeps (pYIN's voiced frames under it are left out unless
    /// fewer than `minimumGatedFrames` would remain). Off (0) by default: on the tuning half of the development set
    /// a floor of 0.2 raised the fused MRR by 1-2 queries of 152 (0.885 -> 0.893; prototype
    /// scripts/prototype/humming_notes.py 0.878 -> 0.883) but lowered the contour alone (0.788 -> 0.765), and on the
    /// report half it lowered the fused MRR (0.856 -> 0.825), so the gate stays an option (`voicedFloor:`,
    /// `refrain-bench humming --contour-voiced-floor`) until a gain shows beyond that noise.
    public static let voicedFloor: Float = 0
    /// Fewest gated frames for the gate to apply.
    public static let minimumGatedFrames = 10

    /// The contour of a pYIN track at `rate` bins per second: its voiced frames whose voiced probability reaches
    /// `voicedFloor`. A kept frame more than `octaveThreshold` semitones from the median of the kept frames within
    /// `octaveWindow` seconds either side is moved by whole octaves towards it (pYIN's octave errors).
    public init(track: PitchTrack, rate: Double = 10, octaveWindow: Double = 1, octaveThreshold: Float = 7,
                voicedFloor: Float = QueryContour.voicedFloor) {
        let raw = track.midiPitch
        var frames: [Int] = []
        for t in 0..<track.frameCount where track.voiced[t] && raw[t].isFinite && track.voicedProbability[t] >= voicedFloor { frames.append(t) }
        if frames.count < Self.minimumGatedFrames {
            frames = (0..<track.frameCount).filter { track.voiced[$0] && raw[$0].isFinite }
        }
        var values = frames.map { raw[$0] }
        if track.frameCount > 1, !values.isEmpty {
            let step = track.times[1] - track.times[0]
            let w = max(1, Int(octaveWindow / step))
            let original = values
            var window: [Float] = []
            for k in original.indices {
                window.removeAll(keepingCapacity: true)
                window.append(contentsOf: original[max(0, k - w)...min(original.count - 1, k + w)])
                window.sort()
                let d = original[k] - window[window.count / 2]
                if abs(d) > octaveThreshold { values[k] = original[k] - 12 * (d / 12).rounded() }
            }
        }
        var pitches: [Float] = [], times: [Float] = []
        var k = 0
        var bin: [Float] = []
        while k < frames.count {
            let b = Int((track.times[frames[k]] * rate).rounded(.down))
            bin.removeAll(keepingCapacity: true)
            while k < frames.count && Int((track.times[frames[k]] * rate).rounded(.down)) == b { bin.append(values[k]); k += 1 }
            bin.sort()
            pitches.append(bin[bin.count / 2])
            times.append(Float(Double(b) / rate))
        }
        self.pitches = pitches
        self.times = times
        self.rate = rate
    }
}

/// The contour stage of query by humming, a second opinion that does not depend on note segmentation: the hum's
/// frame-wise pitch (`QueryContour`, 10 frames a second) against a melody's frame-wise pitch, which is its notes
/// held for their inter-onset intervals (derived from the stored notes at query time, so each reference note
/// stands for the run of frames it covers). A dynamic-programming match of sung frames to score notes in the
/// manner of Jang & Gao (2000, "A query-by-singing system based on dynamic programming"), subsequence (it starts
/// and ends at any note), made key invariant by a transposition that starts at the first frame's offset and
/// follows the singer's drift (an exponential average with weight `keyFollow`), and tempo invariant by a tempo
/// estimate (query seconds per score second) that starts within `tempoRange` and follows the singer (weight
/// `tempoFollow` on the log ratio), each note's held time costing `tempoWeight` per unit of log deviation from it.
/// Each sung frame may stay on its note, move to the next, or skip one (`skipCost`).
public struct ContourAlignment: Sendable {
    /// Pitch differences up to this many semitones cost nothing.
    public var tolerance: Float = 0.25
    /// Largest cost of one frame, semitones beyond `tolerance`.
    public var cap: Float = 3
    /// Weight of the newest frame in the transposition estimate.
    public var keyFollow: Float = 0.05
    /// Cost per unit of |log(held / expected)| of a note's held time.
    public var tempoWeight: Float = 3
    /// Largest |log| deviation counted for one note.
    public var tempoCap: Float = 1.5
    /// Weight of the newest note's log ratio in the tempo estimate.
    public var tempoFollow: Float = 0.3
    /// Cost of skipping a score note.
    public var skipCost: Float = 1
    /// Tempo ratios (query seconds per score second) the first note may imply without a penalty.
    public var tempoRange: ClosedRange<Float> = 0.4...2.5

    public init() {}

    @inline(__always) func local(_ x: Float) -> Float { min(cap, max(0, abs(x) - tolerance)) }

    /// Longest query (frames; 1,024 is 102 s at 10 frames a second) whose frame-gap logs are tabled in `Scratch`
    /// (4 bytes times its square); a longer one takes the logs as it goes. Both give the same values.
    static let gapTableFrames = 1024

    /// Scratch rows reused between calls (five state rows, twice, and the log of each note's time so far), and the
    /// logs of the time between every two frames of the last query (`logGaps`), which every melody matched with
    /// that query shares.
    public struct Scratch {
        var now = [Float](), next = [Float](), logSpent = [Float]()
        /// log(times[i] - times[e]), seconds, at `i * times.count + e` for every frame i and earlier frame e of the
        /// query whose frame times are `gapTimes`.
        var logGaps = [Float](), gapTimes = [Float]()
        public init() {}

        /// Fills `logGaps` for a query with frame times `times` (seconds), unless they are the last query's.
        mutating func prepareGaps(_ times: [Float]) {
            guard times != gapTimes || logGaps.count != times.count * times.count else { return }
            let n = times.count
            logGaps = [Float](repeating: 0, count: n * n)
            for i in 0..<n {
                for e in 0..<i { logGaps[i * n + e] = log(times[i] - times[e]) }
            }
            gapTimes = times
        }
    }

    /// The best match's cost per sung frame (lower is better; 0 for a contour that follows the notes within
    /// `tolerance` at a steady tempo), or +inf for an empty contour or melody.
    public func cost(_ query: QueryContour, reference: MelodyShape, scratch: inout Scratch) -> Float {
        match(query, reference: reference, scratch: &scratch).cost
    }

    /// The best match: its cost per sung frame (as `cost`) and the reference notes it spans (`reference`'s note
    /// indices: the note the first sung frame sits on, and the note of the last); +inf and (0, 0) for an empty
    /// contour or melody.
    public func match(_ query: QueryContour, reference: MelodyShape, scratch: inout Scratch) -> (cost: Float, first: Int, last: Int) {
        match(query, reference: reference, scratch: &scratch, abandonAt: .infinity, tableFrames: Self.gapTableFrames)
    }

    /// As `match`, but it gives up, returning +inf and (0, 0), once the cost per sung frame cannot come under `bound`
    /// (a melody line that cannot beat a line already matched): every move adds a cost of at least 0 (when `cap`,
    /// `skipCost`, `tempoWeight` and `tempoCap` are not negative), so the final cost is at least any frame's least
    /// cost so far. A match that does not give up is `match`'s, bit for bit. `tableFrames`: `gapTableFrames` (for tests).
    func match(_ query: QueryContour, reference: MelodyShape, scratch: inout Scratch, abandonAt bound: Float,
               tableFrames: Int) -> (cost: Float, first: Int, last: Int) {
        let n = query.pitches.count, m = reference.noteCount
        guard n > 0, m > 0 else { return (.infinity, 0, 0) }
        // Each note's score time: its inter-onset interval (the last: its duration), at least 50 ms.
        var held = [Float](repeating: 0, count: m)
        for j in 0..<m {
            let next = j + 1 < m ? reference.onsets[j + 1] : reference.ends[j]
            held[j] = Float(max(next - reference.onsets[j], 0.05))
        }
        let p = reference.pitches.map(Float.init)
        let logHeld = held.map { log($0) }
        // Rows: cost, transposition, log tempo (`unknown` until the first note is left), entry frame (the index of the
        // frame that entered the note: the log of the time spent on it is then a lookup in `logGaps`), the path's
        // first note; five blocks of m.
        if scratch.now.count < 5 * m { scratch.now = [Float](repeating: 0, count: 5 * m); scratch.next = scratch.now }
        if scratch.logSpent.count < m { scratch.logSpent = [Float](repeating: 0, count: m) }
        let q = query.pitches, t = query.times
        let tabled = n <= tableFrames
        let canAbandon = bound < .infinity && cap >= 0 && skipCost >= 0 && tempoWeight >= 0 && tempoCap >= 0
        if tabled { scratch.prepareGaps(t) }
        let logMin = log(tempoRange.lowerBound), logMax = log(tempoRange.upperBound)
        let unknown = Float.greatestFiniteMagnitude
        scratch.now.withUnsafeMutableBufferPointer { a in
            for j in 0..<m { a[j] = 0; a[m + j] = q[0] - p[j]; a[2 * m + j] = unknown; a[3 * m + j] = 0; a[4 * m + j] = Float(j) }
        }
        for i in 1..<max(n, 1) {
            let qi = q[i], entered = Float(i)
            var least = Float.infinity
            scratch.now.withUnsafeBufferPointer { a in
                // log of the time spent on each note so far (shared by the moves out of it).
                if tabled {
                    let row = i * n
                    for k in 0..<m { scratch.logSpent[k] = scratch.logGaps[row + Int(a[3 * m + k])] }
                } else {
                    for k in 0..<m { scratch.logSpent[k] = log(t[i] - t[Int(a[3 * m + k])]) }
                }
                scratch.next.withUnsafeMutableBufferPointer { b in
                    for j in 0..<m {
                        var bestCost = a[j] + local(qi - p[j] - a[m + j])
                        var bestKey = a[m + j], bestTempo = a[2 * m + j], bestEntry = a[3 * m + j], bestStart = a[4 * m + j]
                        for back in 1...2 {
                            let k = j - back
                            guard k >= 0 else { break }
                            let logTempo = a[2 * m + k]
                            var c = a[k] + (back == 2 ? skipCost : 0)
                            var newTempo: Float
                            if logTempo == unknown {
                                let r = scratch.logSpent[k] - logHeld[k]
                                if r < logMin { c += tempoWeight * min(logMin - r, tempoCap); newTempo = logMin }
                                else if r > logMax { c += tempoWeight * min(r - logMax, tempoCap); newTempo = logMax }
                                else { newTempo = r }
                            } else {
                                let r = scratch.logSpent[k] - logTempo - logHeld[k]
                                c += tempoWeight * min(abs(r), tempoCap)
                                newTempo = logTempo + tempoFollow * r
                            }
                            c += local(qi - p[j] - a[m + k])
                            if c < bestCost { bestCost = c; bestKey = a[m + k]; bestTempo = newTempo; bestEntry = entered; bestStart = a[4 * m + k] }
                        }
                        b[j] = bestCost
                        least = min(least, bestCost)
                        b[m + j] = bestKey + keyFollow * (qi - p[j] - bestKey)
                        b[2 * m + j] = bestTempo
                        b[3 * m + j] = bestEntry
                        b[4 * m + j] = bestStart
                    }
                }
            }
            swap(&scratch.now, &scratch.next)
            if canAbandon && least / Float(n) >= bound { return (.infinity, 0, 0) }
        }
        var best = Float.infinity, last = 0
        for j in 0..<m where scratch.now[j] < best { best = scratch.now[j]; last = j }
        return (best / Float(n), Int(scratch.now[4 * m + last]), last)
    }
}
