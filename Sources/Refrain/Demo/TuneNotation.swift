import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
/// A tiny text notation for the built-in demo tunes, typed in by hand.
///
/// Melody: notes separated by spaces, bars by `|`. A note is `NAME[#|b]OCTAVE[:BEATS]` (scientific
/// pitch, `C4` = MIDI 60; beats default to 1) or a rest `R[:BEATS]`.
/// Chords: one group per bar, separated by `|`; a group holds one or more chord symbols that split the
/// bar evenly (`C`, `Am`, `F#`, `Bb`), or `-` for no chord.
public enum TuneNotation {
    /// One note of a parsed line: onset and duration in beats from the start of the tune.
    public struct Note: Equatable, Sendable {
        public var pitch: Int
        public var startBeat: Double
        public var beats: Double
    }

    /// One chord: root pitch class (0 = C), minor or major, and its span in beats.
    public struct Chord: Equatable, Sendable {
        public var root: Int
        public var minor: Bool
        public var startBeat: Double
        public var beats: Double

        /// MIDI pitches of the root-position triad with its root in octave `octave` (3 -> C3 = 48).
        public func triad(octave: Int) -> [Int] {
            let base = 12 * (octave + 1) + root
            return [base, base + (minor ? 3 : 4), base + 7]
        }
    }

    static let letters: [Character: Int] = ["C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11]

    /// Parses a melody line into notes (rests omitted) and the length of every bar in beats.
    public static func melody(_ text: String) throws -> (notes: [Note], barBeats: [Double]) {
        var notes: [Note] = []
        var barBeats: [Double] = []
        var beat = 0.0
        for bar in text.split(separator: "|") {
            var length = 0.0
            for token in bar.split(separator: " ") {
                let parts = token.split(separator: ":")
                let beats = try parts.count > 1 ? number(parts[1]) : 1
                if parts[0] != "R" { notes.append(Note(pitch: try pitch(parts[0]), startBeat: beat, beats: beats)) }
                beat += beats
                length += beats
            }
            barBeats.append(length)
        }
        return (notes, barBeats)
    }

    /// Parses a chord line whose bars last `beatsPerBar` beats each.
    public static func chords(_ text: String, beatsPerBar: Double) throws -> [Chord] {
        var chords: [Chord] = []
        for (index, bar) in text.split(separator: "|").enumerated() {
            let symbols = bar.split(separator: " ")
            let span = beatsPerBar / Double(max(symbols.count, 1))
            for (k, symbol) in symbols.enumerated() where symbol != "-" {
                var s = Substring(symbol)
                let minor = s.hasSuffix("m")
                if minor { s = s.dropLast() }
                chords.append(Chord(root: try pitchClass(s), minor: minor,
                                    startBeat: Double(index) * beatsPerBar + Double(k) * span, beats: span))
            }
        }
        return chords
    }

    static func pitchClass(_ name: Substring) throws -> Int {
        guard let letter = name.first, let base = letters[letter] else { throw bad(name) }
        let accidental = name.dropFirst()
        switch accidental {
        case "": return base
        case "#": return (base + 1) % 12
        case "b": return (base + 11) % 12
        default: throw bad(name)
        }
    }

    static func pitch(_ token: Substring) throws -> Int {
        guard let digitIndex = token.firstIndex(where: { $0.isNumber || $0 == "-" }),
              let octave = Int(token[digitIndex...]) else { throw bad(token) }
        let name = token[..<digitIndex]
        let letter = try pitchClass(name.prefix(1))
        let accidental = name.dropFirst()
        let shift = accidental == "#" ? 1 : accidental == "b" ? -1 : accidental.isEmpty ? 0 : 99
        guard shift != 99 else { throw bad(token) }
        return 12 * (octave + 1) + letter + shift
    }

    static func number(_ text: Substring) throws -> Double {
        guard let value = Double(text), value > 0 else { throw bad(text) }
        return value
    }

    static func bad(_ token: Substring) -> RefrainError {
        RefrainError.invalidArgument("bad note or chord '\(token)' in tune notation")
    }
}
