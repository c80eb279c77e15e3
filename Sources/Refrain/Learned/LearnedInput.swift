import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import RefrainSymbolic

/// The frame-level inputs of Refrain's learned encoders (Raffel & Ellis 2016, "Pruning subsequence search with
/// attention-based embedding", ICASSP; and Raffel's thesis, 2016): one frame every 1024 samples at 22050 Hz
/// (≈ 21.5 frames per second, 46.4 ms), 48 semitone bins from MIDI note 36 (C2, 65.4 Hz) to 83 (B5).
///
/// - Audio (and scores rendered to audio): the CQT magnitude in decibels relative to its maximum, floored at
///   -80 dB and mapped to `[0, 1]` (`(dB + 80) / 80`).
/// - Scores read directly (the piano-roll input of Raffel & Ellis's NIPS 2015 workshop paper, which needs no
///   synthesizer at query time): each pitched note's velocity / 127 over the frames it sounds, its pitch folded
///   by octaves into the 48 bins, the maximum where notes overlap. Drums are left out.
///
/// Both are `frames x 48` with frame `t` at `t / frameRate` seconds (the CQT's frames are centred there).
public struct LearnedInput: Sendable {
    public static let sampleRate = 22050.0
    /// Samples per frame.
    public static let hop = 1024
    /// MIDI note of bin 0.
    public static let lowestNote = 36
    public static let bins = 48
    /// Frames per second (≈ 21.53).
    public static var frameRate: Double { sampleRate / Double(hop) }

    let cqt: CQT

    public init() throws {
        cqt = try CQT(CQTConfiguration(sampleRate: Self.sampleRate, hopLength: Self.hop, fmin: midiToHz(Double(Self.lowestNote)),
                                       binCount: Self.bins, binsPerOctave: 12))
    }

    /// The scaled log-CQT of `signal` (mono at 22050 Hz), `frames x 48`, values in `[0, 1]`.
    /// - Throws: `RefrainError.invalidArgument` for audio at another rate or shorter than one hop.
    public func audioFrames(_ signal: AudioSignal, threads: Int) throws -> Matrix {
        guard signal.sampleRate == Self.sampleRate else {
            throw RefrainError.invalidArgument("learned encoders read audio at 22050 Hz, got \(signal.sampleRate) Hz")
        }
        try Self.requireFrames(signal)
        let magnitude = try cqt.magnitude(signal.samples, threads: threads).values
        return Self.scaledDecibels(magnitude)
    }

    /// The name of the learned-input frames among an analysis source's shared features.
    static let sharedName = "learned_cqt sr=22050 hop=1024 bins=48"

    /// The scaled log-CQT of `source`'s audio (its score rendered, for MIDI), `frames x 48`, computed once per
    /// source and shared by the learned encoders (the hasher and the embedder read the same frames), equal to
    /// `audioFrames(_:threads:)` of that audio. The magnitude comes from `AnalysisSource.cqtMagnitude`: every second
    /// frame of `cqt_beats`' when that encoder ran first (the same 48 bins at half the hop).
    public func audioFrames(of source: AnalysisSource) throws -> Matrix {
        try source.sharedFeature(Self.sharedName) {
            let signal = try source.audio(at: Self.sampleRate)
            try Self.requireFrames(signal, name: source.name)
            return FeatureSequence(values: Self.scaledDecibels(try source.cqtMagnitude(cqt).values), hopLength: Self.hop, sampleRate: Self.sampleRate)
        }.values
    }

    /// Refuses audio shorter than one hop (no learned frame), naming the input when `name` is given.
    static func requireFrames(_ signal: AudioSignal, name: String? = nil) throws {
        guard signal.samples.count >= hop else {
            let prefix = name.map { "\($0): " } ?? ""
            throw RefrainError.invalidArgument(prefix + String(format: "audio of %.2f s is too short for the learned encoders", signal.duration))
        }
    }

    /// `(dB + 80) / 80` of a magnitude matrix, dB relative to its maximum, floored at -80 (silence: all zeros).
    static func scaledDecibels(_ magnitude: Matrix) -> Matrix {
        guard (magnitude.storage.max() ?? 0) > 0 else { return Matrix(rows: magnitude.rows, cols: magnitude.cols) }
        return amplitudeToDB(magnitude, reference: .maximum, topDB: 80).map { max(0, min(1, ($0 + 80) / 80)) }
    }

    /// The octave-folded piano roll of `score`, `frames x 48` (frames: enough to cover the last note, or
    /// `frames` when given), values in `[0, 1]`.
    public static func rollFrames(_ score: MIDIScore, frames: Int? = nil) -> Matrix {
        let rate = frameRate
        let count = frames ?? max(1, Int((score.endTime * rate).rounded(.up)) + 1)
        var roll = Matrix(rows: count, cols: bins)
        roll.storage.withUnsafeMutableBufferPointer { r in
            for instrument in score.instruments where !instrument.isDrum {
                for note in instrument.notes {
                    var pitch = note.pitch
                    while pitch < lowestNote { pitch += 12 }
                    while pitch >= lowestNote + bins { pitch -= 12 }
                    let bin = pitch - lowestNote
                    let value = Float(min(max(note.velocity, 1), 127)) / 127
                    // Frames whose centre lies in [start, end), at least the one nearest the onset.
                    let first = max(0, Int((note.start * rate).rounded(.up)))
                    let last = min(count - 1, max(first, Int((note.end * rate).rounded(.up)) - 1))
                    guard first < count else { continue }
                    for t in first...last where r[t * bins + bin] < value { r[t * bins + bin] = value }
                }
            }
        }
        return roll
    }

    /// `values` moved up by `semitones` bins (down when negative), bins pushed past either edge dropped and the
    /// freed bins zero: a transposition of CQT or roll frames.
    public static func shifted(_ values: Matrix, by semitones: Int) -> Matrix {
        guard semitones != 0 else { return values }
        var out = Matrix(rows: values.rows, cols: values.cols)
        let d = values.cols
        for r in 0..<values.rows {
            for c in 0..<d {
                let target = c + semitones
                if target >= 0 && target < d { out.storage[r * d + target] = values.storage[r * d + c] }
            }
        }
        return out
    }
}
