import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainMath
import RefrainSymbolic

/// What an input is, as the tasks and encoders see it.
public enum InputKind: String, Codable, Sendable, CaseIterable {
    /// A recording (any decodable audio file or samples).
    case audio
    /// A score (Standard MIDI File).
    case midi
    /// A melody given as notes (no audio).
    case melody
}

/// One input under analysis — a file, bytes, samples or a score — decoded, read or rendered only when an
/// encoder first asks, and shared by every encoder of the analysis: the audio at a given rate, the score,
/// its beats. An indexed item and a query go through the same source, so both sides are represented
/// alike. Encoders may run side by side on `lanes(_:)` of one source, which share what it computed
/// (`AnalysisMemo`: each value made once, a lane waiting for one another lane is making); one source (or lane)
/// itself is used by one thread at a time.
public final class AnalysisSource {
    /// A name for messages (the file's path or the upload's name).
    public let name: String
    public let kind: InputKind
    /// Threads the analysis may use (`ComputeBudget`).
    public let threads: Int
    /// Whether the input is being added to an index (set by `MusicAnalyzer.analyze`) rather than asked as a
    /// query: an encoder may treat a recording in the collection differently from a hummed query (`melody`).
    public internal(set) var isIndexedItem = false

    private enum Origin {
        case audioFile(URL)
        case audioBytes(Data)
        case samples(AudioSignal)
        case score(MIDIScore, bytes: Data?)
        case melody([MelodyNote])
    }
    private let origin: Origin
    private let renderers: RendererPool?
    /// Shared with the source's lanes.
    private let memo: AnalysisMemo
    /// CQTs computed while a score renders (`computeWhileRendering`), copied to the lanes.
    private var whileRendering: [StreamedCQT] = []

    /// A CQT an encoder reads, to compute while a score renders, and where its magnitude goes: the shared
    /// feature `sharedKey` (`sharedFeature`), or nil for `cqtMagnitude(_:)`.
    struct StreamedCQT {
        let cqt: CQT
        let sharedKey: String?
    }

    /// Audio file extensions Refrain decodes (libsndfile: WAV, FLAC, Ogg Vorbis/Opus, MP3, AIFF).
    public static let audioExtensions: Set<String> = ["wav", "wave", "flac", "ogg", "oga", "opus", "mp3", "aif", "aiff"]
    /// Standard MIDI File extensions.
    public static let midiExtensions: Set<String> = ["mid", "midi", "smf", "kar"]

    /// The kind of a file by its extension, or nil when Refrain does not read it.
    public static func kind(of url: URL) -> InputKind? {
        let ext = url.pathExtension.lowercased()
        if audioExtensions.contains(ext) { return .audio }
        if midiExtensions.contains(ext) { return .midi }
        return nil
    }

    /// A file, or its bytes held in memory (`bytes`, named by `url`); the extension tells audio from MIDI.
    /// MIDI is read at once (its notes are needed to know it is usable); audio is decoded on first use.
    /// `name` labels messages (default: the file's path; an upload passes the name it came with, so that no
    /// message shows a path of the machine that received it).
    init(url: URL, bytes: Data? = nil, name: String? = nil, renderers: RendererPool?, threads: Int) throws {
        let name = name ?? url.path
        guard let kind = Self.kind(of: url) else {
            throw RefrainError(.unsupported, "\(name): not an audio or MIDI file Refrain reads (by its extension)")
        }
        self.name = name
        self.kind = kind
        self.threads = max(1, threads)
        self.renderers = renderers
        memo = AnalysisMemo()
        switch kind {
        case .midi:
            let data: Data
            if let bytes { data = bytes } else {
                do { data = try Data(contentsOf: url) } catch { throw RefrainError.fileNotFound(url.path) }
            }
            let score = try MIDIScore(data: data, name: name)
            guard score.noteCount > 0 else { throw RefrainError.invalidFile(name, "the MIDI file has no notes") }
            origin = .score(score, bytes: data)
        default:
            origin = bytes.map { .audioBytes($0) } ?? .audioFile(url)
        }
    }

    /// Decoded samples at any rate.
    init(signal: AudioSignal, name: String, threads: Int) {
        self.name = name
        kind = .audio
        self.threads = max(1, threads)
        renderers = nil
        memo = AnalysisMemo()
        origin = .samples(signal)
    }

    /// A score (rendered through `renderers` when an encoder needs its audio).
    init(score: MIDIScore, bytes: Data?, name: String, renderers: RendererPool?, threads: Int) throws {
        guard score.noteCount > 0 else { throw RefrainError.invalidFile(name, "the MIDI file has no notes") }
        self.name = name
        kind = .midi
        self.threads = max(1, threads)
        self.renderers = renderers
        memo = AnalysisMemo()
        origin = .score(score, bytes: bytes)
    }

