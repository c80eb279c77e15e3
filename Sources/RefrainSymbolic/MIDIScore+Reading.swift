import Foundation
import RefrainMath

extension MIDIScore {
    /// Largest tick accepted (pretty_midi's `MAX_TICK`): larger files are almost always corrupt, and refusing
    /// them bounds the size of every derived piano roll.
    public static let maximumTick = 10_000_000

    /// Reads a Standard MIDI File (format 0, 1 or 2) from `url`.
    public init(contentsOf url: URL) throws {
        try self.init(contents: MIDIFileContents(contentsOf: url), name: url.path)
    }

    /// Parses Standard MIDI File bytes.
    public init(data: Data, name: String = "MIDI data") throws {
        try self.init(contents: MIDIFileContents(data: data, name: name), name: name)
    }

    /// Builds the model from parsed tracks with pretty_midi's semantics (`PrettyMIDI.__init__`):
    /// tempo, time and key signatures from track 0; one instrument per (program, channel, track), created
    /// when its first note ends; a note-off (or note-on with velocity 0) closes every open note of that
    /// channel and key that started on an earlier tick; notes never closed are dropped; control changes and
    /// bends before an instrument's first note go to it as pretty_midi's "straggler" events do.
    public init(contents: MIDIFileContents, name: String = "MIDI data") throws {
        let resolution = contents.resolution
        var maxTick = 0
        for t in contents.tracks { if let last = t.events.last { maxTick = max(maxTick, last.tick) } }
        guard maxTick < MIDIScore.maximumTick else {
            throw RefrainError.invalidFile(name, "largest tick \(maxTick) exceeds \(MIDIScore.maximumTick); the file is likely corrupt")
        }

        var tempoEvents: [(tick: Int, microsecondsPerQuarter: Int)] = []
        if let first = contents.tracks.first {
            for e in first.events {
                if case .meta(0x51, let d) = e.message, d.count >= 3 {
                    let us = Int(d[0]) << 16 | Int(d[1]) << 8 | Int(d[2])
                    guard us > 0 else { throw RefrainError.invalidFile(name, "tempo of 0 microseconds per quarter note at tick \(e.tick)") }
                    tempoEvents.append((e.tick, us))
                }
            }
        }
        let map = TempoMap(resolution: resolution, events: tempoEvents)

        var timeSignatures: [MIDITimeSignature] = []
        var keySignatures: [MIDIKeySignature] = []
        if let first = contents.tracks.first {
            for e in first.events {
                guard case .meta(let type, let d) = e.message else { continue }
                if type == 0x58, d.count >= 2 {
                    guard d[0] > 0, d[1] < 31 else {
                        throw RefrainError.invalidFile(name, "invalid time signature \(d[0])/2^\(d[1]) at tick \(e.tick)")
                    }
                    timeSignatures.append(MIDITimeSignature(numerator: Int(d[0]), denominator: 1 << Int(d[1]),
                                                            tick: e.tick, time: map.seconds(atTick: e.tick)))
                } else if type == 0x59, d.count >= 2 {
                    let sharps = Int(Int8(bitPattern: d[0]))
                    guard (-7...7).contains(sharps), d[1] <= 1 else {
                        throw RefrainError.invalidFile(name, "invalid key signature (\(sharps) sharps, mode \(d[1])) at tick \(e.tick)")
                    }
                    let major = ((sharps * 7) % 12 + 12) % 12
                    let key = d[1] == 0 ? major : 12 + (major + 9) % 12
                    keySignatures.append(MIDIKeySignature(keyNumber: key, tick: e.tick, time: map.seconds(atTick: e.tick)))
                }
            }
        }
        var texts: [MIDIText] = []
        for track in contents.tracks {
            for e in track.events {
                if case .meta(let type, let d) = e.message, type == 0x01 || type == 0x05 {
                    texts.append(MIDIText(kind: type == 0x01 ? .text : .lyric, text: MIDIText.latin1(d),
                                          tick: e.tick, time: map.seconds(atTick: e.tick)))
                }
            }
        }
        texts.sort { $0.tick < $1.tick }

        self.init(format: contents.format, resolution: resolution,
                  instruments: InstrumentCollector.collect(contents.tracks, map: map),
                  tempoMap: map, timeSignatures: timeSignatures, keySignatures: keySignatures, texts: texts)
    }
}

