import Foundation
import RefrainMath

/// A lossy codec setting, as a recording might have gone through it: MP3 (LAME, through libsndfile) at
/// a constant bitrate, or Ogg Vorbis at a quality level.
public enum LossyCodec: Codable, Equatable, Hashable, Sendable, CustomStringConvertible {
    /// MPEG-1/2 layer III at `kbps` kb/s (clamped to what the sample rate's MPEG version allows).
    case mp3(kbps: Int)
    /// Ogg Vorbis at quality `quality` (0...1; libvorbis's 0 is about 64 kb/s for 44.1 kHz stereo).
    case vorbis(quality: Double)

    public var description: String {
        switch self {
        case .mp3(let kbps): return "mp3 \(kbps) kb/s"
        case .vorbis(let quality): return String(format: "vorbis q%.2f", quality)
        }
    }

    /// The container the codec writes.
    public var format: AudioFileFormat {
        switch self {
        case .mp3: return .mp3
        case .vorbis: return .oggVorbis
        }
    }

    /// File extension of `format`.
    public var fileExtension: String {
        switch self {
        case .mp3: return "mp3"
        case .vorbis: return "ogg"
        }
    }

    /// The bitrate range (kb/s) of the MPEG version LAME uses at `sampleRate` Hz.
    public static func mp3BitrateRange(sampleRate: Int) -> ClosedRange<Int> {
        sampleRate >= 32000 ? 32...320 : sampleRate >= 16000 ? 8...160 : 8...64
    }

    /// The MP3 bitrate actually used at `sampleRate`: `kbps` clamped to the MPEG version's range.
    public func effectiveKbps(sampleRate: Int) -> Int? {
        guard case .mp3(let kbps) = self else { return nil }
        let range = Self.mp3BitrateRange(sampleRate: sampleRate)
        return min(max(kbps, range.lowerBound), range.upperBound)
    }

    /// libsndfile's compression level for this setting at `sampleRate` (see `writeAudio`).
    func compressionLevel(sampleRate: Int) -> Double {
        switch self {
        case .mp3:
            let range = Self.mp3BitrateRange(sampleRate: sampleRate), kbps = effectiveKbps(sampleRate: sampleRate)!
            // libsndfile truncates max - level * (max - min) to an integer: aim a quarter kb/s above.
            let level = (Double(range.upperBound - kbps) - 0.25) / Double(range.upperBound - range.lowerBound)
            return min(max(level, 0), 1)
        case .vorbis(let quality):
            return 1 - min(max(quality, 0), 1)
        }
    }

    /// Encodes `samples` (interleaved, `channels` channels, `sampleRate` Hz) into `url`.
    public func write(_ samples: [Float], sampleRate: Int, channels: Int, to url: URL) throws {
        try writeAudio(samples, sampleRate: sampleRate, channels: channels, format: format,
                       compressionLevel: compressionLevel(sampleRate: sampleRate), to: url)
    }

    /// Encodes and decodes again through a temporary file: what a listener of the compressed file hears,
    /// mixed to mono, at `sampleRate`, with exactly `samples.count / channels` samples (the encoder's
    /// padding removed, or zeros added where the decoder returns fewer).
    public func roundTrip(_ samples: [Float], sampleRate: Int, channels: Int = 1) throws -> AudioSignal {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("refrain-codec-\(UUID().uuidString).\(fileExtension)")
        defer { try? FileManager.default.removeItem(at: url) }
        try write(samples, sampleRate: sampleRate, channels: channels, to: url)
        var decoded = try AudioDecoder(targetSampleRate: nil).decode(url).signal
        let frames = samples.count / max(channels, 1)
        if decoded.samples.count > frames {
            decoded.samples.removeLast(decoded.samples.count - frames)
        } else if decoded.samples.count < frames {
            decoded.samples += [Float](repeating: 0, count: frames - decoded.samples.count)
        }
        return decoded
    }
}
