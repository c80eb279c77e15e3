import RefrainMath

/// How drum instruments enter a piano roll.
public enum DrumHandling: Sendable {
    /// pretty_midi: drums contribute zeros (but their end time still widens the roll).
    case zero
    /// Drum instruments are left out entirely (their end time does not count).
    case exclude
    /// Drum notes are drawn at their key numbers like pitched notes.
    case include
}

/// Piano rolls with pretty_midi's semantics (`get_piano_roll`): a `128 x frames` matrix (row = MIDI pitch,
/// column = frame, as pretty_midi returns it) whose value is the sum of the velocities of the sounding notes.
/// Frame `j` covers `[j / fs, (j + 1) / fs)`; a note fills columns `Int(start * fs) ..< Int(end * fs)`;
/// sustain pedal (CC 64 >= `pedalThreshold`) keeps each pitch's running maximum until the pedal lifts; pitch
/// bends shift and interpolate rows (+-2 semitones range).
extension MIDIInstrument {
    /// Largest number of cells (128 x frames) a roll may have before it is refused.
    public static let maximumPianoRollCells = 1 << 28

    /// This instrument's roll at `fs` frames per second: `128 x Int(fs * endTime)`, or `128 x times.count`
    /// when `times` (seconds, non-decreasing, >= 0) is given; then column `n` is the mean of the `fs`-rate
    /// columns `round(times[n] * fs) ..< round(times[n + 1] * fs)` and the last column is zero.
    /// Drums give zeros unless `drawDrums` is true.
    public func pianoRoll(fs: Double = 100, times: [Double]? = nil, pedalThreshold: Int? = 64,
                          drawDrums: Bool = false) throws -> Matrix {
        guard fs > 0, fs.isFinite else { throw RefrainError.invalidArgument("piano roll frame rate must be positive, got \(fs)") }
        if let times { try PianoRollSampler.validate(times) }
        if notes.isEmpty { return Matrix(rows: 128, cols: 0) }
        var end = endTime
        if let last = times?.last, last > end { end = last }
        let width = Int(fs * end)
        guard width <= MIDIInstrument.maximumPianoRollCells / 128 else {
            throw RefrainError.invalidArgument("piano roll of \(width) frames is too large (end time \(end) s at \(fs) frames/s)")
        }
        if isDrum && !drawDrums {
            return Matrix(rows: 128, cols: times?.count ?? width)
        }
        if let times, !needsDenseRoll(fs: fs, pedalThreshold: pedalThreshold) {
            return PianoRollSampler.integrateNotes(notes, fs: fs, width: width, times: times)
        }
        var roll = [Float](repeating: 0, count: 128 * width)
        roll.withUnsafeMutableBufferPointer { r in
            for n in notes where (0..<128).contains(n.pitch) {
                let a = Int(n.start * fs), b = min(Int(n.end * fs), width)
                if a < b {
                    let v = Float(n.velocity), base = n.pitch * width
                    for j in a..<b { r[base + j] += v }
                }
            }
            if let pedalThreshold { applyPedal(r, width: width, fs: fs, threshold: pedalThreshold) }
        }
        applyBends(&roll, width: width, fs: fs, endTime: end)
        let dense = Matrix(rows: 128, cols: width, storage: roll)
        guard let times else { return dense }
        return PianoRollSampler.integrate(dense, fs: fs, times: times)
    }

    private func needsDenseRoll(fs: Double, pedalThreshold: Int?) -> Bool {
        if pitchBends.contains(where: { $0.pitch != 0 }) { return true }
        guard let pedalThreshold else { return false }
        var on = false
        for c in controlChanges where c.number == 64 {
            let now = c.value >= pedalThreshold
            if on && !now { return true }
            on = on || now
        }
        return false
    }

