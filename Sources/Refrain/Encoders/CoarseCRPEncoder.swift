import Foundation
import RefrainIndex

/// `crp_coarse`: CRP, the timbre-robust chroma DCT-reduced log pitch (Müller & Ewert 2010, "Towards
/// timbre-invariant audio features for harmony-based music", IEEE TASLP 18(3)), at the time scale of `cens`:
/// the same per-frame CRP as `crp` (from the constant-Q magnitude all chroma encoders share, ≈ 10.8 frames/s),
/// smoothed over 21 frames (≈ 2 s) and downsampled by 5, giving ≈ 2.15 frames/s. Audio matching's first
/// subsequence-DTW stage reads it beside `cens` (`ArrayMeanMatcher`); `crp` (≈ 5.4 frames/s) serves the finer
/// re-scoring. The encoder is a `CRPEncoder` recorded under this name.
///
/// Output: `frames x 12` float32 (pitch classes C ... B), each frame of unit length, values of either sign,
/// regular frame times in seconds.
public enum CoarseCRPEncoder {
    public static let name = "crp_coarse"
    /// 1: compression 1000, coefficients from the 55th, smoothing 21, downsampling 5.
    public static let version = CRPEncoder.version

    /// The settings of a new index: `CRPEncoder.Settings` with `cens`'s smoothing and downsampling.
    public static var defaultSettings: CRPEncoder.Settings {
        var settings = CRPEncoder.Settings()
        settings.chroma = CENSEncoder.Settings()
        return settings
    }

    /// The encoder with `settings`.
    public static func make(_ settings: CRPEncoder.Settings = defaultSettings) throws -> CRPEncoder {
        try CRPEncoder(settings: settings, name: name)
    }

    /// The encoder with recorded settings; missing keys keep this encoder's defaults (not `crp`'s).
    public static func make(recorded values: [String: String]) throws -> CRPEncoder {
        try make(try CRPEncoder.Settings(defaultSettings.dictionary.merging(values) { _, recorded in recorded }))
    }
}
