import Foundation
import RefrainMath

/// How a recording reached the listener: room, equalisation, band limit, background noise, sample rate,
/// channels and lossy codec. A plain value (JSON-serialisable, printable) that `ConditionSampler` draws
/// and `render`, `apply` or `write` carry out on a signal. Every random part is seeded, so a description
/// reproduces its audio.
///
/// Processing order: resample to `sampleRate`; per channel, the room (convolution with a synthetic
/// impulse response, a different tail per channel), the equaliser bands, the low-pass; noise at
/// `noise.snrDB` relative to the processed signal (a different noise per channel); a gain that brings
/// peaks down to -1 dBFS when they exceed it; then the codec.
public struct AudioCondition: Codable, Equatable, Sendable, CustomStringConvertible {
    /// Background noise: kind, signal-to-noise ratio in dB, seed.
    public struct Noise: Codable, Equatable, Sendable {
        public var kind: NoiseKind
        public var snrDB: Double
        public var seed: UInt64
        public init(kind: NoiseKind, snrDB: Double, seed: UInt64 = 1) {
            self.kind = kind
            self.snrDB = snrDB
            self.seed = seed
        }
    }

    /// One equaliser band (RBJ cookbook biquads): shelves take `hz` as their corner, peaks as their centre.
    public struct Band: Codable, Equatable, Sendable {
        public enum Shape: String, Codable, Sendable { case lowShelf = "low-shelf", highShelf = "high-shelf", peaking }
        public var shape: Shape
        public var hz: Double
        public var gainDB: Double
        /// Bandwidth of a peak (ignored by shelves).
        public var q: Double
        public init(_ shape: Shape, hz: Double, gainDB: Double, q: Double = 1) {
            self.shape = shape
            self.hz = hz
            self.gainDB = gainDB
            self.q = q
        }

        func filter(sampleRate: Double) throws -> Biquad {
            switch shape {
            case .lowShelf: return try .lowShelf(hz: hz, gainDB: gainDB, sampleRate: sampleRate)
            case .highShelf: return try .highShelf(hz: hz, gainDB: gainDB, sampleRate: sampleRate)
            case .peaking: return try .peaking(hz: hz, gainDB: gainDB, q: q, sampleRate: sampleRate)
            }
        }
    }

    public var room: RoomImpulseResponse?
    public var equalizer: [Band]
    /// Corner of a 4th-order Butterworth-like low-pass (two cascaded cookbook sections), Hz.
    public var lowPassHz: Double?
    public var noise: Noise?
    public var codec: LossyCodec?
    /// Output sample rate, Hz.
    public var sampleRate: Int
    /// 1 (mono) or 2 (stereo).
    public var channels: Int

