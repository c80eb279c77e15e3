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

    /// The noise floor subtracted from a hum (`NoiseFloor`): `NoiseFloor()` gated at 18 dB (`belowSNR`), so that only a
    /// hum whose estimated SNR (the louder half of its 512-sample blocks over its quietest 1 %) is under 18 dB gets it and
    /// every other hum is read by librosa's pYIN unchanged. In room noise pYIN leaves a woman's high sung notes unvoiced
    /// (issue 21 round 11: 10.8 % of the sung frames of women's syllables against 1.5 % in the same queries clean), and
    /// the ungated floor fixed that but moved other short hums both ways (no gain on the tuning half's mean). Measured
    /// on the tuning half of the development set (`refrain-bench humming --half tuning --noise-floor
    /// 0.2,2,0.05,0.5,18`, round 12), the estimate reads 39.7 - 42.1 dB for clean hums, 13.7 - 28.1 dB in room noise and
    /// 20.6 - 36.9 dB through the telephone band (seed 21); at 18 dB the gate opened for 19 of 54 room hums and no clean
    /// or telephone hum (seed 21) and for 17 of 47 room hums and 2 of 54 telephone hums (seed 22). Fused MRR / P@1 / R@10
    /// 0.916 / 0.901 / 0.947 unchanged (seed 21) and 0.895 / 0.882 / 0.928 -> 0.903 / 0.888 / 0.941 (seed 22): two room
    /// hums by women found again, none lost. Gates of 16 - 22 dB all gained on the mean of both seeds (0.9054 -> 0.9063 -
    /// 0.9095 MRR), 24 dB and above lost (0.9043 at 24, 0.9014 ungated).
    public static let hummedNoiseFloor: NoiseFloor? = NoiseFloor(belowSNR: 18)
}
