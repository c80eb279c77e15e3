import Foundation
import RefrainMath
import RefrainSymbolic

/// Seeded changes of a score's arrangement, as another ensemble might play the same piece: parts moved
/// to other General MIDI programs, a part dropped, a part doubled an octave up or down on another
/// instrument. The notes' timing is untouched, so the score's tempo map still locates every passage.
public struct ArrangementEdit: Codable, Equatable, Sendable {
    /// Instrument index -> new program.
    public var programs: [Int: Int] = [:]
    /// Instrument index dropped (after reprogramming), if any.
    public var dropped: Int?
    /// Instrument index doubled (before dropping), by how many semitones (±12), on which program.
    public var doubled: Int?
    public var doublingSemitones = 12
    public var doublingProgram = 0

    public init() {}

    /// General MIDI programs an arrangement may use: pianos, chromatic percussion, organs, guitars,
    /// basses, strings, ensembles, brass, reeds, pipes and synth leads and pads (0-95), which all play
    /// notes at their pitch.
    public static let programs = Array(0...95)

    /// "as written", or what changed ("programs", "dropped", "doubled", joined by "+").
    public var label: String {
        var parts: [String] = []
        if !programs.isEmpty { parts.append("programs") }
        if dropped != nil { parts.append("dropped") }
        if doubled != nil { parts.append("doubled") }
        return parts.isEmpty ? "as written" : parts.joined(separator: "+")
    }

    /// Draws an edit for `score` with probability `changeProbability` of any change at all; given a change,
    /// each melodic part is reprogrammed with probability 0.5, one part doubled with probability 0.35, and
    /// one part dropped with probability 0.35 when three or more melodic parts remain.
    public static func draw(for score: MIDIScore, changeProbability: Double, using random: inout SplitMix64) -> ArrangementEdit {
        var edit = ArrangementEdit()
        guard random.chance(changeProbability) else { return edit }
        let melodic = score.instruments.indices.filter { !score.instruments[$0].isDrum && !score.instruments[$0].notes.isEmpty }
        guard !melodic.isEmpty else { return edit }
        for i in melodic where random.chance(0.5) { edit.programs[i] = random.pick(programs) }
        if random.chance(0.35) {
            edit.doubled = random.pick(melodic)
            edit.doublingSemitones = random.chance(0.5) ? 12 : -12
            edit.doublingProgram = random.pick(programs)
        }
        if melodic.count >= 3, random.chance(0.35) { edit.dropped = random.pick(melodic) }
        if edit.programs.isEmpty && edit.doubled == nil && edit.dropped == nil { edit.programs[melodic[0]] = random.pick(programs) }
        return edit
    }

    /// The edited score.
    public func applied(to score: MIDIScore) throws -> MIDIScore {
        var s = score
        for (index, program) in programs.sorted(by: { $0.key < $1.key }) where s.instruments.indices.contains(index) {
            s = try s.settingProgram(program, ofInstrument: index)
        }
        if let doubled, s.instruments.indices.contains(doubled) {
            var copy = s.instruments[doubled]
            copy.program = doublingProgram
            copy.notes = copy.notes.compactMap { note in
                var n = note
                n.pitch += doublingSemitones
                n.velocity = max(1, n.velocity * 3 / 4)
                return (0..<128).contains(n.pitch) ? n : nil
            }
            copy.name += " (doubled)"
            s.instruments.append(copy)
        }
        if let dropped, s.instruments.indices.contains(dropped), s.instruments.count > 1 {
            s = try s.droppingInstrument(dropped)
        }
        return s
    }
}
