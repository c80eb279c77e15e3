import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic
/// A public-domain tune typed in for the built-in demo collection (melody and chord symbols).
public struct BuiltInTune: Sendable {
    /// Short identifier, used as the item key.
    public var key: String
    public var title: String
    /// Beats per bar (the beat is a quarter note).
    public var beatsPerBar: Int
    /// Tempo in beats per minute.
    public var bpm: Double
    /// Melody in `TuneNotation`; a leading rest fills an up-beat bar.
    public var melody: String
    /// Chord symbols per bar in `TuneNotation`.
    public var chords: String
}

extension BuiltInTune {
    /// Twelve traditional and classical tunes whose melodies are in the public domain. Several share
    /// key, metre and harmony, so that telling them apart takes the actual tune.
    public static let all: [BuiltInTune] = [
        BuiltInTune(key: "twinkle", title: "Twinkle, Twinkle, Little Star (Ah! vous dirai-je, maman)",
                    beatsPerBar: 4, bpm: 100,
                    melody: "C4 C4 G4 G4 | A4 A4 G4:2 | F4 F4 E4 E4 | D4 D4 C4:2 | G4 G4 F4 F4 | E4 E4 D4:2 | G4 G4 F4 F4 | E4 E4 D4:2 | C4 C4 G4 G4 | A4 A4 G4:2 | F4 F4 E4 E4 | D4 D4 C4:2",
                    chords: "C | F C | F C | G C | C F | C G | C F | C G | C | F C | F C | G C"),
        BuiltInTune(key: "ode-to-joy", title: "Ode to Joy (Beethoven, Symphony No. 9)",
                    beatsPerBar: 4, bpm: 108,
                    melody: "E4 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | E4:1.5 D4:0.5 D4:2 | E4 E4 F4 G4 | G4 F4 E4 D4 | C4 C4 D4 E4 | D4:1.5 C4:0.5 C4:2",
                    chords: "C | C G | C | G | C | C G | C | G C"),
        BuiltInTune(key: "frere-jacques", title: "Frère Jacques",
                    beatsPerBar: 4, bpm: 112,
                    melody: "G4 A4 B4 G4 | G4 A4 B4 G4 | B4 C5 D5:2 | B4 C5 D5:2 | D5:0.5 E5:0.5 D5:0.5 C5:0.5 B4 G4 | D5:0.5 E5:0.5 D5:0.5 C5:0.5 B4 G4 | G4 D4 G4:2 | G4 D4 G4:2",
                    chords: "G | G | G | G | G | G | G D G | G D G"),
        BuiltInTune(key: "au-clair-de-la-lune", title: "Au clair de la lune",
                    beatsPerBar: 4, bpm: 96,
                    melody: "C4 C4 C4 D4 | E4:2 D4:2 | C4 E4 D4 D4 | C4:4 | C4 C4 C4 D4 | E4:2 D4:2 | C4 E4 D4 D4 | C4:4",
                    chords: "C | C G | C G | C | C | C G | C G | C"),
        BuiltInTune(key: "amazing-grace", title: "Amazing Grace (New Britain)",
                    beatsPerBar: 3, bpm: 84,
                    melody: "R:2 D4 | G4:2 B4:0.5 G4:0.5 | B4:2 A4 | G4:2 E4 | D4:2 D4 | G4:2 B4:0.5 G4:0.5 | B4:2 A4 | D5:3 | D5:2 B4 | D5:1.5 B4:0.5 D5:0.5 B4:0.5 | G4:2 D4 | E4:1.5 G4:0.5 G4:0.5 E4:0.5 | D4:2 D4 | G4:2 B4:0.5 G4:0.5 | B4:2 A4 | G4:3",
                    chords: "- | G | G | C | G | G | G | D | D | G | G | C | G | G | D | G"),
        BuiltInTune(key: "greensleeves", title: "Greensleeves",
                    beatsPerBar: 3, bpm: 100,
                    melody: "R:2 A4 | C5:2 D5 | E5:1.5 F5:0.5 E5 | D5:2 B4 | G4:1.5 A4:0.5 B4 | C5:2 A4 | A4:1.5 G#4:0.5 A4 | B4:2 G#4 | E4:2 A4 | C5:2 D5 | E5:1.5 F5:0.5 E5 | D5:2 B4 | G4:1.5 A4:0.5 B4 | C5:1.5 B4:0.5 A4 | G#4:1.5 F#4:0.5 G#4 | A4:3",
                    chords: "- | Am | C | G | Em | Am | Am | E | E | Am | C | G | Em | Am | E | Am"),
        BuiltInTune(key: "yankee-doodle", title: "Yankee Doodle",
                    beatsPerBar: 4, bpm: 120,
                    melody: "C4 C4 D4 E4 | C4 E4 D4 G3 | C4 C4 D4 E4 | C4:2 B3:2 | C4 C4 D4 E4 | F4 E4 D4 C4 | B3 G3 A3 B3 | C4:2 C4:2",
                    chords: "C | C G | C | C G | C | F C | G | C"),
        BuiltInTune(key: "when-the-saints", title: "When the Saints Go Marching In",
                    beatsPerBar: 4, bpm: 120,
                    melody: "R C4 E4 F4 | G4:4 | R C4 E4 F4 | G4:4 | R C4 E4 F4 | G4:2 E4:2 | C4:2 E4:2 | D4:4 | R E4 E4 D4 | C4:3 C4 | E4:2 G4:2 | G4 F4:3 | R E4 F4 G4 | E4:2 C4:2 | D4:4 | C4:4",
                    chords: "C | C | C | C | C | C | C | G | C | C | C | F | C | C | G | C"),
        BuiltInTune(key: "auld-lang-syne", title: "Auld Lang Syne",
                    beatsPerBar: 4, bpm: 84,
                    melody: "R:3 G3 | C4:1.5 C4:0.5 C4 E4 | D4:1.5 C4:0.5 D4 E4 | C4:1.5 C4:0.5 E4 G4 | A4:3 A4 | G4:1.5 E4:0.5 E4 C4 | D4:1.5 C4:0.5 D4 E4 | C4:1.5 A3:0.5 A3 G3 | C4:4",
                    chords: "- | C | G | C | F | C | G | F | C"),
        BuiltInTune(key: "brahms-lullaby", title: "Wiegenlied (Brahms, Op. 49 No. 4)",
                    beatsPerBar: 3, bpm: 80,
                    melody: "R:2 E4:0.5 E4:0.5 | G4:2 E4:0.5 E4:0.5 | G4:2 E4:0.5 G4:0.5 | C5 B4:1.5 A4:0.5 | A4 G4 D4:0.5 E4:0.5 | F4 D4 D4:0.5 E4:0.5 | F4:2 D4:0.5 F4:0.5 | B4:0.5 A4:0.5 G4 B4 | C5:3",
                    chords: "- | C | C | F | C | G | G | G | C"),
        BuiltInTune(key: "oh-susanna", title: "Oh! Susanna (Foster)",
                    beatsPerBar: 4, bpm: 116,
                    melody: "R:3 C4:0.5 D4:0.5 | E4 G4 G4:1.5 A4:0.5 | G4 E4 C4:1.5 D4:0.5 | E4 E4 D4 C4 | D4:3 C4:0.5 D4:0.5 | E4 G4 G4:1.5 A4:0.5 | G4 E4 C4:1.5 D4:0.5 | E4 E4 D4 D4 | C4:4",
                    chords: "- | C | C | C | G | C | C | G | C"),
        BuiltInTune(key: "minuet-in-g", title: "Minuet in G (Petzold, BWV Anh. 114)",
                    beatsPerBar: 3, bpm: 112,
                    melody: "D5 G4:0.5 A4:0.5 B4:0.5 C5:0.5 | D5 G4 G4 | E5 C5:0.5 D5:0.5 E5:0.5 F#5:0.5 | G5 G4 G4 | C5 D5:0.5 C5:0.5 B4:0.5 A4:0.5 | B4 C5:0.5 B4:0.5 A4:0.5 G4:0.5 | F#4 G4:0.5 A4:0.5 B4:0.5 G4:0.5 | A4:3 | D5 G4:0.5 A4:0.5 B4:0.5 C5:0.5 | D5 G4 G4 | E5 C5:0.5 D5:0.5 E5:0.5 F#5:0.5 | G5 G4 G4 | C5 D5:0.5 C5:0.5 B4:0.5 A4:0.5 | B4 C5:0.5 B4:0.5 A4:0.5 G4:0.5 | A4 B4:0.5 A4:0.5 G4:0.5 F#4:0.5 | G4:3",
                    chords: "G | G | C | G | C | G | D | D | G | G | C | G | C | G | D | G"),
    ]
}
