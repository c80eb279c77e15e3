import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// A retrieval test set made from a folder of MIDI files (the development corpus): every score is rendered
/// as a "recording" (soundfont A, a smooth tempo curve), and queries are made from the same scores with
/// other renditions, each with its answer:
/// - MIDI queries: a global tempo change (0.8-1.25), the first part moved to another program, and one
///   part dropped (when there are several).
/// - audio-excerpt queries: 15 s (or the whole piece when shorter) rendered with soundfont B at another
///   tempo (0.85-1.18) and transposed by -2...+2 semitones; the expected span is where the excerpt's beats
///   lie in the recording.
/// Everything is seeded: the same folder gives the same set.
public struct DevelopmentSet {
    public let directory: URL
    public var recordings: [URL] = []
    public var midiQueries: [EvalQuery] = []
    public var audioQueries: [EvalQuery] = []
    /// Seconds of audio in the recordings.
    public var recordingSeconds = 0.0

    /// Renders what is not already in `directory` (recordings/, queries/), for the first `limit` MIDI files
    /// of `corpus` in name order.
    public init(corpus: URL, directory: URL, limit: Int = .max, soundfont: String? = nil,
                querySoundfont: String? = nil, excerptSeconds: Double = 15,
                progress: ((String) -> Void)? = nil) throws {
        self.directory = directory
        let fm = FileManager.default
        let files = (try? fm.contentsOfDirectory(at: corpus, includingPropertiesForKeys: nil)) ?? []
        let midi = files.filter { AnalysisSource.kind(of: $0) == .midi }.sorted { $0.lastPathComponent < $1.lastPathComponent }.prefix(limit)
        guard !midi.isEmpty else { throw RefrainError.invalidArgument("\(corpus.path): no MIDI files") }
        let recordingsDir = directory.appendingPathComponent("recordings"), queriesDir = directory.appendingPathComponent("queries")
        try fm.createDirectory(at: recordingsDir, withIntermediateDirectories: true)
        try fm.createDirectory(at: queriesDir, withIntermediateDirectories: true)
        let recordingRenderer = try MIDIRenderer(soundfont: soundfont)
        let otherFont = querySoundfont ?? ["/usr/share/sounds/sf2/TimGM6mb.sf2"].first { fm.fileExists(atPath: $0) }
        let queryRenderer = try otherFont.map { try MIDIRenderer(soundfont: $0) } ?? recordingRenderer
        let rate = recordingRenderer.sampleRate

        for (n, file) in midi.enumerated() {
            var random = SplitMix64(seed: UInt64(n) &* 0x9E37_79B9 &+ 17)
            let key = file.deletingPathExtension().lastPathComponent
            let score = try MIDIScore(contentsOf: file)
            let phase = random.uniform(0...6.28)
            let recordingScore = try score.applyingTempoCurve { seconds in 0.95 + 0.08 * sin(seconds / 9 + phase) }
            let recording = recordingsDir.appendingPathComponent("\(key).wav")
            if !fm.fileExists(atPath: recording.path) {
                try writeAudio(try recordingRenderer.render(recordingScore), sampleRate: Int(rate), format: .wav16, to: recording)
            }
            recordings.append(recording)
            recordingSeconds += recordingScore.endTime

            let midiScore = try Self.midiQueryScore(score, random: &random)
            let midiURL = queriesDir.appendingPathComponent("\(key).mid")
            try midiScore.write(to: midiURL)
            midiQueries.append(EvalQuery(id: "\(key)-midi", path: midiURL.path, task: MIDIToAudioTask().name,
                                         relevant: [key]))

            // Audio query: another soundfont, tempo and transposition, an excerpt.
            let semitones = Int(random.uniform(-2...2).rounded())
            let queryScore = try score.scalingTempo(by: random.uniform(0.85...1.18)).transposed(by: semitones)
            let audioURL = queriesDir.appendingPathComponent("\(key)-excerpt.wav")
            let total = queryScore.endTime
            let length = min(excerptSeconds, total)
            let start = random.uniform(0...max(0, total - length))
            if !fm.fileExists(atPath: audioURL.path) {
                let samples = try queryRenderer.render(queryScore)
                let lo = min(Int(start * rate), samples.count), hi = min(Int((start + length) * rate), samples.count)
                try writeAudio(Array(samples[lo..<hi]), sampleRate: Int(rate), format: .wav16, to: audioURL)
            }
            let map = recordingScore.tempoMap
            let span = [map.seconds(atTick: queryScore.tempoMap.tick(atSeconds: start)),
                        map.seconds(atTick: queryScore.tempoMap.tick(atSeconds: start + length))]
            audioQueries.append(EvalQuery(id: "\(key)-audio", path: audioURL.path, task: AudioMatchTask().name,
                                          relevant: [key], span: span))
            progress?("\(n + 1)/\(midi.count) \(key)")
        }
    }

    /// The MIDI query made from `score`, with draws from `random` in this order: a global tempo change (0.8-1.25),
    /// the first pitched part moved to another General MIDI program (0-79), and one part dropped (when there
    /// are several). Shared by the development set and `HeldOutPieceQueries`, so both make their queries alike.
    static func midiQueryScore(_ score: MIDIScore, random: inout SplitMix64) throws -> MIDIScore {
        var midiScore = try score.scalingTempo(by: random.uniform(0.8...1.25))
        let melodic = midiScore.instruments.indices.filter { !midiScore.instruments[$0].isDrum }
        if let first = melodic.first {
            midiScore = try midiScore.settingProgram(Int(random.uniform(0...79)), ofInstrument: first)
        }
        if midiScore.instruments.count > 1 {
            midiScore = try midiScore.droppingInstrument(Int(random.uniform(0...Double(midiScore.instruments.count - 1)).rounded()))
        }
        return midiScore
    }
}
