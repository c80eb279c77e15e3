import Foundation
import Refrain

/// A minimal RIFF/WAVE writer (mono, 16-bit PCM) for `refrain midi render`. Kept deliberately small; the
/// libsndfile writer in RefrainAudio can replace it.
enum MinimalWAVWriter {
    /// Writes `samples` (nominally -1...1, clipped) as 16-bit PCM mono at `sampleRate` Hz.
    static func write(_ samples: [Float], sampleRate: Int, to url: URL) throws {
        let dataBytes = samples.count * 2
        guard dataBytes <= Int(UInt32.max) - 36 else { throw RefrainError.invalidArgument("audio too long for a WAV file") }
        var out = Data(capacity: 44 + dataBytes)
        func u32(_ v: Int) { var x = UInt32(v).littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
        func u16(_ v: Int) { var x = UInt16(v).littleEndian; withUnsafeBytes(of: &x) { out.append(contentsOf: $0) } }
        out.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes); out.append(contentsOf: Array("WAVE".utf8))
        out.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(1); u32(sampleRate); u32(sampleRate * 2); u16(2); u16(16)
        out.append(contentsOf: Array("data".utf8)); u32(dataBytes)
        var pcm = [Int16](repeating: 0, count: samples.count)
        for i in samples.indices { pcm[i] = Int16((max(-1, min(1, samples[i])) * 32767).rounded()).littleEndian }
        pcm.withUnsafeBytes { out.append(contentsOf: $0) }
        do { try out.write(to: url) } catch { throw RefrainError(.io, "\(url.path): cannot write (\(error.localizedDescription))") }
    }
}
