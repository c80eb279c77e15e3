import Foundation
import RefrainMath

/// Frequency in Hz of MIDI note `note` (A4 = 69 = 440 Hz, equal temperament).
public func midiToHz(_ note: Double) -> Double { 440 * pow(2, (note - 69) / 12) }

/// Settings of a constant-Q transform, with `librosa.cqt` (0.11) meaning and defaults.
public struct CQTConfiguration: Hashable, Sendable {
    /// Sample rate of the input signal (Hz).
    public var sampleRate: Double
    /// Samples between frames at `sampleRate`; frame `t` is centred on sample `t * hopLength`.
    public var hopLength: Int
    /// Centre frequency of the lowest bin (Hz) before `tuning`. librosa's default is C1 (32.70 Hz).
    public var fmin: Double
    /// Number of bins.
    public var binCount: Int
    /// Bins per octave.
    public var binsPerOctave: Int
    /// Tuning offset in fractions of a bin (librosa `tuning`; 0 = A440).
    public var tuning: Double
    /// Filter length multiplier (librosa `filter_scale`).
    public var filterScale: Double
    /// Norm of each time-domain kernel (librosa `norm`: 1 = L1, 2 = L2, `.infinity` = max).
    public var kernelNorm: Double
    /// Fraction of each frequency kernel's L1 mass that may be dropped (librosa `sparsity`).
    public var sparsity: Double
    /// Divide each bin by the square root of its filter length (librosa `scale=True`).
    public var scale: Bool

    public init(sampleRate: Double = 22050, hopLength: Int = 512, fmin: Double = midiToHz(24), binCount: Int = 84,
                binsPerOctave: Int = 12, tuning: Double = 0, filterScale: Double = 1, kernelNorm: Double = 1,
                sparsity: Double = 0.01, scale: Bool = true) {
        self.sampleRate = sampleRate
        self.hopLength = hopLength
        self.fmin = fmin
        self.binCount = binCount
        self.binsPerOctave = binsPerOctave
        self.tuning = tuning
        self.filterScale = filterScale
        self.kernelNorm = kernelNorm
        self.sparsity = sparsity
        self.scale = scale
    }

    /// Raffel & Ellis (2015), "Large-scale content-based matching of MIDI and audio files": 48 bins,
    /// 12 per octave, from MIDI 36 (C2, 65.4 Hz) at 22050 Hz with a hop of 512 samples (23.2 ms).
    public static let raffelEllis2015 = CQTConfiguration(sampleRate: 22050, hopLength: 512, fmin: midiToHz(36),
                                                         binCount: 48, binsPerOctave: 12)

    /// The CQT under `librosa.feature.chroma_cqt` and `chroma_cens` (defaults): 7 octaves from C1 at 36
    /// bins per octave.
    public static func chroma(sampleRate: Double = 22050, hopLength: Int = 512, tuning: Double = 0,
                              octaves: Int = 7, binsPerOctave: Int = 36) -> CQTConfiguration {
        CQTConfiguration(sampleRate: sampleRate, hopLength: hopLength, fmin: midiToHz(24),
                         binCount: octaves * binsPerOctave, binsPerOctave: binsPerOctave, tuning: tuning)
    }

    /// Centre frequencies (Hz) of all bins, lowest first, after `tuning`.
    public var frequencies: [Double] {
        let base = fmin * pow(2, tuning / Double(binsPerOctave))
        return (0..<binCount).map { base * pow(2, Double($0) / Double(binsPerOctave)) }
    }

    /// Frames per second of the output.
    public var frameRate: Double { sampleRate / Double(hopLength) }
}
