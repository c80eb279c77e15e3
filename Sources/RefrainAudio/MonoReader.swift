import CSndFile
import RefrainMath

/// Reads a file's frames in chunks and mixes them to mono (the mean of the channels, librosa's `to_mono`),
/// refusing non-finite samples. One per thread: it owns its chunk buffer.
///
/// 16-bit PCM in one or two channels, the usual CD-rate file, is read as integers and converted here, eight
/// frames at a time: `(a + b) / 65536` is exact in Float32 and equals libsndfile's `a / 32768` and `b / 32768`
/// averaged, so the result is the same to the bit, and no finiteness check is needed. Other encodings go
/// through libsndfile's own float conversion.
struct MonoReader {
    static let chunkFrames = 1 << 14
    let channels: Int
    /// Read as 16-bit integers (PCM_16 in one or two channels).
    let integers: Bool
    private var floats: [Float]
    private var shorts: [Int16]

    /// `format` is libsndfile's `SF_INFO.format` of the file.
    init(channels: Int, format: Int32) {
        self.channels = channels
        integers = (format & Int32(SF_FORMAT_SUBMASK)) == Int32(SF_FORMAT_PCM_16) && channels <= 2
        floats = integers ? [] : [Float](repeating: 0, count: Self.chunkFrames * channels)
        shorts = integers ? [Int16](repeating: 0, count: Self.chunkFrames * channels) : []
    }

    /// Reads up to `frames` (at most `chunkFrames`) frames of `file` into `dst` as mono; returns how many
    /// (0 at the end). `firstFrame` is the file position of the first one, for error messages.
    mutating func read(_ file: OpaquePointer, into dst: UnsafeMutablePointer<Float>, frames: Int, firstFrame: Int,
                       name: String) throws -> Int {
        precondition(frames <= Self.chunkFrames)
        if integers { return readIntegers(file, into: dst, frames: frames) }
        let channels = channels
        let got = floats.withUnsafeMutableBufferPointer { Int(sf_readf_float(file, $0.baseAddress, sf_count_t(frames))) }
        guard got > 0 else { return 0 }
        let finite = floats.withUnsafeBufferPointer { b in
            if channels == 1 {
                for f in 0..<got { dst[f] = b[f] }
            } else if channels == 2 {
                for f in 0..<got { dst[f] = (b[2 * f] + b[2 * f + 1]) * 0.5 }
            } else {
                let scale = 1 / Float(channels)
                for f in 0..<got {
                    var sum: Float = 0
                    for c in 0..<channels { sum += b[f * channels + c] }
                    dst[f] = sum * scale
                }
            }
            // x - x is 0 for finite x and NaN for NaN or Inf; one sum checks the whole chunk.
            var probe: Float = 0
            for f in 0..<got { probe += dst[f] - dst[f] }
            return probe == 0
        }
        if !finite {
            let bad = (0..<got).first { !dst[$0].isFinite } ?? 0
            throw RefrainError.invalidFile(name, "non-finite sample (NaN or Inf) at frame \(firstFrame + bad)")
        }
        return got
    }

    private mutating func readIntegers(_ file: OpaquePointer, into dst: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let stereo = channels == 2
        return shorts.withUnsafeMutableBufferPointer { b in
            let got = Int(sf_readf_short(file, b.baseAddress, sf_count_t(frames)))
            guard got > 0 else { return 0 }
            let source = UnsafeRawPointer(b.baseAddress!), out = UnsafeMutableRawPointer(dst)
            var f = 0
            if stereo {
                let scale = SIMD8<Float>(repeating: 1.0 / 65536)
                while f + 8 <= got {
                    let pair = source.loadUnaligned(fromByteOffset: 4 * f, as: SIMD16<Int16>.self)
                    let sum = SIMD8<Int32>(truncatingIfNeeded: pair.evenHalf) &+ SIMD8<Int32>(truncatingIfNeeded: pair.oddHalf)
                    out.storeBytes(of: SIMD8<Float>(sum) * scale, toByteOffset: 4 * f, as: SIMD8<Float>.self)
                    f += 8
                }
                while f < got { dst[f] = Float(Int32(b[2 * f]) + Int32(b[2 * f + 1])) * (1.0 / 65536); f += 1 }
            } else {
                let scale = SIMD8<Float>(repeating: 1.0 / 32768)
                while f + 8 <= got {
                    let v = source.loadUnaligned(fromByteOffset: 2 * f, as: SIMD8<Int16>.self)
                    out.storeBytes(of: SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: v)) * scale, toByteOffset: 4 * f, as: SIMD8<Float>.self)
                    f += 8
                }
                while f < got { dst[f] = Float(b[f]) * (1.0 / 32768); f += 1 }
            }
            return got
        }
    }
}
