import Foundation
import RefrainMath

extension MIDIFileContents {
    /// Standard MIDI File bytes: header, then each track with delta times, no running status, and an
    /// end-of-track meta event.
    public func encoded() -> Data {
        var out = Data()
        out.append(contentsOf: [0x4D, 0x54, 0x68, 0x64, 0, 0, 0, 6])
        for v in [format, tracks.count, resolution] { out.append(contentsOf: [UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]) }
        for track in tracks {
            var body: [UInt8] = []
            var last = 0
            var hasEnd = false
            for e in track.events {
                MIDIFileContents.appendVLQ(max(0, e.tick - last), to: &body)
                last = max(last, e.tick)
                switch e.message {
                case .noteOff(let c, let k, let v): body += [0x80 | c, k, v]
                case .noteOn(let c, let k, let v): body += [0x90 | c, k, v]
                case .polyPressure(let c, let k, let p): body += [0xA0 | c, k, p]
                case .controlChange(let c, let n, let v): body += [0xB0 | c, n, v]
                case .programChange(let c, let p): body += [0xC0 | c, p]
                case .channelPressure(let c, let p): body += [0xD0 | c, p]
                case .pitchBend(let c, let v):
                    let u = Int(v) + 8192
                    body += [0xE0 | c, UInt8(u & 0x7F), UInt8(u >> 7 & 0x7F)]
                case .sysex(let s, let d):
                    body.append(s); MIDIFileContents.appendVLQ(d.count, to: &body); body += d
                case .system(let s, let d):
                    body.append(s); body += d
                case .meta(let t, let d):
                    body += [0xFF, t]; MIDIFileContents.appendVLQ(d.count, to: &body); body += d
                    if t == 0x2F { hasEnd = true }
                }
            }
            if !hasEnd { body += [0x00, 0xFF, 0x2F, 0x00] }
            out.append(contentsOf: [0x4D, 0x54, 0x72, 0x6B])
            let n = body.count
            out.append(contentsOf: [UInt8(n >> 24 & 0xFF), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)])
            out.append(contentsOf: body)
        }
        return out
    }

    static func appendVLQ(_ value: Int, to bytes: inout [UInt8]) {
        let v = min(value, 0x0FFF_FFFF)
        var groups: [UInt8] = [UInt8(v & 0x7F)]
        var rest = v >> 7
        while rest > 0 { groups.append(UInt8(rest & 0x7F) | 0x80); rest >>= 7 }
        bytes += groups.reversed()
    }
}

extension MIDIScore {
    /// The score as format-1 tracks: track 0 holds tempo, time and key signatures and texts; each instrument
    /// follows in its own track (name, program change, control changes, bends and notes, note-offs before
    /// note-ons on the same tick). Reading the result back gives the same instruments, notes and ticks.
    ///
    /// Channels: drums on 9; the others keep their channel unless it is 9, which becomes the lowest free one.
    public func fileContents() -> MIDIFileContents {
        var conductor: [MIDIEvent] = []
        for c in tempoMap.changes {
            let us = c.microsecondsPerQuarter
            conductor.append(MIDIEvent(tick: c.tick, message: .meta(type: 0x51, data: [UInt8(us >> 16 & 0xFF), UInt8(us >> 8 & 0xFF), UInt8(us & 0xFF)])))
        }
        for t in timeSignatures {
            var log2 = 0
            while (1 << log2) < t.denominator { log2 += 1 }
            conductor.append(MIDIEvent(tick: t.tick, message: .meta(type: 0x58, data: [UInt8(t.numerator & 0xFF), UInt8(log2), 24, 8])))
        }
        for k in keySignatures {
            let minor = k.keyNumber >= 12
            let tonic = minor ? (k.keyNumber - 12 + 3) % 12 : k.keyNumber % 12  // relative major of a minor key
            // sharps s with 7*s = tonic (mod 12), chosen in -6...5 (flats preferred for Gb/Db...).
            var sharps = (tonic * 7) % 12
            if sharps > 5 { sharps -= 12 }
            conductor.append(MIDIEvent(tick: k.tick, message: .meta(type: 0x59, data: [UInt8(bitPattern: Int8(sharps)), minor ? 1 : 0])))
        }
        for t in texts {
            conductor.append(MIDIEvent(tick: t.tick, message: .meta(type: t.kind.rawValue, data: MIDIText.latin1Bytes(t.text))))
        }
        conductor = MIDIScore.stableSortedByTick(conductor)
        var tracks = [MIDITrack(events: conductor)]

        var used = Set(instruments.filter { !$0.isDrum && $0.channel != 9 }.map { $0.channel })
        for inst in instruments {
            var channel = inst.channel
            if inst.isDrum { channel = 9 } else if channel == 9 || !(0...15).contains(channel) {
                channel = (0...15).first { $0 != 9 && !used.contains($0) } ?? 0
                used.insert(channel)
            }
            let ch = UInt8(channel)
            var events: [MIDIEvent] = []
            if !inst.name.isEmpty { events.append(MIDIEvent(tick: 0, message: .meta(type: 0x03, data: MIDIText.latin1Bytes(inst.name)))) }
            events.append(MIDIEvent(tick: 0, message: .programChange(channel: ch, program: UInt8(clamping: inst.program))))
            // Rank within a tick: controls and bends, then note-offs, then note-ons.
            var timed: [(tick: Int, rank: Int, event: MIDIEvent)] = []
            for c in inst.controlChanges {
                timed.append((c.tick, 0, MIDIEvent(tick: c.tick, message: .controlChange(channel: ch, number: UInt8(clamping: c.number), value: UInt8(clamping: c.value)))))
            }
            for b in inst.pitchBends {
                timed.append((b.tick, 0, MIDIEvent(tick: b.tick, message: .pitchBend(channel: ch, value: Int16(clamping: max(-8192, min(8191, b.pitch)))))))
            }
            for n in inst.notes {
                let key = UInt8(clamping: n.pitch)
                timed.append((n.endTick, 1, MIDIEvent(tick: n.endTick, message: .noteOff(channel: ch, key: key, velocity: 0))))
                timed.append((n.startTick, 2, MIDIEvent(tick: n.startTick, message: .noteOn(channel: ch, key: key, velocity: UInt8(clamping: n.velocity)))))
            }
            var order = Array(timed.indices)
            order.sort { (timed[$0].tick, timed[$0].rank, $0) < (timed[$1].tick, timed[$1].rank, $1) }
            events += order.map { timed[$0].event }
            tracks.append(MIDITrack(events: events))
        }
        return MIDIFileContents(format: 1, resolution: resolution, tracks: tracks)
    }

    /// Standard MIDI File bytes (format 1) of this score.
    public func midiData() -> Data { fileContents().encoded() }

    /// Writes the score as a format-1 Standard MIDI File.
    public func write(to url: URL) throws {
        do { try midiData().write(to: url) } catch {
            throw RefrainError(.io, "\(url.path): cannot write (\(error.localizedDescription))")
        }
    }

    static func stableSortedByTick(_ events: [MIDIEvent]) -> [MIDIEvent] {
        var order = Array(events.indices)
        order.sort { (events[$0].tick, $0) < (events[$1].tick, $1) }
        return order.map { events[$0] }
    }
}