    private func applyPedal(_ r: UnsafeMutableBufferPointer<Float>, width: Int, fs: Double, threshold: Int) {
        var pedalOn = 0
        var isOn = false
        for c in controlChanges where c.number == 64 {
            let now = Int(c.time * fs)
            let current = c.value >= threshold
            if !isOn && current {
                pedalOn = now; isOn = true
            } else if isOn && !current {
                let a = min(pedalOn, width), b = min(now, width)
                if a < b {
                    for p in 0..<128 {
                        let base = p * width
                        var m = r[base + a]
                        for j in a..<b { m = Swift.max(m, r[base + j]); r[base + j] = m }
                    }
                }
                isOn = false
            }
        }
    }

    private func applyBends(_ roll: inout [Float], width: Int, fs: Double, endTime: Double) {
        guard pitchBends.contains(where: { $0.pitch != 0 }) else { return }
        var order = Array(pitchBends.indices)
        order.sort { (pitchBends[$0].time, $0) < (pitchBends[$1].time, $1) }
        let sorted = order.map { pitchBends[$0] }
        for (k, bend) in sorted.enumerated() where bend.pitch != 0 {
            let nextTime = k + 1 < sorted.count ? sorted[k + 1].time : endTime
            let a = Int(bend.time * fs), b = min(Int(nextTime * fs), width)
            guard a < b else { continue }
            let semitones = 2.0 * Double(bend.pitch) / 8192.0
            let whole = Int((semitones < 0 ? -1.0 : 1.0) * (abs(semitones)).rounded(.down))
            let fraction = Float(abs(semitones - Double(whole)))
            var bent = [Float](repeating: 0, count: 128)
            for j in a..<b {
                for p in 0..<128 {
                    let src = p - whole
                    bent[p] = (0..<128).contains(src) ? roll[src * width + j] : 0
                }
                if bend.pitch >= 0 {
                    for p in stride(from: 127, through: 1, by: -1) { bent[p] = (1 - fraction) * bent[p] + fraction * bent[p - 1] }
                } else {
                    for p in 0..<127 { bent[p] = (1 - fraction) * bent[p] + fraction * bent[p + 1] }
                }
                for p in 0..<128 { roll[p * width + j] = bent[p] }
            }
        }
    }
}

extension MIDIScore {
    /// pretty_midi `PrettyMIDI.get_piano_roll`: the sum of every instrument's roll, `128 x frames` where frames
    /// is the widest instrument roll (or `times.count`). No instruments: `128 x 0`.
    public func pianoRoll(fs: Double = 100, times: [Double]? = nil, pedalThreshold: Int? = 64,
                          drums: DrumHandling = .zero) throws -> Matrix {
        let chosen = drums == .exclude ? instruments.filter { !$0.isDrum } : instruments
        if chosen.isEmpty { return Matrix(rows: 128, cols: 0) }
        let rolls = try chosen.map {
            try $0.pianoRoll(fs: fs, times: times, pedalThreshold: pedalThreshold, drawDrums: drums == .include)
        }
        let width = rolls.map(\.cols).max() ?? 0
        var sum = [Float](repeating: 0, count: 128 * width)
        for roll in rolls where roll.cols > 0 {
            roll.storage.withUnsafeBufferPointer { src in
                for p in 0..<128 {
                    let s = p * roll.cols, d = p * width
                    for j in 0..<roll.cols { sum[d + j] += src[s + j] }
                }
            }
        }
        return Matrix(rows: 128, cols: width, storage: sum)
    }

    /// pretty_midi `get_chroma`: the piano roll folded into 12 pitch classes, `12 x frames` (row 0 = C).
    public func chroma(fs: Double = 100, times: [Double]? = nil, pedalThreshold: Int? = 64) throws -> Matrix {
        PianoRollSampler.chroma(of: try pianoRoll(fs: fs, times: times, pedalThreshold: pedalThreshold))
    }

    /// The piano roll sampled on beats (pretty_midi `get_piano_roll(times=get_beats())`): `128 x beats`,
    /// column `n` the mean roll between beat `n` and beat `n + 1` (the last column is zero), with the beat
    /// times in seconds.
    public func beatSynchronousPianoRoll(fs: Double = 100, pedalThreshold: Int? = 64,
                                         drums: DrumHandling = .zero) throws -> (roll: Matrix, beats: [Double]) {
        let beats = self.beats()
        return (try pianoRoll(fs: fs, times: beats, pedalThreshold: pedalThreshold, drums: drums), beats)
    }
}

