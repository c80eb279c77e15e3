import Foundation
import RefrainFeatures
import RefrainIndex
import RefrainMath

/// `crp`: CRP, chroma DCT-reduced log pitch (Müller & Ewert 2010, "Towards timbre-invariant audio features
/// for harmony-based music", IEEE TASLP 18(3)), a chroma that drops the spectral envelope of the log pitch
/// energies, so that another instrument playing the same notes changes it less than CENS. From the constant-Q
/// magnitude `cens` folds (22050 Hz, hop 2048, ≈ 10.8 frames/s; computed once per input for all three,
/// `CENSEncoder.cqtMagnitude`): `crp(fromCQT:)` with compression 1000 and the DCT coefficients from the 55th on
/// (the Chroma Toolbox's defaults), then smoothed over 9 frames (≈ 0.84 s) and downsampled by 2 as `cens_fine`
/// (`smoothedUnitFrames`), giving ≈ 5.4 frames/s. Read by audio matching's `fine-rescore` stage when its
/// option `array` names it.
///
/// Output: `frames x 12` float32 (pitch classes C ... B), each frame of unit length, values of either sign,
/// regular frame times in seconds.
public struct CRPEncoder: MusicEncoder {
    public static let name = "crp"
    /// 1: compression 1000, coefficients from the 55th, smoothing 9, downsampling 2.
    public static let version = 1

    public struct Settings: Hashable, Sendable {
        /// Rate, hop, smoothing and downsampling, as `cens_fine` has them by default.
        public var chroma: CENSEncoder.Settings = FineCENSEncoder.defaultSettings
        public var crp = CRPParameters()

        public init() {}

        /// The settings as an index records them.
        public var dictionary: [String: String] {
            chroma.dictionary.merging(["crp_compression": String(crp.compression), "crp_first_kept": String(crp.firstKept)]) { a, _ in a }
        }

        /// Reads recorded settings (missing keys keep their defaults).
        public init(_ values: [String: String]) throws {
            var reader = SettingsReader(encoder: CRPEncoder.name, values)
            chroma = try CENSEncoder.Settings(reading: &reader, defaults: FineCENSEncoder.defaultSettings)
            crp.compression = try reader.value("crp_compression", default: crp.compression)
            crp.firstKept = try reader.value("crp_first_kept", default: crp.firstKept)
            try reader.finish()
        }
    }

    public let settings: Settings
    /// The name the index records: `crp`, or `crp_coarse` for the variant at `cens`'s time scale (`CoarseCRPEncoder`).
    public let recordedName: String
    let inner: CENSEncoder

    public init(settings: Settings = Settings(), name: String = CRPEncoder.name) throws {
        try settings.crp.validate()
        inner = try CENSEncoder(settings: settings.chroma)
        self.settings = settings
        recordedName = name
    }

    public var record: EncoderRecord {
        EncoderRecord(name: recordedName, version: Self.version, settings: settings.dictionary, dims: 12)
    }

    public var inputs: Set<InputKind> { inner.inputs }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray {
        let cqt = inner.chroma.cqt.configuration
        let frames = crp(fromCQT: try inner.cqtMagnitude(source), binsPerOctave: cqt.binsPerOctave, fmin: cqt.fmin,
                         parameters: settings.crp)
        return .features(smoothedUnitFrames(frames.values, times: frames.times, smoothingLength: settings.chroma.smoothing,
                                            downsampling: settings.chroma.downsampling))
    }
}
