import CSndFile
import Foundation
import RefrainMath

/// File formats Refrain writes through libsndfile.
public enum AudioFileFormat: String, Sendable, CaseIterable {
    /// WAV, signed 16-bit PCM (values clipped to [-1, 1]).
    case wav16
    /// WAV, 32-bit IEEE float.
    case wavFloat
    /// FLAC, 16-bit.
    case flac
    /// OGG/Vorbis.
    case oggVorbis
    /// MPEG-1/2 layer III (MP3), through libsndfile's LAME support.
    case mp3

    var sndfileFormat: Int32 {
        switch self {
        case .wav16: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
        case .wavFloat: return Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
        case .oggVorbis: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
        case .mp3: return Int32(SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III)
        }
    }
}

/// Writes `samples` (interleaved when `channels > 1`, frames x channels) at `sampleRate` Hz to `url`.
///
/// `compressionLevel` (0...1, lossy formats only) is libsndfile's `SFC_SET_COMPRESSION_LEVEL`: for MP3 a
/// constant bitrate of `max - level * (max - min)` kb/s (MPEG-1 at 32 kHz and above: 32-320; MPEG-2 at
/// 16-24 kHz: 8-160; MPEG-2.5 below: 8-64), for Vorbis the quality `1 - level`; nil keeps libsndfile's
/// defaults (MP3 128 kb/s at 44.1 kHz, Vorbis quality 0.4).
/// - Throws: `RefrainError.invalidArgument` for bad shapes or rates, `.io` when libsndfile refuses.
public func writeAudio(_ samples: [Float], sampleRate: Int, channels: Int = 1, format: AudioFileFormat = .wav16,
                       compressionLevel: Double? = nil, to url: URL) throws {
    guard channels >= 1, samples.count % channels == 0 else {
        throw RefrainError.invalidArgument("\(samples.count) samples do not split into \(channels) channels")
    }
    guard AudioDecoder.acceptedSampleRates.contains(sampleRate) else {
        throw RefrainError.invalidArgument("cannot write a sample rate of \(sampleRate) Hz")
    }
    guard samples.allSatisfy(\.isFinite) else { throw RefrainError.invalidArgument("cannot write non-finite samples") }
    var info = SF_INFO()
    info.samplerate = Int32(sampleRate)
    info.channels = Int32(channels)
    info.format = format.sndfileFormat
    guard sf_format_check(&info) != 0 else {
        throw RefrainError(.unsupported, "libsndfile cannot write \(format.rawValue) at \(sampleRate) Hz with \(channels) channels")
    }
    guard let file = sf_open(url.path, Int32(SFM_WRITE), &info) else {
        throw RefrainError(.io, "\(url.path): cannot write (\(String(cString: sf_strerror(nil))))")
    }
    if let compressionLevel {
        guard format == .mp3 || format == .oggVorbis, (0...1).contains(compressionLevel) else {
            sf_close(file)
            throw RefrainError.invalidArgument("a compression level (0...1) applies to MP3 and Vorbis only, got \(compressionLevel) for \(format.rawValue)")
        }
        if format == .mp3 {
            var mode = Int32(SF_BITRATE_MODE_CONSTANT)
            sf_command(file, Int32(SFC_SET_BITRATE_MODE), &mode, Int32(MemoryLayout<Int32>.size))
        }
        var level = compressionLevel
        guard sf_command(file, Int32(SFC_SET_COMPRESSION_LEVEL), &level, Int32(MemoryLayout<Double>.size)) == SF_TRUE else {
            sf_close(file)
            throw RefrainError(.unsupported, "libsndfile refused compression level \(compressionLevel) for \(format.rawValue)")
        }
    }
    if format == .wav16 || format == .flac {
        var on = Int32(SF_TRUE)  // clip instead of wrapping around
        sf_command(file, Int32(SFC_SET_CLIPPING), &on, Int32(MemoryLayout<Int32>.size))
    }
    let frames = samples.count / channels
    let written = samples.withUnsafeBufferPointer { Int(sf_writef_float(file, $0.baseAddress, sf_count_t(frames))) }
    let closeStatus = sf_close(file)
    guard written == frames, closeStatus == 0 else {
        throw RefrainError(.io, "\(url.path): wrote \(written) of \(frames) frames")
    }
}

extension AudioSignal {
    /// Writes this mono signal to `url` (sample rate rounded to whole Hz).
    public func write(to url: URL, format: AudioFileFormat = .wav16) throws {
        try writeAudio(samples, sampleRate: Int(sampleRate.rounded()), format: format, to: url)
    }
}
