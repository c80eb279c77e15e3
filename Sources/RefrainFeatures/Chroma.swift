import Foundation
import RefrainAudio
import RefrainMath

/// Folds constant-Q bins into pitch classes, with `librosa.filters.cq_to_chroma` semantics: each chroma takes
/// the `binsPerOctave / chromaCount` CQT bins centred on it in every octave; chroma 0 is C.
/// Returns a `chromaCount x cqtBins` matrix.
public func cqToChroma(cqtBins: Int, binsPerOctave: Int, chromaCount: Int = 12, fmin: Double = midiToHz(24)) -> Matrix {
    precondition(binsPerOctave % chromaCount == 0, "bins per octave must be a multiple of the chroma count")
    let merge = binsPerOctave / chromaCount
    // Pitch class of the first bin, in semitones above C (librosa: round(mod(hz_to_midi(fmin), 12) * n_chroma / 12)).
    let midi: Double = 12 * log2(fmin / 440) + 69
    var midi0: Double = midi.truncatingRemainder(dividingBy: 12)
    if midi0 < 0 { midi0 += 12 }
    let roll: Int = (midi0 * Double(chromaCount) / 12).roundedToEven
    var m = Matrix(rows: chromaCount, cols: cqtBins)
    for bin in 0..<cqtBins {
        // Before rolling, column j of the tiled, left-rolled identity belongs to chroma ((j + merge/2) mod bpo) / merge.
        let j = bin % binsPerOctave
        let chroma = ((j + merge / 2) % binsPerOctave) / merge
        let row = ((chroma + roll) % chromaCount + chromaCount) % chromaCount
        m[row, bin] = 1
    }
    return m
}

private extension Double {
    /// NumPy's `np.round` (half to even) as an Int.
    var roundedToEven: Int { Int(rounded(.toNearestOrEven)) }
}

/// Chroma from a CQT magnitude (`frames x cqtBins`), with `librosa.feature.chroma_cqt` semantics: bins folded
/// into `chromaCount` pitch classes (C first), values below `threshold` set to 0, then each frame normalized
/// (`norm`, librosa default `.max`; nil leaves it raw). Output `frames x chromaCount`, the same frame times.
public func chroma(fromCQT cqt: FeatureSequence, binsPerOctave: Int, fmin: Double = midiToHz(24),
                   chromaCount: Int = 12, threshold: Float = 0, norm: FrameNorm? = .max) -> FeatureSequence {
    let fold = cqToChroma(cqtBins: cqt.dimension, binsPerOctave: binsPerOctave, chromaCount: chromaCount, fmin: fmin)
    var values = cqt.values.multipliedTransposed(fold)
    if threshold > 0 { values = values.map { $0 < threshold ? 0 : $0 } }
    if let norm { values = normalizeFrames(values, norm: norm) }
    return FeatureSequence(values: values, times: cqt.times)
}

/// CENS, chroma energy normalized statistics (Müller, Kurth & Clausen 2005, "Audio matching via chroma-based
/// statistical features"), with `librosa.feature.chroma_cens` semantics: raw chroma (`frames x 12`) L1-normalized
/// per frame, quantized with thresholds 0.4, 0.2, 0.1, 0.05 (a quarter each), smoothed in time with a Hann window
/// of `smoothingLength + 2` points (zeros beyond the ends), then L2-normalized.
///
/// `downsampling` keeps every n-th frame after smoothing (Müller's feature rate: a 10 Hz chroma with a 41-frame
/// window and factor 10 gives 1 Hz CENS); 1 keeps librosa's rate. Frame times follow the kept frames.
public func cens(fromChroma rawChroma: FeatureSequence, smoothingLength: Int = 41, downsampling: Int = 1) -> FeatureSequence {
    precondition(smoothingLength >= 0 && downsampling >= 1, "smoothing length >= 0 and downsampling >= 1")
    let l1 = normalizeFrames(rawChroma.values, norm: .l1)
    let quantized = l1.map { v in
        Float(v > 0.4 ? 0.25 : 0) + Float(v > 0.2 ? 0.25 : 0) + Float(v > 0.1 ? 0.25 : 0) + Float(v > 0.05 ? 0.25 : 0)
    }
    return smoothedUnitFrames(quantized, times: rawChroma.times, smoothingLength: smoothingLength, downsampling: downsampling)
}

/// The temporal parameters of CENS (`cens(fromChroma:smoothingLength:downsampling:)`), named as in
/// Müller's CENS^w_d: the smoothing window `w` and the downsampling factor `d`.
public struct CENSParameters: Equatable, Sendable {
    /// Length of the Hann smoothing window, in chroma frames (librosa's `win_len_smooth`, default 41);
    /// 0 turns smoothing off.
    public var smoothingLength: Int
    /// Keep every n-th smoothed frame (1: all): the CENS rate is the chroma frame rate
    /// (`sampleRate / hopLength` Hz) divided by this.
    public var downsampling: Int

    public init(smoothingLength: Int = 41, downsampling: Int = 1) {
        self.smoothingLength = smoothingLength
        self.downsampling = downsampling
    }

    /// - Throws: `RefrainError.invalidArgument` unless `smoothingLength >= 0` and `downsampling >= 1`.
    public func validate() throws {
        guard smoothingLength >= 0, downsampling >= 1 else {
            throw RefrainError.invalidArgument("CENS needs a smoothing window of 0 or more frames and downsampling of 1 or more (got \(smoothingLength) and \(downsampling))")
        }
    }
}

/// CQT-based chroma and CENS for one configuration (librosa `chroma_cqt` / `chroma_cens` defaults: 7 octaves from
/// C1 at 36 bins per octave, 12 pitch classes). Build once; thread-safe.
public final class ChromaExtractor: Sendable {
    public let cqt: CQT
    public let chromaCount: Int

    public init(sampleRate: Double = 22050, hopLength: Int = 512, tuning: Double = 0, octaves: Int = 7,
                binsPerOctave: Int = 36, chromaCount: Int = 12) throws {
        cqt = try CQT(.chroma(sampleRate: sampleRate, hopLength: hopLength, tuning: tuning, octaves: octaves,
                              binsPerOctave: binsPerOctave))
        self.chromaCount = chromaCount
    }

    /// `librosa.feature.chroma_cqt` (norm inf by default): `frames x chromaCount`; on up to `threads` threads.
    public func chroma(_ signal: AudioSignal, norm: FrameNorm? = .max,
                       threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
        chroma(fromCQTMagnitude: try cqt.magnitude(signal, threads: threads), norm: norm)
    }

    /// Chroma from a CQT magnitude this extractor's `cqt` produced.
    public func chroma(fromCQTMagnitude magnitude: FeatureSequence, norm: FrameNorm? = .max) -> FeatureSequence {
        let c = cqt.configuration
        return RefrainFeatures.chroma(fromCQT: magnitude, binsPerOctave: c.binsPerOctave, fmin: c.fmin,
                                      chromaCount: chromaCount, norm: norm)
    }

    /// `librosa.feature.chroma_cens` (see `cens(fromChroma:smoothingLength:downsampling:)`): `frames x chromaCount`.
    public func cens(_ signal: AudioSignal, smoothingLength: Int = 41, downsampling: Int = 1,
                     threads: Int = ComputeBudget.machine.threads) throws -> FeatureSequence {
        RefrainFeatures.cens(fromChroma: try chroma(signal, norm: nil, threads: threads), smoothingLength: smoothingLength,
                             downsampling: downsampling)
    }
}
