import RefrainMath

/// A note of a melody line: onset and duration in seconds, MIDI pitch.
public struct MelodyNote: Equatable, Sendable {
    public var onset: Double
    public var duration: Double
    public var pitch: Int
    public init(onset: Double, duration: Double, pitch: Int) { self.onset = onset; self.duration = duration; self.pitch = pitch }
}

extension MIDIScore {
    /// The melody as a monophonic line: the "skyline" (highest sounding pitch at every instant, Uitdenbogerd &
    /// Zobel 1999) of the non-drum instruments, or of `instrument` (an index into `instruments`) when given.
    /// A new melody note starts where the highest pitch changes or where a note at that pitch is struck again.
    public func melody(instrument: Int? = nil) throws -> [MelodyNote] {
        let notes: [MIDINote]
        if let instrument {
            guard instruments.indices.contains(instrument) else {
                throw RefrainError.invalidArgument("instrument \(instrument) out of range (the score has \(instruments.count))")
            }
            notes = instruments[instrument].notes
        } else {
            notes = instruments.filter { !$0.isDrum }.flatMap(\.notes)
        }
        return MIDIScore.skyline(notes)
    }

    static func skyline(_ notes: [MIDINote]) -> [MelodyNote] {
        // Events: (time, kind 0 = off, 1 = on, pitch); offs first at equal times.
        var events: [(time: Double, kind: Int, pitch: Int)] = []
        events.reserveCapacity(notes.count * 2)
        for n in notes where n.end > n.start && (0..<128).contains(n.pitch) {
            events.append((n.start, 1, n.pitch)); events.append((n.end, 0, n.pitch))
        }
        events.sort { ($0.time, $0.kind, $0.pitch) < ($1.time, $1.kind, $1.pitch) }
        var active = [Int](repeating: 0, count: 128)
        var out: [MelodyNote] = []
        var current: (onset: Double, pitch: Int)? = nil
        var i = 0
        while i < events.count {
            let t = events[i].time
            var struck = Set<Int>()
            while i < events.count && events[i].time == t {
                let e = events[i]
                if e.kind == 1 { active[e.pitch] += 1; struck.insert(e.pitch) } else { active[e.pitch] -= 1 }
                i += 1
            }
            let top = (0..<128).reversed().first { active[$0] > 0 }
            if let c = current, top != c.pitch || struck.contains(c.pitch) {
                if t > c.onset { out.append(MelodyNote(onset: c.onset, duration: t - c.onset, pitch: c.pitch)) }
                current = nil
            }
            if current == nil, let top { current = (t, top) }
        }
        return out
    }

    /// The melody as a frame-wise pitch contour: MIDI pitch of the melody note sounding at each frame time
    /// `j / fs` (0 where none sounds), `Int(fs * endTime)` frames, or one value per `times` entry.
    public func melodyContour(fs: Double = 100, times: [Double]? = nil, instrument: Int? = nil) throws -> [Float] {
        guard fs > 0, fs.isFinite else { throw RefrainError.invalidArgument("contour frame rate must be positive, got \(fs)") }
        let line = try melody(instrument: instrument)
        let sampleTimes = times ?? (0..<Int(fs * endTime)).map { Double($0) / fs }
        var out = [Float](repeating: 0, count: sampleTimes.count)
        var k = 0
        for (j, t) in sampleTimes.enumerated() {
            if j > 0 && t < sampleTimes[j - 1] { k = 0 }  // unsorted times: search again from the start
            while k < line.count && line[k].onset + line[k].duration <= t { k += 1 }
            if k < line.count && line[k].onset <= t { out[j] = Float(line[k].pitch) }
        }
        return out
    }
}
