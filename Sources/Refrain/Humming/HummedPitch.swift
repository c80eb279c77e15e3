import Foundation
import RefrainFeatures

extension PYINParameters {
    /// pYIN's settings for a hummed or sung query at `sampleRate` Hz: librosa's defaults with the voice's range
    /// (`YINParameters`), and `hummedNoiseFloor` subtracted before the difference function when it is set.
    public static func hummed(sampleRate: Double = 22050) -> PYINParameters {
        var parameters = PYINParameters(yin: YINParameters(sampleRate: sampleRate))
        parameters.noiseFloor = hummedNoiseFloor
        return parameters
    }

    /// The noise floor subtracted from a hum (`NoiseFloor`): nil, none. Measured on the tuning half of the development
    /// set (`refrain-bench humming --half tuning --noise-floor`, issue 21 round 11). In room noise pYIN leaves a woman's
    /// high sung notes unvoiced (10.8 % of the sung frames of women's syllables, a third of those above MIDI 75, against
    /// 1.5 % in the same queries clean; seed 21, every query made in room noise with `--noise room`). `NoiseFloor()`
    /// (the 0.2 quantile, subtracted twice, from frames whose voiced probability is under 0.5) raised room-noise women's
    /// fused MRR from 0.857 to 0.917 on the ordinary tuning half (seed 22), but small changes to other tracks moved short
    /// hums both ways: fused MRR / P@1 / R@10 0.916 / 0.901 / 0.947 -> 0.910 / 0.895 / 0.934 (seed 21) and 0.895 / 0.882
    /// / 0.928 -> 0.893 / 0.868 / 0.947 (seed 22), no better on the mean, so it stays off.
    public static let hummedNoiseFloor: NoiseFloor? = nil
}