/// Sampling helpers shared by the piano-roll functions.
public enum PianoRollSampler {
    /// A `12 x frames` chroma from a `128 x frames` roll: row `c` sums pitches `c, c + 12, ...`.
    public static func chroma(of roll: Matrix) -> Matrix {
        var out = [Float](repeating: 0, count: 12 * roll.cols)
        roll.storage.withUnsafeBufferPointer { r in
            for p in 0..<roll.rows {
                let d = (p % 12) * roll.cols, s = p * roll.cols
                for j in 0..<roll.cols { out[d + j] += r[s + j] }
            }
        }
        return Matrix(rows: 12, cols: roll.cols, storage: out)
    }

    static func validate(_ times: [Double]) throws {
        guard !times.isEmpty else { throw RefrainError.invalidArgument("piano roll sample times are empty") }
        for (i, t) in times.enumerated() {
            guard t.isFinite, t >= 0 else { throw RefrainError.invalidArgument("piano roll sample time \(t) is not a non-negative number") }
            if i > 0 && t < times[i - 1] { throw RefrainError.invalidArgument("piano roll sample times must be non-decreasing") }
        }
    }

    /// Column ranges `[start, end)` of the `fs`-rate roll averaged into each output column (pretty_midi
    /// rounding: half to even), or nil for columns that stay zero.
    static func ranges(fs: Double, width: Int, times: [Double]) -> [Range<Int>?] {
        let index = times.map { Int(($0 * fs).rounded(.toNearestOrEven)) }
        var out = [Range<Int>?](repeating: nil, count: times.count)
        for n in 0..<max(times.count - 1, 0) {
            let s = index[n]
            guard s < width else { continue }
            var e = index[n + 1]
            if s == e { e = s + 1 }
            out[n] = s..<min(e, width)
        }
        return out
    }

    static func integrate(_ roll: Matrix, fs: Double, times: [Double]) -> Matrix {
        let width = roll.cols
        let ranges = ranges(fs: fs, width: width, times: times)
        var out = [Float](repeating: 0, count: 128 * times.count)
        roll.storage.withUnsafeBufferPointer { r in
            for (n, range) in ranges.enumerated() {
                guard let range, !range.isEmpty else { continue }
                let count = Double(range.count)
                for p in 0..<128 {
                    var s = 0.0
                    let base = p * width
                    for j in range { s += Double(r[base + j]) }
                    out[p * times.count + n] = Float(s / count)
                }
            }
        }
        return Matrix(rows: 128, cols: times.count, storage: out)
    }

    /// The same as `integrate(dense roll)` for rolls made of notes only (no pedal, no bends), without
    /// drawing the dense roll: each note adds `velocity * overlap / columns` to the sample columns it meets.
    static func integrateNotes(_ notes: [MIDINote], fs: Double, width: Int, times: [Double]) -> Matrix {
        let ranges = ranges(fs: fs, width: width, times: times)
        let n = times.count
        // Sampled ranges exist for a prefix of the columns and their ends never decrease, so a binary
        // search finds the first column a note reaches.
        let ends = ranges.map { $0?.upperBound ?? Int.max }
        var acc = [Double](repeating: 0, count: 128 * n)
        for note in notes where (0..<128).contains(note.pitch) {
            let a = Int(note.start * fs), b = min(Int(note.end * fs), width)
            guard a < b else { continue }
            var lo = 0, hi = n
            while lo < hi { let mid = (lo + hi) >> 1; if ends[mid] > a { hi = mid } else { lo = mid + 1 } }
            var k = lo
            let v = Double(note.velocity), base = note.pitch * n
            while k < n {
                if let r = ranges[k] {
                    if r.lowerBound >= b { break }
                    let overlap = min(b, r.upperBound) - max(a, r.lowerBound)
                    if overlap > 0 { acc[base + k] += v * Double(overlap) / Double(r.count) }
                }
                k += 1
            }
        }
        return Matrix(rows: 128, cols: n, storage: acc.map { Float($0) })
    }
}
