import RefrainAudio

/// The audio features the command line and the pipeline can compute by name. Add a case here (with its
/// `compute` branch and labels) to offer a new feature everywhere at once.
public enum AudioFeatureKind: String, CaseIterable, Sendable {
    /// CQT magnitude, Raffel & Ellis (2015): 48 bins from C2, 12 per octave (`frames x 48`).
    case cqt
    /// `librosa.feature.chroma_cqt` (`frames x 12`, max-normalized).
    case chroma
    /// `librosa.feature.chroma_cens` (`frames x 12`, L2-normalized, 41-frame smoothing).
    case cens

    /// The feature of `signal` (resampled first if its rate differs from `sampleRate`), one frame every `hopLength`
    /// samples at `sampleRate` Hz.
    public func compute(_ signal: AudioSignal, sampleRate: Double = 22050, hopLength: Int = 512) throws -> FeatureSequence {
        let input = signal.sampleRate == sampleRate ? signal : try signal.resampled(to: sampleRate)
        switch self {
        case .cqt:
            var c = CQTConfiguration.raffelEllis2015
            c.sampleRate = sampleRate
            c.hopLength = hopLength
            return try CQT(c).magnitude(input)
        case .chroma:
            return try ChromaExtractor(sampleRate: sampleRate, hopLength: hopLength).chroma(input)
        case .cens:
            return try ChromaExtractor(sampleRate: sampleRate, hopLength: hopLength).cens(input)
        }
    }

    /// A name for dimension `d` (pitch name for pitched features).
    public func label(ofDimension d: Int) -> String {
        switch self {
        case .cqt: return pitchName(midi: 36 + d)
        case .chroma, .cens: return pitchClassNames[d % 12]
        }
    }

    /// Whether the dimensions are the 12 pitch classes.
    public var isPitchClass: Bool { self == .chroma || self == .cens }
}

/// C, C#, ..., B.
public let pitchClassNames = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"]

/// Scientific pitch name of a MIDI note, e.g. 60 -> "C4".
public func pitchName(midi: Int) -> String {
    "\(pitchClassNames[((midi % 12) + 12) % 12])\(midi / 12 - 1)"
}
