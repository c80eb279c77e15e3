import Foundation
import RefrainMath

/// The raw content of a Standard MIDI File: header fields and tracks of events.
///
/// Parsing is strict and bounded: every length is checked against the bytes that remain, variable-length
/// quantities stop after 4 bytes (the SMF limit), and no allocation is larger than the input. Any violation
/// is a `RefrainError` of kind `.invalidFile` with one sentence saying where the file is broken.
public struct MIDIFileContents: Equatable, Sendable {
    /// SMF format: 0 (one track), 1 (simultaneous tracks), 2 (independent sequences).
    public var format: Int
    /// Ticks per quarter note.
    public var resolution: Int
    public var tracks: [MIDITrack]

    public init(format: Int, resolution: Int, tracks: [MIDITrack]) {
        self.format = format; self.resolution = resolution; self.tracks = tracks
    }

    /// Parses SMF bytes. `name` is used in error messages.
    public init(data: Data, name: String = "MIDI data") throws {
        self = try data.withUnsafeBytes { raw in
            var parser = MIDIByteParser(bytes: raw.bindMemory(to: UInt8.self), name: name)
            return try parser.parseFile()
        }
    }

    /// Reads and parses the file at `url`.
    public init(contentsOf url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RefrainError(.io, "\(url.path): cannot read (\(error.localizedDescription))")
        }
        try self.init(data: data, name: url.path)
    }
}