/// pretty_midi's `_load_instruments`, including its sharing of control-change and bend lists between an
/// instrument and the "straggler" that collected events before the instrument's first note.
enum InstrumentCollector {
    final class EventLists {
        var controlChanges: [MIDIControlChange] = []
        var pitchBends: [MIDIPitchBend] = []
    }

    final class Building {
        var instrument: MIDIInstrument
        var lists: EventLists
        init(_ instrument: MIDIInstrument, lists: EventLists) { self.instrument = instrument; self.lists = lists }
    }

    struct Key: Hashable { let program: Int, channel: Int, track: Int }
    struct Slot: Hashable { let channel: Int, track: Int }

    static func collect(_ tracks: [MIDITrack], map: TempoMap) -> [MIDIInstrument] {
        var order: [Building] = []
        var byKey: [Key: Building] = [:]
        var stragglers: [Slot: EventLists] = [:]
        var trackNames: [Int: String] = [:]

        func instrument(program: Int, channel: Int, track: Int) -> Building {
            let key = Key(program: program, channel: channel, track: track)
            if let b = byKey[key] { return b }
            let lists = stragglers[Slot(channel: channel, track: track)] ?? EventLists()
            let b = Building(MIDIInstrument(program: program, isDrum: channel == 9, name: trackNames[track] ?? "",
                                            channel: channel, track: track), lists: lists)
            byKey[key] = b
            order.append(b)
            return b
        }

        func eventLists(program: Int, channel: Int, track: Int) -> EventLists {
            if let b = byKey[Key(program: program, channel: channel, track: track)] { return b.lists }
            let slot = Slot(channel: channel, track: track)
            if let s = stragglers[slot] { return s }
            let s = EventLists()
            stragglers[slot] = s
            return s
        }

        for (trackIndex, track) in tracks.enumerated() {
            var program = [Int](repeating: 0, count: 16)
            // Open notes per channel * 128 + key: (start tick, velocity) in order.
            var open: [Int: [(tick: Int, velocity: Int)]] = [:]
            for e in track.events {
                switch e.message {
                case .meta(0x03, let d):
                    trackNames[trackIndex] = MIDIText.latin1(d)
                case .programChange(let ch, let p):
                    program[Int(ch)] = Int(p)
                case .noteOn(let ch, let key, let vel) where vel > 0:
                    open[Int(ch) * 128 + Int(key), default: []].append((e.tick, Int(vel)))
                case .noteOn(let ch, let key, _), .noteOff(let ch, let key, _):
                    let k = Int(ch) * 128 + Int(key)
                    guard let notes = open[k] else { break }
                    var kept: [(tick: Int, velocity: Int)] = []
                    var closed = 0
                    for n in notes {
                        if n.tick == e.tick { kept.append(n); continue }
                        closed += 1
                        let b = instrument(program: program[Int(ch)], channel: Int(ch), track: trackIndex)
                        b.instrument.notes.append(MIDINote(start: map.seconds(atTick: n.tick), end: map.seconds(atTick: e.tick),
                                                           pitch: Int(key), velocity: n.velocity,
                                                           startTick: n.tick, endTick: e.tick))
                    }
                    if closed > 0 && !kept.isEmpty { open[k] = kept } else { open[k] = nil }
                case .pitchBend(let ch, let v):
                    eventLists(program: program[Int(ch)], channel: Int(ch), track: trackIndex).pitchBends
                        .append(MIDIPitchBend(pitch: Int(v), time: map.seconds(atTick: e.tick), tick: e.tick))
                case .controlChange(let ch, let number, let value):
                    eventLists(program: program[Int(ch)], channel: Int(ch), track: trackIndex).controlChanges
                        .append(MIDIControlChange(number: Int(number), value: Int(value),
                                                  time: map.seconds(atTick: e.tick), tick: e.tick))
                default:
                    break
                }
            }
        }
        return order.map { b in
            var i = b.instrument
            i.controlChanges = b.lists.controlChanges
            i.pitchBends = b.lists.pitchBends
            return i
        }
    }
}
