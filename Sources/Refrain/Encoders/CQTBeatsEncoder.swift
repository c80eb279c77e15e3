import Foundation
import RefrainFeatures
import RefrainIndex
import RefrainMath

/// `cqt_beats`: Raffel & Ellis's representation for matching scores to recordings (Raffel & Ellis 2015,
/// "Large-scale content-based matching of MIDI and audio files", ISMIR): the CQT magnitude (48 bins from
/// MIDI note 36, C2, 12 per octave, at 22050 Hz with hop 512) averaged per beat, in dB relative to its
/// maximum with an 80 dB floor, shifted to be non-negative (silence is the zero vector) and L2-normalised per
/// frame, so that frames compare by cosine distance. A score's beats come from its tempo map; a recording's
/// are tracked (Ellis 2007). Without usable beats (fewer than two) the frames are pooled in half-second
/// blocks instead; `blockSeconds > 0` always pools fixed blocks (Raffel & Ellis 2016 found frame-level
/// features match better than beat-synchronous ones).
///
/// Output: `beats x 48` float32, times at the beat (block) starts, seconds.
public struct CQTBeatsEncoder: MusicEncoder {
    public static let name = "cqt_beats"
    /// 1: the representation of Refrain 0.1.
    public static let version = 1

    public struct Settings: Hashable, Sendable {
        /// Hz.
        public var sampleRate: Double = 22050
        /// Samples.
        public var hop: Int = 512
        /// MIDI note number of the lowest bin.
        public var lowestNote: Double = 36
        public var bins: Int = 48
        /// 0: pool per beat; > 0: pool fixed blocks of this many seconds.
        public var blockSeconds: Double = 0

        public init() {}

        /// The settings as an index records them.
        public var dictionary: [String: String] {
            ["sample_rate": String(sampleRate), "cqt_hop": String(hop), "cqt_lowest_note": String(lowestNote),
             "cqt_bins": String(bins), "cqt_block_seconds": String(blockSeconds)]
        }

        /// Reads recorded settings (missing keys keep their defaults).
        public init(_ values: [String: String]) throws {
            var reader = SettingsReader(encoder: CQTBeatsEncoder.name, values)
            sampleRate = try reader.value("sample_rate", default: sampleRate)
            hop = try reader.value("cqt_hop", default: hop)
            lowestNote = try reader.value("cqt_lowest_note", default: lowestNote)
            bins = try reader.value("cqt_bins", default: bins)
            blockSeconds = try reader.value("cqt_block_seconds", default: blockSeconds)
            try reader.finish()
        }
    }

    public let settings: Settings
    let cqt: CQT

    public init(settings: Settings = Settings()) throws {
        guard settings.sampleRate >= 1000, settings.hop > 0, settings.bins > 0, settings.blockSeconds >= 0 else {
            throw RefrainError(.index, "encoder cqt_beats: sample rate, hop and bins must be positive")
        }
        self.settings = settings
        cqt = try CQT(CQTConfiguration(sampleRate: settings.sampleRate, hopLength: settings.hop,
                                       fmin: midiToHz(settings.lowestNote), binCount: settings.bins, binsPerOctave: 12))
    }

    public var record: EncoderRecord {
        EncoderRecord(name: Self.name, version: Self.version, settings: settings.dictionary, dims: settings.bins)
    }

    public var inputs: Set<InputKind> { [.audio, .midi] }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray {
        let signal = try source.audio(at: settings.sampleRate)
        guard signal.samples.count >= 2048 else {
            throw RefrainError.invalidArgument(String(format: "%@: audio of %.2f s is too short to analyse", source.name, signal.duration))
        }
        // Shared with the learned encoders, whose CQT is every second frame of this one (`AnalysisSource.cqtMagnitude`).
        let magnitude = try source.cqtMagnitude(cqt)
        if settings.blockSeconds > 0 { return .features(try blockPooled(magnitude, seconds: settings.blockSeconds)) }
        return .features(try beatPooled(magnitude, beatTimes: try source.beats(sampleRate: settings.sampleRate)))
    }

    /// Pooled per beat; half-second blocks when fewer than two beats fall inside the signal.
    func beatPooled(_ magnitude: FeatureSequence, beatTimes: [Double]) throws -> FeatureSequence {
        let frameRate = settings.sampleRate / Double(settings.hop)
        let frames = beatTimes.map { Int(($0 * frameRate).rounded()) }.filter { $0 > 0 && $0 < magnitude.frameCount }
        if frames.count < 2 { return try blockPooled(magnitude, seconds: 0.5) }
        return try logCQT(pooling: magnitude, at: frames)
    }

    /// Pooled over fixed blocks of `seconds` (rounded to whole CQT frames).
    func blockPooled(_ magnitude: FeatureSequence, seconds: Double) throws -> FeatureSequence {
        let frameRate = settings.sampleRate / Double(settings.hop)
        let block = max(1, Int((seconds * frameRate).rounded()))
        return try logCQT(pooling: magnitude, at: Array(stride(from: block, to: magnitude.frameCount, by: block)))
    }

    private func logCQT(pooling magnitude: FeatureSequence, at frames: [Int]) throws -> FeatureSequence {
        let pooled = try beatSynchronous(magnitude, frames: frames, aggregate: .mean, pad: true)
        var db = amplitudeToDB(pooled.values, reference: .maximum, topDB: 80)
        let floor = db.storage.min() ?? 0
        db = db.map { $0 - floor }
        return FeatureSequence(values: db, times: pooled.times).normalized(.l2)
    }
}

extension CQTBeatsEncoder: CQTWhileRenderingEncoder {
    var streamedCQT: AnalysisSource.StreamedCQT { AnalysisSource.StreamedCQT(cqt: cqt, sharedKey: nil) }
}
