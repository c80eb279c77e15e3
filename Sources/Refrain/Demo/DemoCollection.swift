import Foundation
import RefrainAlign
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath
import RefrainSymbolic

/// The built-in example collection: the twelve `BuiltInTune`s rendered through FluidSynth as
/// "recordings", and queries made from them with other instruments, tempi and soundfonts, each with the
/// answer it should get.
public struct DemoCollection {
    /// Where recordings and queries are written.
    public let directory: URL
    let recordingRenderer: MIDIRenderer
    let queryRenderer: MIDIRenderer

    /// A query and its expected answer (`span` in seconds of the expected recording).
    public struct Query: Sendable {
        public var url: URL
        public var description: String
        public var expectedKey: String
        public var expectedSpan: ClosedRange<Double>?
    }

    /// - Parameters:
    ///   - soundfont: renders the recordings (nil: `SoundfontLocator`).
    ///   - querySoundfont: renders audio queries; defaults to TimGM6mb when installed, so the query sounds
    ///     unlike the recordings, else to `soundfont`.
    public init(directory: URL, soundfont: String? = nil, querySoundfont: String? = nil) throws {
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        recordingRenderer = try MIDIRenderer(soundfont: soundfont)
        let other = querySoundfont ?? ["/usr/share/sounds/sf2/TimGM6mb.sf2"].first { FileManager.default.fileExists(atPath: $0) }
        queryRenderer = try other.map { try MIDIRenderer(soundfont: $0) } ?? recordingRenderer
    }

    /// The recording of `tune`: its score with a gentle tempo curve (±6 % around 97 %, period ≈ 31 s), rendered to WAV.
    public func recordingScore(_ tune: BuiltInTune) throws -> MIDIScore {
        try tune.score().applyingTempoCurve { seconds in 0.97 + 0.06 * sin(seconds / 5) }
    }

    /// Renders every tune to `directory/recordings/KEY.wav`; returns the files.
    public func writeRecordings(_ tunes: [BuiltInTune] = BuiltInTune.all) throws -> [URL] {
        let folder = directory.appendingPathComponent("recordings")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return try tunes.map { tune in
            let url = folder.appendingPathComponent("\(tune.key).wav")
            let samples = try recordingRenderer.render(try recordingScore(tune))
            try writeAudio(samples, sampleRate: Int(recordingRenderer.sampleRate), format: .wav16, to: url)
            return url
        }
    }

    /// A MIDI query: `tune` at `tempo` times its speed, melody on the flute (73), chords on the piano (0),
    /// and no bass. The answer is the tune's recording.
    public func midiQuery(_ tune: BuiltInTune, tempo: Double = 1.15) throws -> Query {
        let score = try tune.score(melodyProgram: 73, chordProgram: 0).droppingInstrument(2).scalingTempo(by: tempo)
        let url = directory.appendingPathComponent("query-\(tune.key).mid")
        try score.write(to: url)
        return Query(url: url, description: "the score of \"\(tune.title)\" at \(Int((tempo * 100).rounded())) % tempo, melody on flute, chords on piano, no bass",
                     expectedKey: tune.key, expectedSpan: nil)
    }

    /// An audio query: seconds `excerpt` of `tune` played on violin (40) and organ (19) at `tempo` times
    /// its speed, rendered with the query soundfont. The answer is the tune's recording, at the span the
    /// excerpt's beats occupy there.
    public func audioQuery(_ tune: BuiltInTune, tempo: Double = 0.85, excerpt: ClosedRange<Double> = 5...17) throws -> Query {
        let score = try tune.score(melodyProgram: 40, chordProgram: 19).scalingTempo(by: tempo)
        let samples = try queryRenderer.render(score)
        let rate = queryRenderer.sampleRate
        let lo = min(Int(excerpt.lowerBound * rate), samples.count), hi = min(Int(excerpt.upperBound * rate), samples.count)
        let url = directory.appendingPathComponent("query-\(tune.key)-excerpt.wav")
        try writeAudio(Array(samples[lo..<hi]), sampleRate: Int(rate), format: .wav16, to: url)
        // Map the excerpt through beats (ticks) onto the recording's timeline.
        let recording = try recordingScore(tune).tempoMap
        let start = recording.seconds(atTick: score.tempoMap.tick(atSeconds: excerpt.lowerBound))
        let end = recording.seconds(atTick: score.tempoMap.tick(atSeconds: Double(hi) / rate))
        return Query(url: url, description: String(format: "%.0f s of \"%@\" on violin and organ at %d %% tempo, another soundfont",
                                                    Double(hi - lo) / rate, tune.title, Int((tempo * 100).rounded())),
                     expectedKey: tune.key, expectedSpan: start...end)
    }
}