/// A cursor over SMF bytes; every read checks the bound it was given.
struct MIDIByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let name: String
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>, name: String) {
        self.bytes = bytes
        self.name = name
    }

    func fail(_ reason: String) -> RefrainError { RefrainError.invalidFile(name, reason) }

    mutating func u8(limit: Int, _ what: @autoclosure () -> String) throws -> UInt8 {
        guard position < limit else { throw fail("\(what()) runs past the end of its chunk at byte \(position)") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func u32(limit: Int) throws -> Int {
        guard position + 4 <= limit else { throw fail("truncated chunk header at byte \(position)") }
        var v = 0
        for _ in 0..<4 { v = (v << 8) | Int(bytes[position]); position += 1 }
        return v
    }

    mutating func u16(limit: Int) throws -> Int {
        guard position + 2 <= limit else { throw fail("truncated header at byte \(position)") }
        let v = Int(bytes[position]) << 8 | Int(bytes[position + 1])
        position += 2
        return v
    }

    /// A variable-length quantity of at most 4 bytes (value < 2^28).
    mutating func vlq(limit: Int, _ what: @autoclosure () -> String) throws -> Int {
        var v = 0
        for _ in 0..<4 {
            let b = try u8(limit: limit, what())
            v = (v << 7) | Int(b & 0x7F)
            if b < 0x80 { return v }
        }
        throw fail("\(what()) at byte \(position) is a variable-length quantity longer than 4 bytes")
    }

    mutating func take(_ count: Int, limit: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        guard count <= limit - position else {
            throw fail("\(what()) of \(count) bytes runs past the end of its chunk at byte \(position)")
        }
        defer { position += count }
        return Array(bytes[position..<(position + count)])
    }

    mutating func parseFile() throws -> MIDIFileContents {
        let end = bytes.count
        // RIFF-wrapped MIDI (RMID) is not handled; the file must start with MThd.
        guard end >= 14 else { throw fail("too short to be a MIDI file (\(end) bytes)") }
        guard bytes[0] == 0x4D, bytes[1] == 0x54, bytes[2] == 0x68, bytes[3] == 0x64 else {
            throw fail("not a Standard MIDI File (no MThd header)")
        }
        position = 4
        let headerLength = try u32(limit: end)
        guard headerLength >= 6, headerLength <= end - position else {
            throw fail("header chunk length \(headerLength) is invalid")
        }
        let headerEnd = position + headerLength
        let format = try u16(limit: headerEnd)
        let trackCount = try u16(limit: headerEnd)
        let division = try u16(limit: headerEnd)
        position = headerEnd
        guard format <= 2 else { throw fail("unknown SMF format \(format)") }
        guard division & 0x8000 == 0 else { throw RefrainError(.unsupported, "\(name): SMPTE time division is not supported") }
        guard division > 0 else { throw fail("time division of 0 ticks per quarter note") }
        // A track takes at least 8 bytes, so a count the file cannot hold is refused before any allocation.
        guard trackCount * 8 <= end - position else {
            throw fail("header promises \(trackCount) tracks but only \(end - position) bytes follow")
        }
        var tracks: [MIDITrack] = []
        tracks.reserveCapacity(trackCount)
        while tracks.count < trackCount {
            guard end - position >= 8 else {
                throw fail("header promises \(trackCount) tracks but the file ends after \(tracks.count)")
            }
            let isTrack = bytes[position] == 0x4D && bytes[position + 1] == 0x54
                && bytes[position + 2] == 0x72 && bytes[position + 3] == 0x6B
            position += 4
            let length = try u32(limit: end)
            guard length <= end - position else {
                throw fail("chunk \(tracks.count + 1) declares \(length) bytes but only \(end - position) remain")
            }
            let chunkEnd = position + length
            if isTrack {
                tracks.append(try parseTrack(index: tracks.count, end: chunkEnd))
            }
            position = chunkEnd  // unknown chunks are skipped, as the SMF specification asks
        }
        return MIDIFileContents(format: format, resolution: division, tracks: tracks)
    }

    mutating func parseTrack(index: Int, end: Int) throws -> MIDITrack {
        var events: [MIDIEvent] = []
        events.reserveCapacity(min((end - position) / 3, 1 << 20))
        var tick = 0
        var runningStatus: UInt8? = nil
        let what = "track \(index)"
        while position < end {
            let delta = try vlq(limit: end, "\(what): delta time")
            tick += delta
            var status = try u8(limit: end, "\(what): event")
            var firstData: UInt8? = nil
            if status < 0x80 {
                guard let running = runningStatus else {
                    throw fail("\(what): data byte 0x\(String(status, radix: 16)) at byte \(position - 1) without a status byte")
                }
                firstData = status
                status = running
            }
            let message: MIDIEvent.Message
            switch status {
            case 0xFF:
                let type = try u8(limit: end, "\(what): meta event")
                let length = try vlq(limit: end, "\(what): meta event length")
                message = .meta(type: type, data: try take(length, limit: end, "\(what): meta event"))
                if type == 0x2F {
                    events.append(MIDIEvent(tick: tick, message: message))
                    position = end  // bytes after end-of-track are ignored
                    return MIDITrack(events: events)
                }
            case 0xF0, 0xF7:
                runningStatus = nil
                let length = try vlq(limit: end, "\(what): sysex length")
                message = .sysex(status: status, data: try take(length, limit: end, "\(what): sysex"))
            case 0xF1...0xFE:
                runningStatus = nil
                let count = status == 0xF2 ? 2 : (status == 0xF1 || status == 0xF3) ? 1 : 0
                message = .system(status: status, data: try take(count, limit: end, "\(what): system message"))
            default:
                runningStatus = status
                let channel = status & 0x0F
                let kind = status & 0xF0
                let d1 = try firstData ?? u8(limit: end, "\(what): channel message")
                guard d1 < 0x80 else { throw fail("\(what): data byte 0x\(String(d1, radix: 16)) >= 0x80 at byte \(position - 1)") }
                var d2: UInt8 = 0
                if kind != 0xC0 && kind != 0xD0 {
                    d2 = try u8(limit: end, "\(what): channel message")
                    guard d2 < 0x80 else { throw fail("\(what): data byte 0x\(String(d2, radix: 16)) >= 0x80 at byte \(position - 1)") }
                }
                switch kind {
                case 0x80: message = .noteOff(channel: channel, key: d1, velocity: d2)
                case 0x90: message = .noteOn(channel: channel, key: d1, velocity: d2)
                case 0xA0: message = .polyPressure(channel: channel, key: d1, pressure: d2)
                case 0xB0: message = .controlChange(channel: channel, number: d1, value: d2)
                case 0xC0: message = .programChange(channel: channel, program: d1)
                case 0xD0: message = .channelPressure(channel: channel, pressure: d1)
                default: message = .pitchBend(channel: channel, value: Int16(Int(d2) << 7 | Int(d1)) - 8192)
                }
            }
            events.append(MIDIEvent(tick: tick, message: message))
        }
        return MIDITrack(events: events)  // a missing end-of-track is tolerated
    }
}
