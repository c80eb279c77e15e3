import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath

/// The features `refrain features` computes by name. Those an index stores (`cqt_beats`, `cens`) are
/// computed by the index's own encoders, and the others by the functions those encoders are built on, so a
/// feature of a given name is the same everywhere: on the command line, in the index, in a query.
public enum FeatureKind: String, CaseIterable, Sendable {
    /// CQT magnitude, 48 bins from C2 at hop 512 (the CQT under `cqt_beats`): `frames x 48`.
    case cqt
    /// `librosa.feature.chroma_cqt` at hop 2048 (the chroma under `cens`), max-normalised: `frames x 12`.
    case chroma
    /// The index's CENS (`CENSEncoder`): `frames x 12` at ≈ 2.15 frames/s.
    case cens
    /// The index's beat-synchronous log-CQT (`CQTBeatsEncoder`): `beats x 48`.
    case cqtBeats = "cqt_beats"
    /// Onset strength as `librosa.beat.beat_track` computes it (hop 512): `frames x 1`.
    case onset
    /// Beats tracked on the onset strength (hop 512): `beats x 1`, each beat's time in seconds.
    case beats
    /// The fundamental frequency by pYIN (Mauch & Dixon 2014; `librosa.pyin`'s defaults, frame 2048, hop 512,
    /// voice range C2-C6), as the `melody` encoder tracks a hum: `frames x 2` (f0 in Hz, NaN where unvoiced;
    /// voiced probability).
    case f0
    /// The predominant melody of polyphonic audio (`predominantMelody`, after Salamon & Gómez 2012; hop 256,
    /// f0 candidates 55-1760 Hz), as the `melody` encoder reads an indexed recording: `frames x 2` (melody f0 in
    /// Hz, NaN where no melody sounds; the chosen contour's salience, 0 there).
    case melodyF0 = "melody_f0"

    /// The hop (samples at 22050 Hz) the feature has in the index, or for features the index does not
    /// store, in the encoder built on them.
    public var defaultHop: Int {
        switch self {
        case .chroma, .cens: return CENSEncoder.Settings().chromaHop
        case .cqt, .cqtBeats, .onset, .beats: return CQTBeatsEncoder.Settings().hop
        case .f0: return YINParameters().hopLength
        case .melodyF0: return PredominantMelodyParameters().hopLength
        }
    }

    /// A name for dimension `d` (pitch name for pitched features).
    public func label(ofDimension d: Int) -> String {
        switch self {
        case .cqt, .cqtBeats: return pitchName(midi: 36 + d)
        case .chroma, .cens: return pitchClassNames[d % 12]
        case .onset: return "onset strength"
        case .beats: return "beat time (s)"
        case .f0: return d == 0 ? "f0 (Hz)" : "voiced probability"
        case .melodyF0: return d == 0 ? "melody f0 (Hz)" : "salience"
        }
    }

    /// Whether the dimensions are the 12 pitch classes.
    public var isPitchClass: Bool { self == .chroma || self == .cens }

    /// Whether `--beat-sync` pools this feature (`cqt`, `chroma`, `cens`).
    public var isFrameWise: Bool { self == .cqt || isPitchClass }

    /// The `RefrainFeatures` computation behind a kind that is not an encoder.
    var audioFeature: AudioFeatureKind? {
        switch self {
        case .cqt: return .cqt
        case .chroma: return .chroma
        case .cens: return .cens
        case .onset: return .onset
        case .beats: return .beats
        case .cqtBeats, .f0, .melodyF0: return nil
        }
    }
}

/// What to compute: the feature and, where the caller wants them, other settings than the index's.
public struct FeatureRequest: Sendable {
    public var kind: FeatureKind
    /// Analysis sample rate, Hz.
    public var sampleRate: Double = 22050
    /// Samples between frames; nil: the kind's `defaultHop`.
    public var hop: Int?
    /// Pool `cqt`, `chroma` or `cens` over the segments between tracked beats.
    public var beatSync: FrequencyAggregate?
    /// `cens` only: smoothing window in chroma frames and downsampling; nil: the index encoder's.
    public var censSmoothing: Int?
    public var censDownsampling: Int?
    /// Renders MIDI input (nil: `SoundfontLocator`).
    public var soundfont: String?
    /// Threads for the analysis.
    public var threads: Int = ComputeBudget.machine.threads

