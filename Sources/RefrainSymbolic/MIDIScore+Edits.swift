import Foundation
import RefrainMath

/// Edits used to make training data. Each returns a new score whose ticks stay consistent, so it writes out
/// as a valid MIDI file; times in seconds are recomputed from the edited tempo map.
extension MIDIScore {
    /// Every tempo multiplied by `factor` (1.1 = 10 % faster, durations divided by 1.1).
    public func scalingTempo(by factor: Double) throws -> MIDIScore {
        guard factor > 0, factor.isFinite else { throw RefrainError.invalidArgument("tempo factor must be positive, got \(factor)") }
        var s = self
        s.tempoMap = tempoMap.scaled(by: factor)
        s.retime()
        return s
    }

    /// A smooth tempo curve: the tempo at each point is multiplied by `factor(seconds)` of the original
    /// time, e.g. `{ 1 + 0.1 * sin(2 * .pi * $0 / 20) }`. The new tempo map changes every
    /// `ticksPerStep` ticks (default: a sixteenth note), so the curve is piecewise constant at that grain.
    public func applyingTempoCurve(ticksPerStep: Int? = nil, _ factor: (Double) -> Double) throws -> MIDIScore {
        let step = max(1, ticksPerStep ?? resolution / 4)
        var lastTick = 0
        for i in instruments { for n in i.notes { lastTick = max(lastTick, n.endTick) } }
        for c in tempoMap.changes { lastTick = max(lastTick, c.tick) }
        guard lastTick / step < 1_000_000 else { throw RefrainError.invalidArgument("tempo curve would need more than a million steps") }
        var events: [(tick: Int, microsecondsPerQuarter: Int)] = []
        var tick = 0
        while tick <= lastTick {
            let f = factor(tempoMap.seconds(atTick: tick))
            guard f > 0, f.isFinite else { throw RefrainError.invalidArgument("tempo curve factor must be positive, got \(f)") }
            let us = Double(tempoMap.microsecondsPerQuarter(atTick: tick)) / f
            events.append((tick, max(1, min(0xFF_FFFF, Int(us.rounded())))))
            tick += step
        }
        var s = self
        s.tempoMap = TempoMap(resolution: resolution, events: events)
        s.retime()
        return s
    }

    /// Every pitched note moved by `semitones` (drums untouched); notes pushed outside 0...127 are dropped.
    public func transposed(by semitones: Int) -> MIDIScore {
        var s = self
        for i in s.instruments.indices where !s.instruments[i].isDrum {
            s.instruments[i].notes = s.instruments[i].notes.compactMap {
                var n = $0
                n.pitch += semitones
                return (0..<128).contains(n.pitch) ? n : nil
            }
        }
        return s
    }

    /// Instrument `index` set to General MIDI `program` (0...127).
    public func settingProgram(_ program: Int, ofInstrument index: Int) throws -> MIDIScore {
        guard instruments.indices.contains(index) else {
            throw RefrainError.invalidArgument("instrument \(index) out of range (the score has \(instruments.count))")
        }
        guard (0..<128).contains(program) else { throw RefrainError.invalidArgument("program must be 0...127, got \(program)") }
        var s = self
        s.instruments[index].program = program
        return s
    }

    /// The score without instrument `index`.
    public func droppingInstrument(_ index: Int) throws -> MIDIScore {
        guard instruments.indices.contains(index) else {
            throw RefrainError.invalidArgument("instrument \(index) out of range (the score has \(instruments.count))")
        }
        var s = self
        s.instruments.remove(at: index)
        return s
    }
}