    /// A melody as notes.
    init(melody: [MelodyNote], name: String, threads: Int) throws {
        guard !melody.isEmpty else { throw RefrainError.invalidArgument("\(name): the melody has no notes") }
        self.name = name
        kind = .melody
        self.threads = max(1, threads)
        renderers = nil
        memo = AnalysisMemo()
        origin = .melody(melody)
    }

    /// A lane of `source`: the same input and everything computed for it, with `threads` of its own.
    private init(lane source: AnalysisSource, threads: Int) {
        name = source.name
        kind = source.kind
        self.threads = max(1, threads)
        isIndexedItem = source.isIndexedItem
        origin = source.origin
        renderers = source.renderers
        memo = source.memo
        whileRendering = source.whileRendering
    }

    /// Asks that `cqts` be computed while the score renders, when it renders while it is resampled
    /// (`RendererPool.rendersWhileResampling`: a score, several threads, a render rate below the rate asked for):
    /// each transform's levels and frames advance on the resampling thread as the audio comes (`CQTStream`), and
    /// what is left is finished once the rendering ends, before the audio is handed out; the magnitudes are stored
    /// where the encoders look for them, equal bit for bit to what they would compute (`CQTStream.finish()`). Call
    /// before making lanes and before the audio is first asked for; otherwise, or for other input, nothing changes.
    func computeWhileRendering(_ cqts: [StreamedCQT]) {
        guard case .score = origin else { return }
        whileRendering = cqts
    }

    /// `count` lanes of this source for encoders run side by side: each value any of them computes (audio,
    /// beats, shared features, CQT magnitudes) is computed once for all. Each lane keeps the source's threads,
    /// not a share of them, because some transforms split their work by the thread count and round
    /// differently when split (the resampler cuts a long signal in two on two threads, equal to one pass only to
    /// about 1e-7): with the same threads every value equals, bit for bit, what the source alone gives. While two
    /// lanes compute at once, their parallel parts may run up to `count` times the source's threads.
    func lanes(_ count: Int) -> [AnalysisSource] {
        (0..<max(1, count)).map { _ in AnalysisSource(lane: self, threads: threads) }
    }

    /// The score, for MIDI input.
    public var score: MIDIScore? {
        if case .score(let score, _) = origin { return score }
        return nil
    }

    /// The MIDI file's bytes, for MIDI input (kept with an indexed score so it can be rendered again).
    public var midiBytes: Data? {
        guard case .score(let score, let bytes) = origin else { return nil }
        return bytes ?? score.midiData()
    }

    /// The notes, for melody input.
    public var melody: [MelodyNote]? {
        if case .melody(let notes) = origin { return notes }
        return nil
    }

    /// The input's audio, mono at `sampleRate` Hz: decoded (and resampled), or the score rendered.
    public func audio(at sampleRate: Double) throws -> AudioSignal {
        try memo.value("audio \(sampleRate)") {
            switch origin {
            case .audioFile(let url):
                let decoded = try AudioDecoder(targetSampleRate: sampleRate, threads: threads).decode(url)
                _ = memo.value(Self.infoKey) { decoded.info }
                return decoded.signal
            case .audioBytes(let data):
                let decoded = try AudioDecoder(targetSampleRate: sampleRate, threads: threads).decode(data: data, name: name)
                _ = memo.value(Self.infoKey) { decoded.info }
                return decoded.signal
            case .samples(let samples):
                return samples.sampleRate == sampleRate ? samples : try samples.resampled(to: sampleRate, threads: threads)
            case .score(let score, _):
                guard let renderers else { throw RefrainError.invalidArgument("\(name): no renderer to turn the score into audio") }
                let streamed = whileRendering.filter { $0.cqt.configuration.sampleRate == sampleRate }
                guard !streamed.isEmpty, renderers.rendersWhileResampling(sampleRate: sampleRate, threads: threads) else {
                    return try renderers.render(score, sampleRate: sampleRate, threads: threads)
                }
                let (signal, streams) = try renderers.render(score, sampleRate: sampleRate, threads: threads,
                                                             streaming: streamed.map(\.cqt))
                if let streams { finish(streams, of: streamed) }
                return signal
            case .melody:
                throw RefrainError.invalidArgument("\(name): a melody given as notes has no audio")
            }
        }
    }

