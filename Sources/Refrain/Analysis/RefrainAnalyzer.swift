import Foundation

/// The analyzer of Refrain's own indexes: decodes audio (WAV, FLAC, OGG/Vorbis, MP3) or reads and renders
/// MIDI (through FluidSynth), then computes `MusicFeatures`. Indexed items and queries go through this one
/// function, so both sides are represented alike.
///
/// MIDI files keep their bytes as the blob `midi`, and use their own beats (from the tempo map and time
/// signatures) for the beat-synchronous CQT; audio files have their beats tracked.
public struct RefrainAnalyzer: ItemAnalyzer {
    public static let identifier = "refrain-music/1"
    public static let audioExtensions: Set<String> = ["wav", "wave", "flac", "ogg", "oga", "mp3", "aif", "aiff"]
    public static let midiExtensions: Set<String> = ["mid", "midi", "smf", "kar"]

    public let representation: RepresentationSettings
    let features: MusicFeatures
    let decoder: AudioDecoder
    let renderers: RendererPool

    /// - Parameter soundfont: a `.sf2` for rendering MIDI; nil finds one (`SoundfontLocator`).
    public init(settings: RepresentationSettings = RepresentationSettings(), soundfont: String? = nil) throws {
        representation = settings
        features = try MusicFeatures(settings: settings)
        decoder = AudioDecoder(targetSampleRate: settings.sampleRate)
        renderers = RendererPool(soundfont: soundfont, sampleRate: settings.sampleRate)
    }

    public var identifier: String { Self.identifier }
    public var settings: [String: String] { representation.dictionary }

    public func accepts(_ url: URL) -> Bool {
        let ext = url.pathExtension.lowercased()
        return Self.audioExtensions.contains(ext) || Self.midiExtensions.contains(ext)
    }

    /// Whether `url` names a MIDI file (by extension).
    public static func isMIDI(_ url: URL) -> Bool { midiExtensions.contains(url.pathExtension.lowercased()) }

    public func analyze(_ url: URL) throws -> ItemAnalysis {
        guard accepts(url) else {
            throw RefrainError(.unsupported, "\(url.path): not an audio or MIDI file Refrain reads (by its extension)")
        }
        if Self.isMIDI(url) {
            let data: Data
            do { data = try Data(contentsOf: url) } catch { throw RefrainError.fileNotFound(url.path) }
            return try analyzeMIDI(data, name: url.path)
        }
        return try analyzeAudio(try decoder.decode(url).signal)
    }

    /// Analyses MIDI bytes: render, then features with the score's own beats.
    public func analyzeMIDI(_ data: Data, name: String = "MIDI data") throws -> ItemAnalysis {
        let score = try MIDIScore(data: data, name: name)
        guard score.noteCount > 0 else { throw RefrainError.invalidFile(name, "the MIDI file has no notes") }
        return try analyze(score: score, midiBytes: data)
    }

    /// Analyses a score (e.g. an edited one): render, then features with the score's own beats.
    public func analyze(score: MIDIScore, midiBytes: Data? = nil) throws -> ItemAnalysis {
        let audio = try renderers.render(score)
        let named = try features.analyze(audio, beats: score.beats())
        return ItemAnalysis(kind: .midi, duration: score.endTime, features: named,
                            blobs: ["midi": midiBytes ?? score.midiData()],
                            title: score.instruments.first.map(\.name).flatMap { $0.isEmpty ? nil : $0 })
    }

    /// Analyses decoded audio at the representation's sample rate.
    public func analyzeAudio(_ signal: AudioSignal) throws -> ItemAnalysis {
        ItemAnalysis(kind: .audio, duration: signal.duration, features: try features.analyze(signal))
    }
}
