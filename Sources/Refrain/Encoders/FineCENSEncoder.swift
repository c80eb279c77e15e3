import Foundation
import RefrainFeatures
import RefrainIndex
import RefrainMath

/// `cens_fine`: CENS (Müller, Kurth & Clausen 2005) at a finer time scale than `cens`, for short audio
/// queries: the same chroma (librosa's `chroma_cqt` at 22050 Hz, hop 2048, ≈ 10.8 frames/s; computed once per
/// input for both, `AnalysisSource.sharedFeature`), quantised,
/// smoothed over 9 frames (≈ 0.84 s instead of ≈ 2 s) and downsampled by 2, giving ≈ 5.4 frames/s.
/// `cens` smooths over about as long as a 5-10 s excerpt lasts, which leaves such a query only a few
/// distinct frames; this array keeps its chord changes. Read by the `fine-rescore` stage of audio matching
/// (issue 18, round 4).
///
/// Output: `frames x 12` float32 (pitch classes C ... B), each frame of unit length, regular frame times in
/// seconds.
public struct FineCENSEncoder: MusicEncoder {
    public static let name = "cens_fine"
    /// 1: smoothing 9, downsampling 2.
    public static let version = 1

    /// The settings of a new index: `CENSEncoder.Settings` with smoothing 9 and downsampling 2.
    public static var defaultSettings: CENSEncoder.Settings {
        var settings = CENSEncoder.Settings()
        settings.smoothing = 9
        settings.downsampling = 2
        return settings
    }

    let inner: CENSEncoder

    public init(settings: CENSEncoder.Settings = FineCENSEncoder.defaultSettings) throws {
        inner = try CENSEncoder(settings: settings)
    }

    /// Reads recorded settings; missing keys keep this encoder's defaults (not `cens`'s).
    public init(recorded values: [String: String]) throws {
        let merged = Self.defaultSettings.dictionary.merging(values) { _, recorded in recorded }
        try self.init(settings: try CENSEncoder.Settings(merged))
    }

    public var settings: CENSEncoder.Settings { inner.settings }

    public var record: EncoderRecord {
        EncoderRecord(name: Self.name, version: Self.version, settings: inner.settings.dictionary, dims: 12)
    }

    public var inputs: Set<InputKind> { inner.inputs }

    public func encode(_ source: AnalysisSource) throws -> EncodedArray { try inner.encode(source) }
}
