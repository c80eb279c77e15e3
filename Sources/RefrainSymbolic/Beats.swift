import RefrainMath

/// Beats and downbeats from the tempo map and time signatures, with pretty_midi's rules
/// (`get_beats`, `get_downbeats`, `qpm_to_bpm`).
extension MIDIScore {
    /// Beats per minute of a quarter-note tempo under a time signature (pretty_midi `qpm_to_bpm`): in simple
    /// triple and duple meters the beat is the denominator's note, in compound meters (6/8, 9/8, 12/8, ...) a
    /// dotted note of three denominator notes.
    public static func beatsPerMinute(qpm: Double, numerator: Int, denominator: Int) -> Double {
        guard [1, 2, 4, 8, 16, 32].contains(denominator) else { return qpm }
        if numerator == 3 { return qpm * Double(denominator) / 4.0 }
        if numerator % 3 == 0 { return qpm / 3.0 * Double(denominator) / 4.0 }
        return qpm * Double(denominator) / 4.0
    }

    /// `numpy.isclose(a, b)`: `|a - b| <= 1e-8 + 1e-5 * |b|`.
    @inline(__always) static func isClose(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-8 + 1e-5 * abs(b) }

    /// Beat times in seconds from `startTime` to the end of the score (pretty_midi `get_beats`): one beat
    /// period at the current tempo and meter after another, crossing tempo changes proportionally, snapping
    /// to time-signature changes.
    public func beats(startTime: Double = 0) -> [Double] {
        let changes = tempoMap.changes
        let changeTimes = changes.map(\.time)
        let tempi = tempoMap.qpm
        var signatures = timeSignatures
        signatures.sort { $0.time < $1.time }
        var beats = [startTime]
        var tempoIndex = 0
        while tempoIndex < changeTimes.count - 1 && beats[beats.count - 1] > changeTimes[tempoIndex + 1] { tempoIndex += 1 }
        var tsIndex = 0
        while tsIndex < signatures.count - 1 && beats[beats.count - 1] > signatures[tsIndex + 1].time { tsIndex += 1 }

        func currentBPM() -> Double {
            guard !signatures.isEmpty else { return tempi[tempoIndex] }
            return MIDIScore.beatsPerMinute(qpm: tempi[tempoIndex], numerator: signatures[tsIndex].numerator,
                                            denominator: signatures[tsIndex].denominator)
        }
        func greaterOrClose(_ a: Double, _ b: Double) -> Bool { a > b || MIDIScore.isClose(a, b) }

        let end = endTime
        while beats[beats.count - 1] < end {
            let last = beats[beats.count - 1]
            var bpm = currentBPM()
            var next = last + 60.0 / bpm
            if tempoIndex < changeTimes.count - 1 && next > changeTimes[tempoIndex + 1] {
                next = last
                var remaining = 1.0
                while tempoIndex < changeTimes.count - 1 && next + remaining * 60.0 / bpm >= changeTimes[tempoIndex + 1] {
                    let overshot = (changeTimes[tempoIndex + 1] - next) / (60.0 / bpm)
                    next += overshot * 60.0 / bpm
                    remaining -= overshot
                    tempoIndex += 1
                    bpm = currentBPM()
                }
                next += remaining * 60.0 / bpm
            }
            if !signatures.isEmpty && tsIndex == 0 {
                let t = signatures[0].time
                if t > last && greaterOrClose(next, t) { next = t }
            }
            if tsIndex < signatures.count - 1 {
                let t = signatures[tsIndex + 1].time
                if greaterOrClose(next, t) {
                    next = t
                    tsIndex += 1
                    bpm = currentBPM()
                }
            }
            beats.append(next)
        }
        beats.removeLast()
        return beats
    }

    /// Downbeat times in seconds (pretty_midi `get_downbeats`): every `numerator`-th beat from each
    /// time-signature change (every `numerator / 3`-th in compound meters), 4/4 before the first signature.
    public func downbeats(startTime: Double = 0) -> [Double] {
        let beats = self.beats(startTime: startTime)
        var signatures = timeSignatures.sorted { $0.time < $1.time }
        if signatures.isEmpty || signatures[0].time > startTime {
            signatures.insert(MIDITimeSignature(numerator: 4, denominator: 4, tick: 0, time: startTime), at: 0)
        }
        func index(_ value: Double, default d: Int) -> Int {
            beats.firstIndex { MIDIScore.isClose($0, value) } ?? d
        }
        func step(_ numerator: Int) -> Int { numerator % 3 == 0 && numerator != 3 ? numerator / 3 : numerator }
        func slice(_ from: Int, _ to: Int, _ by: Int) -> [Double] {
            // numpy beats[from:to:by] with a positive step.
            let a = min(max(from, 0), beats.count), b = min(max(to, 0), beats.count)
            return a < b ? stride(from: a, to: b, by: by).map { beats[$0] } : []
        }
        var out: [Double] = []
        var endBeat = 0
        for k in 0..<(signatures.count - 1) {
            let startBeat = index(signatures[k].time, default: 0)
            endBeat = index(signatures[k + 1].time, default: startBeat)
            out += slice(startBeat, endBeat, step(signatures[k].numerator))
        }
        let final = signatures[signatures.count - 1]
        out += slice(index(final.time, default: endBeat), beats.count, step(final.numerator))
        return out.filter { $0 >= startTime }
    }
}
