import RefrainAudio
import RefrainMath

/// The audio features the command line and the pipeline can compute by name. Add a case here (with its
/// `compute` branch and labels) to offer a new feature everywhere at once.
public enum AudioFeatureKind: String, CaseIterable, Sendable {
    /// CQT magnitude, Raffel & Ellis (2015): 48 bins from C2, 12 per octave (`frames x 48`).
    case cqt
    /// `librosa.feature.chroma_cqt` (`frames x 12`, max-normalized).
    case chroma
    /// `librosa.feature.chroma_cens` (`frames x 12`, L2-normalized, 41-frame smoothing by default; see
    /// `CENSParameters` for the smoothing and the feature rate).
    case cens
    /// Onset strength as `librosa.beat.beat_track` computes it: mel power in dB, positive flux, median over
    /// the 128 mel bands (`frames x 1`).
    case onset
    /// Beats from `trackBeats` on the onset strength (`beats x 1`: each beat's time in seconds, also its frame time).
    case beats

    /// The feature of `signal` (resampled first if its rate differs from `sampleRate`), one frame every `hopLength`
    /// samples at `sampleRate` Hz. See `analyze` for beat-synchronous pooling and the beat track itself.
    public func compute(_ signal: AudioSignal, sampleRate: Double = 22050, hopLength: Int = 512,
                        cens: CENSParameters = CENSParameters(),
                        threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
        try analyze(signal, sampleRate: sampleRate, hopLength: hopLength, cens: cens, threads: threads).features
    }

    /// The feature of `signal` and, for `.beats` or when `beatSync` is given, the beat track (found on the onset
    /// strength at the same hop). With `beatSync`, a frame-wise feature (cqt, chroma, cens) is pooled over the
    /// segments between beats (`beatSynchronous`: one row per segment, timed at its first frame); the feature and
    /// the onset + beats path run concurrently when `threads` allows. `cens` applies to `.cens` only.
    /// - Throws: `RefrainError.invalidArgument` for `beatSync` with `.onset` or `.beats`, for CENS downsampling
    ///   with `beatSync` (beats are found at the hop rate), for `cens` out of range, and for bad input.
    public func analyze(_ signal: AudioSignal, sampleRate: Double = 22050, hopLength: Int = 512,
                        beatSync: FrequencyAggregate? = nil, cens: CENSParameters = CENSParameters(),
                        threads: Int = ComputeBudget.machine.threads) throws -> AudioFeatureAnalysis {
        if beatSync != nil, !isFrameWise {
            throw RefrainError.invalidArgument("beat-synchronous pooling applies to cqt, chroma and cens, not \(rawValue)")
        }
        if self == .cens {
            try cens.validate()
            if beatSync != nil && cens.downsampling > 1 {
                throw RefrainError.invalidArgument("CENS downsampling does not combine with beat-synchronous pooling")
            }
        }
        let input = signal.sampleRate == sampleRate ? signal : try signal.resampled(to: sampleRate, threads: threads)
        switch self {
        case .onset:
            let envelope = try Self.onset(input.samples, sampleRate: sampleRate, hopLength: hopLength, threads: threads)
            return AudioFeatureAnalysis(features: envelope.featureSequence, beats: nil)
        case .beats:
            let beats = try trackBeats(try Self.onset(input.samples, sampleRate: sampleRate, hopLength: hopLength, threads: threads),
                                       threads: threads)
            let values = Matrix(rows: beats.times.count, cols: 1, storage: beats.times.map { Float($0) })
            return AudioFeatureAnalysis(features: FeatureSequence(values: values, times: beats.times), beats: beats)
        case .cqt, .chroma, .cens:
            guard let beatSync else {
                return AudioFeatureAnalysis(features: try frameWise(input, sampleRate: sampleRate, hopLength: hopLength, cens: cens,
                                                                    threads: threads),
                                            beats: nil)
            }
            // Two independent branches: the feature itself, and onset strength + beat tracking.
            let branch = ComputeBudget(threads: threads).share(2).threads
            let (feature, track) = try concurrently(threads: threads,
                { try frameWise(input, sampleRate: sampleRate, hopLength: hopLength, cens: cens, threads: branch) },
                { try trackBeats(try Self.onset(input.samples, sampleRate: sampleRate, hopLength: hopLength, threads: branch),
                                 threads: branch) })
            let pooled = try beatSynchronous(feature, frames: track.frames, aggregate: beatSync)
            return AudioFeatureAnalysis(features: pooled, beats: track)
        }
    }

    /// cqt, chroma or cens, frame by frame.
    private func frameWise(_ input: AudioSignal, sampleRate: Double, hopLength: Int, cens: CENSParameters,
                           threads: Int) throws -> FeatureSequence {
        switch self {
        case .cqt:
            var c = CQTConfiguration.raffelEllis2015
            c.sampleRate = sampleRate
            c.hopLength = hopLength
            return try CQT(c).magnitude(input, threads: threads)
        case .chroma:
            return try ChromaExtractor(sampleRate: sampleRate, hopLength: hopLength).chroma(input, threads: threads)
        default:
            return try ChromaExtractor(sampleRate: sampleRate, hopLength: hopLength)
                .cens(input, smoothingLength: cens.smoothingLength, downsampling: cens.downsampling, threads: threads)
        }
    }

    /// The onset strength `librosa.beat.beat_track` uses (median aggregation), 2048-point STFT at `hopLength`.
    private static func onset(_ samples: [Float], sampleRate: Double, hopLength: Int, threads: Int) throws -> OnsetEnvelope {
        var mel = MelParameters()
        mel.stft.hopLength = hopLength
        return try onsetStrength(samples, sampleRate: sampleRate, mel: mel, parameters: OnsetParameters(aggregate: .median),
                                 threads: threads)
    }

    /// A name for dimension `d` (pitch name for pitched features).
    public func label(ofDimension d: Int) -> String {
        switch self {
        case .cqt: return pitchName(midi: 36 + d)
        case .chroma, .cens: return pitchClassNames[d % 12]
        case .onset: return "onset strength"
        case .beats: return "beat time (s)"
        }
    }

    /// Whether the dimensions are the 12 pitch classes.
    public var isPitchClass: Bool { self == .chroma || self == .cens }

    /// Whether the feature has one row per analysis frame with several dimensions (cqt, chroma, cens), the kinds
    /// that beat-synchronous pooling applies to.
    public var isFrameWise: Bool { self == .cqt || isPitchClass }
}

/// What `AudioFeatureKind.analyze` returns.
public struct AudioFeatureAnalysis: Sendable {
    /// `frames x dims` (or `segments x dims` when beat-synchronous, `beats x 1` for `.beats`), with times in seconds.
    public var features: FeatureSequence
    /// The beat track, for `.beats` and beat-synchronous features.
    public var beats: BeatTrack?
}

/// C, C#, ..., B.
public let pitchClassNames = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

/// Scientific pitch name of a MIDI note, e.g. 60 -> "C4".
public func pitchName(midi: Int) -> String {
    "\(pitchClassNames[((midi % 12) + 12) % 12])\(midi / 12 - 1)"
}
