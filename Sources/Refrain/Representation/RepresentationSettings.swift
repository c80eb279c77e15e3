/// The feature settings every indexed item and every query go through; recorded in the index, so a query
/// is analysed exactly like the collection it searches.
///
/// Defaults follow the literature:
/// - `cqt_beats`: Raffel & Ellis 2015 ("Large-scale content-based matching of MIDI and audio files",
///   ISMIR): CQT with 48 bins from MIDI note 36 (C2) at 22050 Hz, hop 512, log amplitude, frames pooled
///   per beat, each frame L2-normalised (compared with cosine distance).
/// - `cens`: Müller, Kurth & Clausen 2005 ("Audio matching via chroma-based statistical features",
///   ISMIR): chroma at 22050 / 2048 ≈ 10.8 Hz smoothed over 21 frames (≈ 2 s) and downsampled by 5, giving
///   CENS at ≈ 2.15 Hz.
public struct RepresentationSettings: Codable, Hashable, Sendable {
    /// Sample rate everything is decoded or rendered at, Hz.
    public var sampleRate: Double = 22050
    /// Hop of the CQT behind `cqt_beats`, samples.
    public var cqtHop: Int = 512
    /// Lowest CQT bin, MIDI note number.
    public var cqtLowestNote: Double = 36
    /// CQT bins (12 per octave).
    public var cqtBins: Int = 48
    /// How `cqt_beats` pools CQT frames: 0 pools per beat (Raffel & Ellis 2015); a positive value pools
    /// fixed blocks of this many seconds instead, which needs no beat tracker (Raffel & Ellis 2016 found
    /// frame-level features match better than beat-synchronous ones).
    public var cqtBlockSeconds: Double = 0
    /// Hop of the chroma behind `cens`, samples (a multiple of 64: 7 octaves of halving).
    public var chromaHop: Int = 2048
    /// CENS smoothing window, chroma frames.
    public var censSmoothing: Int = 21
    /// CENS downsampling factor.
    public var censDownsampling: Int = 5

    public init() {}

    /// CENS frames per second.
    public var censRate: Double { sampleRate / Double(chromaHop * censDownsampling) }

    /// The settings as strings, as the index records them.
    public var dictionary: [String: String] {
        ["sample_rate": String(sampleRate), "cqt_hop": String(cqtHop), "cqt_lowest_note": String(cqtLowestNote),
         "cqt_bins": String(cqtBins), "cqt_block_seconds": String(cqtBlockSeconds), "chroma_hop": String(chromaHop), "cens_smoothing": String(censSmoothing),
         "cens_downsampling": String(censDownsampling)]
    }
}

/// Names of the feature sequences stored per item.
public enum FeatureName {
    /// Beat-synchronous log-CQT, `beats x 48`, L2-normalised rows; times are beat starts.
    public static let cqtBeats = "cqt_beats"
    /// CENS chroma, `frames x 12` at `RepresentationSettings.censRate`.
    public static let cens = "cens"
}
