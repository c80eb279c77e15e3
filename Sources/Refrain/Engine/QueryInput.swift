import Foundation
import RefrainAudio
import RefrainSymbolic

/// What a query asks with.
public enum QueryInput: Sendable {
    /// An audio or MIDI file (by extension), or a `.npy` feature matrix for an index of features.
    case file(URL)
    /// A file's content held in memory (an upload); `name`'s extension tells audio from MIDI.
    case bytes(Data, name: String)
    /// Decoded audio at any rate (a hummed recording, a microphone capture).
    case audio(AudioSignal, name: String = "audio")
    /// A score.
    case score(MIDIScore, name: String = "score")
    /// A melody as notes (onsets and durations in seconds, MIDI pitches).
    case melody([MelodyNote], name: String = "melody")

    /// A name for results and messages: the file's path, the upload's name ...
    public var name: String {
        switch self {
        case .file(let url): return url.path
        case .bytes(_, let name), .audio(_, let name), .score(_, let name), .melody(_, let name): return name
        }
    }
}