    /// Finishes `streams` (one per entry of `streamed`) side by side and stores each magnitude where its encoder
    /// reads it. A stream that fails stores nothing: its encoder then transforms the audio itself and meets the
    /// error, if it is one of the audio's.
    private func finish(_ streams: [CQTStream], of streamed: [StreamedCQT]) {
        var finished = [FeatureSequence?](repeating: nil, count: streams.count)
        finished.withUnsafeMutableBufferPointer { slots in
            let out = UncheckedSendable(slots.baseAddress!)
            try? concurrentForEach(streams.count, threads: threads) { i in out.value[i] = try? streams[i].finish() }
        }
        for (request, magnitude) in zip(streamed, finished) {
            guard let magnitude else { continue }
            if let key = request.sharedKey { memo.store("feature " + key, magnitude) } else { memo.storeMagnitude(request.cqt, magnitude) }
        }
    }

    /// The memo's key of the decoded file's format.
    private static let infoKey = "audio info"

    /// A feature several encoders derive from, computed by `make` on the first call for `key` and returned
    /// from then on (e.g. the chroma that `cens` and `cens_fine` smooth differently). `key` must name
    /// everything `make` depends on besides the input (the feature, its rate and hop).
    public func sharedFeature(_ key: String, _ make: () throws -> FeatureSequence) rethrows -> FeatureSequence {
        try memo.value("feature " + key, make: make)
    }

    /// The CQT magnitude of the input's audio by `cqt` (`frames x bins`, at `cqt`'s rate), computed once per
    /// setting for every encoder that reads it. A transform whose frames are every `k`-th frame of one already
    /// computed here (`CQT.frameStride(within:)`: e.g. the learned encoders' 48 bins at hop 1024 after
    /// `cqt_beats`' at hop 512) takes those rows instead of transforming the audio again.
    public func cqtMagnitude(_ cqt: CQT) throws -> FeatureSequence {
        try memo.magnitude(cqt) { magnitudes in try cqtMagnitude(cqt, from: magnitudes) }
    }

    /// The CQT magnitude by `cqt`: rows of one of `magnitudes` when it can, else transformed.
    private func cqtMagnitude(_ cqt: CQT, from magnitudes: [(cqt: CQT, magnitude: FeatureSequence)]) throws -> FeatureSequence {
        let signal = try audio(at: cqt.configuration.sampleRate)
        var magnitude: FeatureSequence?
        for done in magnitudes {
            guard let k = cqt.frameStride(within: done.cqt) else { continue }
            let rows = cqt.frameCount(sampleCount: signal.samples.count), finer = done.magnitude.values
            guard rows >= 1, (rows - 1) * k < finer.rows else { continue }
            var values = Matrix(rows: rows, cols: finer.cols)
            for r in 0..<rows {
                values.storage.replaceSubrange((r * finer.cols)..<((r + 1) * finer.cols),
                                               with: finer.storage[(r * k * finer.cols)..<((r * k + 1) * finer.cols)])
            }
            magnitude = FeatureSequence(values: values, hopLength: cqt.configuration.hopLength, sampleRate: cqt.configuration.sampleRate)
            break
        }
        return try magnitude ?? cqt.magnitude(signal, threads: threads)
    }

    /// The CQT magnitude by `cqt` if it was already computed (or streamed while the score rendered), else nil;
    /// computes nothing.
    func computedMagnitude(_ cqt: CQT) -> FeatureSequence? { memo.storedMagnitude(cqt) }

    /// The shared feature `key` if it was already computed (or streamed), else nil; computes nothing.
    func computedFeature(_ key: String) -> FeatureSequence? { memo.stored("feature " + key) }

    /// The file's own format, rate and channels, once its audio was decoded (nil for other inputs).
    public var audioInfo: AudioInfo? { memo.stored(Self.infoKey) }

    /// Beat times in seconds: a score's own (from its tempo map and time signatures, Raffel & Ellis 2015), or
    /// tracked in the audio at `sampleRate` (Ellis 2007, as `librosa.beat.beat_track`).
    public func beats(sampleRate: Double) throws -> [Double] {
        if let score { return score.beats() }
        return try beatTrack(sampleRate: sampleRate).times
    }

    /// The beat track of the audio at `sampleRate` (tracked once per rate).
    public func beatTrack(sampleRate: Double) throws -> BeatTrack {
        try memo.value("beats \(sampleRate)") {
            let signal = try audio(at: sampleRate)
            return try trackBeats(signal.samples, sampleRate: signal.sampleRate, threads: threads)
        }
    }

    /// Seconds: the score's end, the melody's last note off, or the audio's length (decoding it if needed).
    public func duration(sampleRate: Double) throws -> Double {
        switch origin {
        case .score(let score, _): return score.endTime
        case .melody(let notes): return notes.map { $0.onset + $0.duration }.max() ?? 0
        default: return try audio(at: sampleRate).duration
        }
    }

    /// A title found in the input itself (a MIDI file's first track name).
    public var title: String? {
        score?.instruments.first.map(\.name).flatMap { $0.isEmpty ? nil : $0 }
    }
}
