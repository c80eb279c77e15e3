import RefrainMath

/// Mono audio: `samples` in [-1, 1] (nominally) at `sampleRate` Hz.
public struct AudioSignal: Equatable, Sendable {
    /// One value per sample, mono.
    public var samples: [Float]
    /// Samples per second (Hz).
    public var sampleRate: Double

    public init(samples: [Float], sampleRate: Double) {
        self.samples = samples
        self.sampleRate = sampleRate
    }

    /// Length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(samples.count) / sampleRate : 0 }
}

/// What a decoded file was before mixing and resampling.
public struct AudioInfo: Equatable, Sendable {
    /// The file's own sample rate (Hz).
    public var sampleRate: Double
    /// Channels in the file (mixed to mono on decoding).
    public var channels: Int
    /// Frames decoded (one frame = one sample per channel), at `sampleRate`.
    public var frames: Int
    /// Container and encoding as libsndfile names them, e.g. "WAV (Microsoft) / Signed 16 bit PCM".
    public var formatName: String

    /// Decoded length in seconds.
    public var duration: Double { sampleRate > 0 ? Double(frames) / sampleRate : 0 }

    public init(sampleRate: Double, channels: Int, frames: Int, formatName: String) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = frames
        self.formatName = formatName
    }
}

/// A decoded file: the mono signal at the requested rate and what the file held.
public struct DecodedAudio: Equatable, Sendable {
    public var signal: AudioSignal
    public var info: AudioInfo

    public init(signal: AudioSignal, info: AudioInfo) {
        self.signal = signal
        self.info = info
    }
}
