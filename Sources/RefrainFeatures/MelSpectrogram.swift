import Foundation
import RefrainMath

/// Mel spectrogram settings with librosa's defaults (`librosa.feature.melspectrogram`).
public struct MelParameters: Equatable, Sendable {
    public var stft: STFTParameters
    /// Filters (default 128).
    public var melCount: Int
    /// Lowest filter edge in Hz (default 0).
    public var fmin: Double
    /// Highest filter edge in Hz (default nil: half the sample rate).
    public var fmax: Double?
    /// HTK mel formula (default false: Slaney).
    public var htk: Bool
    /// Filter normalization (default `.slaney`).
    public var norm: MelNorm

    public init(stft: STFTParameters = STFTParameters(), melCount: Int = 128, fmin: Double = 0,
                fmax: Double? = nil, htk: Bool = false, norm: MelNorm = .slaney) {
        self.stft = stft
        self.melCount = melCount
        self.fmin = fmin
        self.fmax = fmax
        self.htk = htk
        self.norm = norm
    }

    /// The filterbank for `sampleRate`, `melCount x (fftSize / 2 + 1)`.
    public func filterbank(sampleRate: Double) throws -> SparseMelFilterbank {
        SparseMelFilterbank(try melFilterbank(sampleRate: sampleRate, fftSize: stft.fftSize, melCount: melCount,
                                              fmin: fmin, fmax: fmax, htk: htk, norm: norm))
    }
}

/// The mel power spectrogram of `signal` (`librosa.feature.melspectrogram` with `power=2`):
/// `frames x melCount`, frame `t` at `t * hopLength / sampleRate` seconds. The power STFT is projected
/// frame by frame and never stored whole.
///
/// - Parameters:
///   - signal: mono samples.
///   - sampleRate: Hz.
///   - filterbank: reuse a filterbank made by `parameters.filterbank(sampleRate:)` (optional).
///   - threads: STFT workers (default 2).
public func melSpectrogram(_ signal: [Float], sampleRate: Double, parameters: MelParameters = MelParameters(),
                           filterbank: SparseMelFilterbank? = nil, threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
    try parameters.stft.validate()
    guard allFinite(signal) else {
        throw RefrainError.invalidArgument("signal contains NaN or infinite samples")
    }
    let bank = try filterbank ?? parameters.filterbank(sampleRate: sampleRate)
    guard bank.binCount == parameters.stft.binCount else {
        throw RefrainError.invalidArgument("filterbank has \(bank.binCount) bins, the STFT \(parameters.stft.binCount)")
    }
    let frames = parameters.stft.frameCount(sampleCount: signal.count)
    let mels = bank.melCount
    var out = Matrix(rows: frames, cols: mels)
    out.storage.withUnsafeMutableBufferPointer { dst in
        let base = dst.baseAddress!
        forEachSpectrum(signal, parameters: parameters.stft, scale: .power, threads: threads) { t, row in
            bank.project(row, into: base + t * mels)
        }
    }
    return FeatureSequence(values: out, hopLength: parameters.stft.hopLength, sampleRate: sampleRate)
}