    public init(kind: FeatureKind) { self.kind = kind }

    /// The hop in use.
    public var effectiveHop: Int { hop ?? kind.defaultHop }
}

/// A computed feature with what a caller prints or draws about it.
public struct FeatureResult: Sendable {
    public var request: FeatureRequest
    /// `frames x dims` (segments when beat-synchronous; beats x 1 for `beats`), times in seconds.
    public var features: FeatureSequence
    /// The beat track, for `beats` and beat-synchronous features.
    public var beats: BeatTrack?
    /// Format, rate and channels of a decoded audio file (nil for MIDI input).
    public var audioInfo: AudioInfo?
    public var inputKind: InputKind
    /// Seconds of input.
    public var duration: Double
    /// Frames per second of the feature before any beat pooling.
    public var frameRate: Double
    /// The onset-strength curve behind `onset` and `beats` (for the picture).
    public var onsetCurve: FeatureSequence?
    /// How the settings compare with the index's encoder of the same name: "the index's cens/1 settings",
    /// or the settings that differ; nil for features the index does not store.
    public var settingsNote: String?
    /// For `f0`: the pitch track with the samples and settings it was tracked from (for the picture).
    public var pitch: PitchAnalysis?
}

/// An f0 track with what it was computed from.
public struct PitchAnalysis: Sendable {
    public var track: PitchTrack
    /// Mono samples at `parameters.sampleRate`.
    public var samples: [Float]
    public var parameters: YINParameters
}