    public init(sampleRate: Int = 22050, channels: Int = 1, room: RoomImpulseResponse? = nil, equalizer: [Band] = [],
                lowPassHz: Double? = nil, noise: Noise? = nil, codec: LossyCodec? = nil) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.room = room
        self.equalizer = equalizer
        self.lowPassHz = lowPassHz
        self.noise = noise
        self.codec = codec
    }

    /// One line: rate, channels and every effect with its parameters.
    public var description: String {
        var parts = ["\(sampleRate) Hz \(channels == 1 ? "mono" : "stereo")"]
        if let room { parts.append(String(format: "room RT60 %.2f s DRR %+.0f dB", room.rt60, room.directToReverberantDB)) }
        for band in equalizer { parts.append(String(format: "%@ %.0f Hz %+.1f dB", band.shape.rawValue, band.hz, band.gainDB)) }
        if let lowPassHz { parts.append(String(format: "low-pass %.0f Hz", lowPassHz)) }
        if let noise { parts.append(String(format: "%@ noise %.1f dB SNR", noise.kind.rawValue, noise.snrDB)) }
        parts.append(codec.map { "\($0)" } ?? "pcm")
        return parts.joined(separator: ", ")
    }

    /// Sorted-key JSON of this description.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// The processed channels (each `ceil(duration * sampleRate)` samples plus the room's tail, cut back to
    /// the input's duration), before the codec.
    public func render(_ signal: AudioSignal) throws -> [[Float]] {
        guard (1...2).contains(channels) else { throw RefrainError.invalidArgument("a condition has 1 or 2 channels, got \(channels)") }
        guard AudioDecoder.acceptedSampleRates.contains(sampleRate), (8000...192_000).contains(sampleRate) else {
            throw RefrainError.invalidArgument("condition sample rate must be 8000...192000 Hz, got \(sampleRate)")
        }
        guard !signal.samples.isEmpty else { throw RefrainError.invalidArgument("cannot apply a condition to an empty signal") }
        let rate = Double(sampleRate)
        let input = try resample(signal.samples, from: signal.sampleRate, to: rate)
        var filters = try equalizer.map { try $0.filter(sampleRate: rate) }
        if let lowPassHz {
            guard lowPassHz < rate / 2 else {
                throw RefrainError.invalidArgument("low-pass at \(lowPassHz) Hz is above the Nyquist frequency of \(sampleRate) Hz")
            }
            // Q values of a 4th-order Butterworth as two second-order sections.
            filters += try [0.5412, 1.3066].map { try Biquad.lowPass(hz: lowPassHz, q: $0, sampleRate: rate) }
        }
        var out: [[Float]] = []
        for channel in 0..<channels {
            var x = input
            if var room {
                room.seed = room.seed &+ UInt64(channel) &* 0x51ED
                x = Array(try FFTConvolver(kernel: room.samples(sampleRate: rate)).convolve(x).prefix(input.count))
            }
            for filter in filters { filter.apply(to: &x) }
            if let noise {
                let n = try NoiseGenerator.noise(noise.kind, count: x.count, sampleRate: rate,
                                                 seed: noise.seed &+ UInt64(channel) &* 0x9E37)
                x = try NoiseGenerator.mix(x, noise: n, snrDB: noise.snrDB)
            }
            out.append(x)
        }
        let peak = out.reduce(Float(0)) { max($0, $1.reduce(0) { max($0, abs($1)) }) }
        let ceiling = Float(pow(10, -1.0 / 20))
        if peak > ceiling {
            let gain = ceiling / peak
            for c in out.indices { for i in out[c].indices { out[c][i] *= gain } }
        }
        return out
    }

    /// Writes the conditioned signal to `base` with the extension of its container (`.mp3`, `.ogg`, or
    /// `.wav` 16-bit PCM without a codec) and returns that URL.
    @discardableResult
    public func write(_ signal: AudioSignal, to base: URL) throws -> URL {
        let channelsOut = try render(signal)
        let interleaved = Self.interleave(channelsOut)
        if let codec {
            let url = base.appendingPathExtension(codec.fileExtension)
            try codec.write(interleaved, sampleRate: sampleRate, channels: channels, to: url)
            return url
        }
        let url = base.appendingPathExtension("wav")
        try writeAudio(interleaved, sampleRate: sampleRate, channels: channels, format: .wav16, to: url)
        return url
    }

    /// The signal as a listener would decode it: conditioned, through the codec (when there is one), mixed
    /// to mono, at `sampleRate`.
    public func apply(to signal: AudioSignal) throws -> AudioSignal {
        let channelsOut = try render(signal)
        if let codec { return try codec.roundTrip(Self.interleave(channelsOut), sampleRate: sampleRate, channels: channels) }
        let n = channelsOut[0].count
        var mono = [Float](repeating: 0, count: n)
        for c in channelsOut { for i in 0..<n { mono[i] += c[i] / Float(channelsOut.count) } }
        return AudioSignal(samples: mono, sampleRate: Double(sampleRate))
    }

    static func interleave(_ channels: [[Float]]) -> [Float] {
        guard channels.count > 1 else { return channels.first ?? [] }
        let n = channels[0].count, k = channels.count
        var out = [Float](repeating: 0, count: n * k)
        for c in 0..<k { for i in 0..<n { out[i * k + c] = channels[c][i] } }
        return out
    }
}
