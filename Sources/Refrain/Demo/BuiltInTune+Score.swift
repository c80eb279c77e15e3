import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
extension BuiltInTune {
    /// Ticks per quarter note of the scores made from tunes.
    public static let resolution = 480

    /// The tune as a three-part General MIDI score: the melody (program `melodyProgram`, default
    /// 0 = acoustic grand piano), block triads in octave 3 (program `chordProgram`, default 48 = string
    /// ensemble) and the chord roots as a bass line in octave 2 (32 = acoustic bass), with the tune's
    /// tempo and time signature.
    public func score(melodyProgram: Int = 0, chordProgram: Int = 48, bassProgram: Int = 32) throws -> MIDIScore {
        let (melodyNotes, _) = try TuneNotation.melody(melody)
        let chordSpans = try TuneNotation.chords(chords, beatsPerBar: Double(beatsPerBar))
        let tempo = TempoMap(resolution: Self.resolution, events: [(0, Int((6e7 / bpm).rounded()))])
        func note(_ pitch: Int, _ startBeat: Double, _ beats: Double, velocity: Int) -> MIDINote {
            let startTick = Int((startBeat * Double(Self.resolution)).rounded())
            // Leave a small gap before the next note so repeated pitches are heard as new onsets.
            let endTick = startTick + max(1, Int((beats * Double(Self.resolution)).rounded()) - Self.resolution / 16)
            return MIDINote(start: tempo.seconds(atTick: startTick), end: tempo.seconds(atTick: endTick),
                            pitch: pitch, velocity: velocity, startTick: startTick, endTick: endTick)
        }
        let lead = melodyNotes.map { note($0.pitch, $0.startBeat, $0.beats, velocity: 100) }
        let harmony = chordSpans.flatMap { chord in chord.triad(octave: 3).map { note($0, chord.startBeat, chord.beats, velocity: 60) } }
        let bass = chordSpans.map { note(12 * 3 + $0.root, $0.startBeat, $0.beats, velocity: 80) }
        return MIDIScore(
            format: 1, resolution: Self.resolution,
            instruments: [
                MIDIInstrument(program: melodyProgram, name: "Melody", channel: 0, track: 1, notes: lead),
                MIDIInstrument(program: chordProgram, name: "Chords", channel: 1, track: 2, notes: harmony),
                MIDIInstrument(program: bassProgram, name: "Bass", channel: 2, track: 3, notes: bass),
            ],
            tempoMap: tempo,
            timeSignatures: [MIDITimeSignature(numerator: beatsPerBar, denominator: 4, tick: 0, time: 0)])
    }
}
