import RefrainMath

/// A note of a MIDI score: times in seconds (through the tempo map) and in ticks (as stored in the file).
public struct MIDINote: Equatable, Hashable, Sendable {
    /// Onset, seconds.
    public var start: Double
    /// Offset, seconds.
    public var end: Double
    /// MIDI key number, 0...127.
    public var pitch: Int
    /// Note-on velocity, 1...127.
    public var velocity: Int
    /// Onset, ticks.
    public var startTick: Int
    /// Offset, ticks.
    public var endTick: Int

    public init(start: Double, end: Double, pitch: Int, velocity: Int, startTick: Int, endTick: Int) {
        self.start = start; self.end = end; self.pitch = pitch; self.velocity = velocity
        self.startTick = startTick; self.endTick = endTick
    }

    /// `end - start`, seconds.
    public var duration: Double { end - start }
}

/// A control change (CC) event; `number` 64 is the sustain pedal.
public struct MIDIControlChange: Equatable, Sendable {
    public var number: Int
    public var value: Int
    /// Seconds.
    public var time: Double
    public var tick: Int
    public init(number: Int, value: Int, time: Double, tick: Int) {
        self.number = number; self.value = value; self.time = time; self.tick = tick
    }
}

/// A pitch-bend event: `pitch` in -8192...8191 (0 = no bend; +-8192 = +-2 semitones in General MIDI).
public struct MIDIPitchBend: Equatable, Sendable {
    public var pitch: Int
    /// Seconds.
    public var time: Double
    public var tick: Int
    public init(pitch: Int, time: Double, tick: Int) { self.pitch = pitch; self.time = time; self.tick = tick }
}

/// One instrument: the notes of one (program, channel, track) triple, as pretty_midi groups them.
public struct MIDIInstrument: Equatable, Sendable {
    /// General MIDI program, 0...127.
    public var program: Int
    /// True for channel 10 (index 9), the General MIDI percussion channel.
    public var isDrum: Bool
    /// The name of the track the instrument was read from ("" when the track has none).
    public var name: String
    /// MIDI channel 0...15 it was read from.
    public var channel: Int
    /// Index of the track it was read from.
    public var track: Int
    /// Notes in the order their note-offs were read.
    public var notes: [MIDINote]
    public var controlChanges: [MIDIControlChange]
    public var pitchBends: [MIDIPitchBend]

    public init(program: Int, isDrum: Bool = false, name: String = "", channel: Int = 0, track: Int = 0,
                notes: [MIDINote] = [], controlChanges: [MIDIControlChange] = [], pitchBends: [MIDIPitchBend] = []) {
        self.program = program; self.isDrum = isDrum; self.name = name; self.channel = channel; self.track = track
        self.notes = notes; self.controlChanges = controlChanges; self.pitchBends = pitchBends
    }

    /// The latest note end, bend or control change, seconds (pretty_midi `Instrument.get_end_time`).
    public var endTime: Double {
        var end = 0.0
        for n in notes where n.end > end { end = n.end }
        for b in pitchBends where b.time > end { end = b.time }
        for c in controlChanges where c.time > end { end = c.time }
        return end
    }
}

/// A tempo change: from `tick` on, a quarter note lasts `microsecondsPerQuarter`.
public struct MIDITempoChange: Equatable, Sendable {
    public var tick: Int
    /// Seconds at `tick`.
    public var time: Double
    public var microsecondsPerQuarter: Int
    /// Quarter notes per minute, `6e7 / microsecondsPerQuarter`.
    public var qpm: Double { 6e7 / Double(microsecondsPerQuarter) }
    public init(tick: Int, time: Double, microsecondsPerQuarter: Int) {
        self.tick = tick; self.time = time; self.microsecondsPerQuarter = microsecondsPerQuarter
    }
}

/// A time-signature change (`numerator / denominator`, e.g. 6/8).
public struct MIDITimeSignature: Equatable, Sendable {
    public var numerator: Int
    public var denominator: Int
    public var tick: Int
    /// Seconds.
    public var time: Double
    public init(numerator: Int, denominator: Int, tick: Int, time: Double) {
        self.numerator = numerator; self.denominator = denominator; self.tick = tick; self.time = time
    }
}

