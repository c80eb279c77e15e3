/// Turns audio into the feature sequences the retrieval tasks use (see `RepresentationSettings`).
/// Build once (it holds the CQT kernels) and share between threads.
public final class MusicFeatures: Sendable {
    public let settings: RepresentationSettings
    let cqt: CQT
    let chroma: ChromaExtractor

    public init(settings: RepresentationSettings = RepresentationSettings()) throws {
        self.settings = settings
        cqt = try CQT(CQTConfiguration(sampleRate: settings.sampleRate, hopLength: settings.cqtHop,
                                       fmin: midiToHz(settings.cqtLowestNote), binCount: settings.cqtBins,
                                       binsPerOctave: 12))
        chroma = try ChromaExtractor(sampleRate: settings.sampleRate, hopLength: settings.chromaHop)
    }

    /// The named feature sequences of `signal` (at `settings.sampleRate`).
    ///
    /// - Parameter beats: beat times in seconds when they are known (a MIDI file's own beats); nil tracks
    ///   them in the audio (Ellis 2007, as `librosa.beat.beat_track`).
    public func analyze(_ signal: AudioSignal, beats: [Double]? = nil) throws -> [String: FeatureSequence] {
        guard signal.sampleRate == settings.sampleRate else {
            throw RefrainError.invalidArgument("features need \(settings.sampleRate) Hz audio, got \(signal.sampleRate) Hz")
        }
        guard signal.samples.count >= settings.chromaHop else {
            throw RefrainError.invalidArgument(String(format: "audio of %.2f s is too short to analyse", signal.duration))
        }
        let magnitude = try cqt.magnitude(signal)
        let cqtBeats: FeatureSequence
        if settings.cqtBlockSeconds > 0 {
            cqtBeats = try blockPooledLogCQT(magnitude, seconds: settings.cqtBlockSeconds)
        } else {
            let beatTimes = try beats ?? trackBeats(signal.samples, sampleRate: signal.sampleRate).times
            cqtBeats = try beatSynchronousLogCQT(magnitude, beatTimes: beatTimes)
        }
        let rawChroma = chroma.chroma(fromCQTMagnitude: try chroma.cqt.magnitude(signal), norm: nil)
        let censFeatures = cens(fromChroma: rawChroma, smoothingLength: settings.censSmoothing,
                                downsampling: settings.censDownsampling)
        return [FeatureName.cqtBeats: cqtBeats, FeatureName.cens: censFeatures]
    }

    /// Raffel & Ellis's representation: CQT magnitude pooled per beat (mean), in dB relative to its
    /// maximum with an 80 dB floor, shifted to be non-negative (silence is the zero vector) and
    /// L2-normalised per frame. Without usable beats (fewer than two), the frames are pooled in fixed
    /// half-second blocks instead, so a short or beatless signal still has a representation.
    func beatSynchronousLogCQT(_ magnitude: FeatureSequence, beatTimes: [Double]) throws -> FeatureSequence {
        let frameRate = settings.sampleRate / Double(settings.cqtHop)
        let frames = beatTimes.map { Int(($0 * frameRate).rounded()) }.filter { $0 > 0 && $0 < magnitude.frameCount }
        if frames.count < 2 { return try blockPooledLogCQT(magnitude, seconds: 0.5) }
        return try logCQT(pooling: magnitude, at: frames)
    }

    /// The same representation pooled over fixed blocks of `seconds` (rounded to whole CQT frames).
    func blockPooledLogCQT(_ magnitude: FeatureSequence, seconds: Double) throws -> FeatureSequence {
        let frameRate = settings.sampleRate / Double(settings.cqtHop)
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
