import Foundation
import RefrainAudio
import RefrainFeatures
import RefrainIndex
import RefrainMath

/// `cens`: chroma energy normalized statistics (Müller, Kurth & Clausen 2005, "Audio matching via
/// chroma-based statistical features", ISMIR): librosa's `chroma_cqt` (no normalisation) at 22050 Hz with
/// hop 2048 (≈ 10.8 frames/s), quantised, smoothed over 21 frames (≈ 2 s) and downsampled by 5, giving CENS
/// at ≈ 2.15 frames/s, each frame of unit length. Blind to timbre and robust to local tempo: the feature of
/// audio matching and of the shingle pruning stage.
///
/// Output: `frames x 12` float32 (pitch classes C ... B), regular frame times in seconds.
public struct CENSEncoder: MusicEncoder {
    public static let name = "cens"
    /// 1: the representation of Refrain 0.1.
    public static let version = 1

    public struct Settings: Hashable, Sendable {
        /// Hz.
        public var sampleRate: Double = 22050
        /// Chroma hop, samples (a multiple of 64: the chroma CQT halves the rate over 7 octaves).
        public var chromaHop: Int = 2048
        /// Smoothing window, chroma frames (librosa's `win_len_smooth`; 0 or 1: none).
        public var smoothing: Int = 21
        /// Keep every n-th smoothed frame.
        public var downsampling: Int = 5

        public init() {}

        /// CENS frames per second.
        public var rate: Double { sampleRate / Double(chromaHop * downsampling) }

        /// The settings as an index records them.
        public var dictionary: [String: String] {
            ["sample_rate": String(sampleRate), "chroma_hop": String(chromaHop), "cens_smoothing": String(smoothing),
             "cens_downsampling": String(downsampling)]
        }

        /// Reads recorded settings (missing keys keep their defaults).
        public init(_ values: [String: String]) throws {
            var reader = SettingsReader(encoder: CENSEncoder.name, values)
            try self.init(reading: &reader, defaults: Settings())
            try reader.finish()
        }

        /// The four settings from `reader`, each missing one taken from `defaults` (for encoders that record
        /// these and more, e.g. `crp`).
        init(reading reader: inout SettingsReader, defaults: Settings) throws {
            sampleRate = try reader.value("sample_rate", default: defaults.sampleRate)
            chromaHop = try reader.value("chroma_hop", default: defaults.chromaHop)
            smoothing = try reader.value("cens_smoothing", default: defaults.smoothing)
            downsampling = try reader.value("cens_downsampling", default: defaults.downsampling)
        }

        /// The same smoothing and rate as `CENSParameters`, the feature functions' form.
        var parameters: CENSParameters { CENSParameters(smoothingLength: smoothing, downsampling: downsampling) }
    }

    public let settings: Settings
    let chroma: ChromaExtractor

    public init(settings: Settings = Settings()) throws {
        guard settings.sampleRate >= 1000, settings.chromaHop > 0, settings.chromaHop % 64 == 0 else {
            throw RefrainError(.index, "encoder cens: the chroma hop must be a positive multiple of 64 samples")
        }
        try settings.parameters.validate()
        self.settings = settings
        chroma = try ChromaExtractor(sampleRate: settings.sampleRate, hopLength: settings.chromaHop)
    }

    public var record: EncoderRecord {
        EncoderRecord(name: Self.name, version: Self.version, settings: settings.dictionary, dims: 12)
    }

    public var inputs: Set<InputKind> { [.audio, .midi] }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray {
        // The unnormalised chroma is shared with other CENS encoders of the same source (`cens_fine`).
        let raw = try source.sharedFeature("chroma_cqt sr=\(settings.sampleRate) hop=\(settings.chromaHop)") {
            chroma.chroma(fromCQTMagnitude: try cqtMagnitude(source), norm: nil)
        }
        return .features(cens(fromChroma: raw, smoothingLength: settings.smoothing, downsampling: settings.downsampling))
    }

    /// The constant-Q magnitude the chroma folds (`frames x 252`: 7 octaves from C1 at 36 bins per octave, at
    /// `settings.sampleRate` with hop `settings.chromaHop`), computed once per source for every encoder that
    /// reads it at these settings (`cens`, `cens_fine`, `crp`).
    func cqtMagnitude(_ source: AnalysisSource) throws -> FeatureSequence {
        let signal = try source.audio(at: settings.sampleRate)
        guard signal.samples.count >= settings.chromaHop else {
            throw RefrainError.invalidArgument(String(format: "%@: audio of %.2f s is too short to analyse", source.name, signal.duration))
        }
        return try source.sharedFeature(cqtKey) {
            try chroma.cqt.magnitude(signal, threads: source.threads)
        }
    }

    /// The source's shared feature holding the CQT magnitude `cqtMagnitude` reads.
    var cqtKey: String { "cqt_chroma sr=\(settings.sampleRate) hop=\(settings.chromaHop)" }

    /// The CENS of `signal` (at `settings.sampleRate`), as `encode` gives it for a recording: `frames x 12`.
    func features(of signal: AudioSignal, threads: Int) throws -> FeatureSequence {
        cens(fromChroma: try chroma.chroma(signal, norm: nil, threads: threads), smoothingLength: settings.smoothing,
             downsampling: settings.downsampling)
    }
}

extension CENSEncoder: CQTWhileRenderingEncoder {
    var streamedCQT: AnalysisSource.StreamedCQT { AnalysisSource.StreamedCQT(cqt: chroma.cqt, sharedKey: cqtKey) }
}