/// A key-signature change. `keyNumber` follows pretty_midi: 0...11 major keys with tonic C...B,
/// 12...23 minor keys with tonic c...b.
public struct MIDIKeySignature: Equatable, Sendable {
    public var keyNumber: Int
    public var tick: Int
    public var time: Double
    public init(keyNumber: Int, tick: Int, time: Double) { self.keyNumber = keyNumber; self.tick = tick; self.time = time }

    /// "C major", "F# minor", ...
    public var name: String {
        let names = ["C", "Db", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
        return names[keyNumber % 12] + (keyNumber < 12 ? " major" : " minor")
    }
}

/// A text or lyric meta event (kept so that the end time and the written file match the source).
public struct MIDIText: Equatable, Sendable {
    public enum Kind: UInt8, Sendable { case text = 0x01, lyric = 0x05 }
    public var kind: Kind
    public var text: String
    public var tick: Int
    public var time: Double
    public init(kind: Kind, text: String, tick: Int, time: Double) {
        self.kind = kind; self.text = text; self.tick = tick; self.time = time
    }
}

/// A parsed Standard MIDI File with pretty_midi's model: instruments with notes in seconds, the tempo map,
/// time and key signatures. Read one with `MIDIScore(contentsOf:)` or `MIDIScore(data:)`, write it with
/// `midiData()` / `write(to:)`.
public struct MIDIScore: Equatable, Sendable {
    /// SMF format of the source (0, 1 or 2); written files are format 1.
    public var format: Int
    /// Ticks per quarter note.
    public var resolution: Int
    public var instruments: [MIDIInstrument]
    /// Tempo map (pretty_midi semantics: read from track 0; 120 qpm at tick 0 unless the file says otherwise).
    public var tempoMap: TempoMap
    public var timeSignatures: [MIDITimeSignature]
    public var keySignatures: [MIDIKeySignature]
    public var texts: [MIDIText]

    public init(format: Int = 1, resolution: Int = 220, instruments: [MIDIInstrument] = [], tempoMap: TempoMap? = nil,
                timeSignatures: [MIDITimeSignature] = [], keySignatures: [MIDIKeySignature] = [], texts: [MIDIText] = []) {
        self.format = format
        self.resolution = resolution
        self.instruments = instruments
        self.tempoMap = tempoMap ?? TempoMap(resolution: resolution)
        self.timeSignatures = timeSignatures
        self.keySignatures = keySignatures
        self.texts = texts
    }

    /// Tempo changes (times in seconds and quarter notes per minute), pretty_midi `get_tempo_changes`.
    public var tempoChanges: [MIDITempoChange] { tempoMap.changes }

    /// The end of the last event, seconds (pretty_midi `get_end_time`: notes, bends, control changes,
    /// signatures, texts and tempo changes).
    public var endTime: Double {
        var end = 0.0
        for i in instruments { end = max(end, i.endTime) }
        for t in timeSignatures { end = max(end, t.time) }
        for k in keySignatures { end = max(end, k.time) }
        for t in texts { end = max(end, t.time) }
        for c in tempoMap.changes { end = max(end, c.time) }
        return end
    }

    /// Number of notes over all instruments.
    public var noteCount: Int { instruments.reduce(0) { $0 + $1.notes.count } }

    /// Recomputes every time in seconds from the ticks through `tempoMap` (after an edit of the tempo map).
    public mutating func retime() {
        let map = tempoMap
        for i in instruments.indices {
            for n in instruments[i].notes.indices {
                instruments[i].notes[n].start = map.seconds(atTick: instruments[i].notes[n].startTick)
                instruments[i].notes[n].end = map.seconds(atTick: instruments[i].notes[n].endTick)
            }
            for c in instruments[i].controlChanges.indices {
                instruments[i].controlChanges[c].time = map.seconds(atTick: instruments[i].controlChanges[c].tick)
            }
            for b in instruments[i].pitchBends.indices {
                instruments[i].pitchBends[b].time = map.seconds(atTick: instruments[i].pitchBends[b].tick)
            }
        }
        for i in timeSignatures.indices { timeSignatures[i].time = map.seconds(atTick: timeSignatures[i].tick) }
        for i in keySignatures.indices { keySignatures[i].time = map.seconds(atTick: keySignatures[i].tick) }
        for i in texts.indices { texts[i].time = map.seconds(atTick: texts[i].tick) }
    }
}
