import RefrainMath

/// One event of a track, as stored in a Standard MIDI File, at an absolute tick.
public struct MIDIEvent: Equatable, Sendable {
    public enum Message: Equatable, Sendable {
        case noteOff(channel: UInt8, key: UInt8, velocity: UInt8)
        /// A note-on with velocity 0 is a note-off (the reader keeps it as read; the model treats it as an off).
        case noteOn(channel: UInt8, key: UInt8, velocity: UInt8)
        case polyPressure(channel: UInt8, key: UInt8, pressure: UInt8)
        case controlChange(channel: UInt8, number: UInt8, value: UInt8)
        case programChange(channel: UInt8, program: UInt8)
        case channelPressure(channel: UInt8, pressure: UInt8)
        /// `value` in -8192...8191.
        case pitchBend(channel: UInt8, value: Int16)
        /// System exclusive: `status` is 0xF0 or 0xF7, `data` the bytes after the length.
        case sysex(status: UInt8, data: [UInt8])
        /// System common / real-time bytes (0xF1...0xFE except 0xF7) with their data bytes.
        case system(status: UInt8, data: [UInt8])
        /// Meta event `type` (0x51 tempo, 0x58 time signature, 0x59 key signature, 0x03 track name,
        /// 0x04 instrument name, 0x2F end of track, ...) with its data.
        case meta(type: UInt8, data: [UInt8])
    }

    /// Absolute ticks from the start of the track.
    public var tick: Int
    public var message: Message

    public init(tick: Int, message: Message) { self.tick = tick; self.message = message }
}

/// A track: its events in file order (absolute ticks, non-decreasing).
public struct MIDITrack: Equatable, Sendable {
    public var events: [MIDIEvent]
    public init(events: [MIDIEvent] = []) { self.events = events }

    /// The first track-name meta event (0x03), decoded as Latin-1 like pretty_midi's default charset.
    public var name: String? {
        for e in events { if case .meta(0x03, let d) = e.message { return MIDIText.latin1(d) } }
        return nil
    }
}

extension MIDIText {
    /// Latin-1 decoding (every byte is a character), pretty_midi's default charset.
    static func latin1(_ bytes: [UInt8]) -> String {
        String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    static func latin1Bytes(_ text: String) -> [UInt8] {
        text.unicodeScalars.map { $0.value < 256 ? UInt8($0.value) : UInt8(ascii: "?") }
    }
}