public enum FeatureExtraction {
    /// Computes `request.kind` of the audio or MIDI file at `url` (MIDI is rendered through FluidSynth).
    public static func compute(_ url: URL, _ request: FeatureRequest) throws -> FeatureResult {
        guard request.sampleRate >= 1000, request.sampleRate <= 192_000, request.effectiveHop > 0 else {
            throw RefrainError.invalidArgument("the hop must be positive and the sample rate between 1000 and 192000 Hz")
        }
        if request.beatSync != nil, !request.kind.isFrameWise {
            throw RefrainError.invalidArgument("--beat-sync applies to cqt, chroma and cens, not \(request.kind.rawValue)")
        }
        if request.kind != .cens, request.censSmoothing != nil || request.censDownsampling != nil {
            throw RefrainError.invalidArgument("--win-len-smooth and --cens-downsample apply to --kind cens only")
        }
        let renderers = RendererPool(soundfont: request.soundfont, size: 1)
        let source = try AnalysisSource(url: url, renderers: renderers, threads: request.threads)
        let sr = request.sampleRate, hop = request.effectiveHop
        switch request.kind {
        case .cens where request.beatSync == nil:
            var settings = CENSEncoder.Settings()
            settings.sampleRate = sr
            settings.chromaHop = hop
            settings.smoothing = request.censSmoothing ?? settings.smoothing
            settings.downsampling = request.censDownsampling ?? settings.downsampling
            let encoder = try CENSEncoder(settings: settings)
            guard case .features(let sequence) = try encoder.encode(source) else { fatalError("CENS is a feature sequence") }
            return FeatureResult(request: request, features: sequence, beats: nil, audioInfo: source.audioInfo,
                                 inputKind: source.kind, duration: try source.duration(sampleRate: sr),
                                 frameRate: settings.rate, onsetCurve: nil,
                                 settingsNote: note(encoder.record, CENSEncoder.Settings().dictionary))
        case .f0:
            let signal = try source.audio(at: sr)
            let yin = YINParameters(sampleRate: sr, frameLength: max(2 * hop, Int((2048 * sr / 22050).rounded())), hopLength: hop)
            let track = try pyin(signal.samples, parameters: PYINParameters(yin: yin))
            let values = Matrix(rows: track.frameCount, cols: 2) { t, c in c == 0 ? track.f0[t] : track.voicedProbability[t] }
            return FeatureResult(request: request, features: FeatureSequence(values: values, times: track.times), beats: nil,
                                 audioInfo: source.audioInfo, inputKind: source.kind, duration: signal.duration,
                                 frameRate: sr / Double(hop), onsetCurve: nil,
                                 settingsNote: "pYIN as the melody encoder tracks a hum (frame \(yin.frameLength), voice range C2-C6)",
                                 pitch: PitchAnalysis(track: track, samples: signal.samples, parameters: yin))
        case .melodyF0:
            var parameters = PredominantMelodyParameters()
            parameters.sampleRate = sr
            parameters.hopLength = hop
            let signal = try source.audio(at: sr)
            let melody = try predominantMelody(signal.samples, parameters: parameters, threads: request.threads)
            let values = Matrix(rows: melody.frameCount, cols: 2) { t, c in c == 0 ? melody.f0[t] : melody.salience[t] }
            let top = max(melody.salience.max() ?? 0, .leastNormalMagnitude)
            let track = PitchTrack(times: melody.times, f0: melody.f0, voiced: melody.f0.map(\.isFinite),
                                   voicedProbability: melody.salience.map { $0 / top })
            let yin = YINParameters(sampleRate: sr, frameLength: max(2 * hop, Int((2048 * sr / 22050).rounded())), hopLength: hop)
            return FeatureResult(request: request, features: FeatureSequence(values: values, times: melody.times), beats: nil,
                                 audioInfo: source.audioInfo, inputKind: source.kind, duration: signal.duration,
                                 frameRate: sr / Double(hop), onsetCurve: nil,
                                 settingsNote: "predominant melody as the melody encoder reads a recording (\(melody.selectedCount) of \(melody.contourCount) pitch contours kept)",
                                 pitch: PitchAnalysis(track: track, samples: signal.samples, parameters: yin))
        case .cqtBeats:
            var settings = CQTBeatsEncoder.Settings()
            settings.sampleRate = sr
            settings.hop = hop
            let encoder = try CQTBeatsEncoder(settings: settings)
            guard case .features(let sequence) = try encoder.encode(source) else { fatalError("cqt_beats is a feature sequence") }
            return FeatureResult(request: request, features: sequence,
                                 beats: source.score == nil ? try source.beatTrack(sampleRate: sr) : nil,
                                 audioInfo: source.audioInfo, inputKind: source.kind,
                                 duration: try source.duration(sampleRate: sr), frameRate: sr / Double(hop), onsetCurve: nil,
                                 settingsNote: note(encoder.record, CQTBeatsEncoder.Settings().dictionary))
        default:
            let kind = request.kind.audioFeature!
            let signal = try source.audio(at: sr)
            let cens = CENSParameters(smoothingLength: request.censSmoothing ?? CENSEncoder.Settings().smoothing,
                                      downsampling: request.censDownsampling ?? 1)
            let analysis = try kind.analyze(signal, sampleRate: sr, hopLength: hop, beatSync: request.beatSync, cens: cens,
                                            threads: request.threads)
            var onset: FeatureSequence?
            if request.kind == .onset { onset = analysis.features }
            if request.kind == .beats {
                onset = try AudioFeatureKind.onset.compute(signal, sampleRate: sr, hopLength: hop, threads: request.threads)
            }
            return FeatureResult(request: request, features: analysis.features, beats: analysis.beats,
                                 audioInfo: source.audioInfo, inputKind: source.kind, duration: signal.duration,
                                 frameRate: sr / Double(hop) / Double(request.kind == .cens ? cens.downsampling : 1),
                                 onsetCurve: onset, settingsNote: nil)
        }
    }

    /// "the index's settings (cens/1)" when `record` has the default settings of its encoder, else the
    /// settings that differ from them.
    static func note(_ record: EncoderRecord, _ defaults: [String: String]) -> String {
        let differing = defaults.keys.sorted().filter { record.settings[$0] != defaults[$0] }
        guard !differing.isEmpty else { return "the index's settings (\(record.identity))" }
        return "other settings than the index's \(record.identity): "
            + differing.map { "\($0) \(record.settings[$0] ?? "-") (index \(defaults[$0] ?? "-"))" }.joined(separator: ", ")
    }
}
