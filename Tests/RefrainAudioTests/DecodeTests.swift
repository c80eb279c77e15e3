import Foundation
import RefrainAudio
import RefrainMath
import RefrainTestSupport
import XCTest

/// Decoding and resampling against `librosa.load(sr=22050, res_type="soxr_hq")` of the same stereo 44.1 kHz signal
/// (fixtures from scripts/reference/audio_features.py). The test writes the files itself with libsndfile, as
/// soundfile did for the reference.
final class DecodeTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws { directory = try Fixtures.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: directory) }

    func stereo() throws -> [Float] { try NPY.read(Fixtures.url("features/stereo44k.npy")).floats() }

    func maxDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
    }

    func check(_ format: AudioFileFormat, ext: String, fixture: String, tolerance: Float) throws {
        let url = directory.appendingPathComponent("stereo.\(ext)")
        try writeAudio(try stereo(), sampleRate: 44100, channels: 2, format: format, to: url)
        let decoded = try AudioDecoder().decode(url)
        let reference = try NPY.read(Fixtures.url("features/\(fixture)")).floats()
        XCTAssertEqual(decoded.info.sampleRate, 44100)
        XCTAssertEqual(decoded.info.channels, 2)
        XCTAssertEqual(decoded.info.frames, 22050)
        XCTAssertEqual(decoded.signal.sampleRate, 22050)
        XCTAssertEqual(decoded.signal.samples.count, reference.count)
        let diff = maxDifference(decoded.signal.samples, reference)
        print("decode \(ext) [\(decoded.info.formatName)]: max |ours - librosa.load| = \(diff)")
        XCTAssertLessThanOrEqual(diff, tolerance, ext)
    }

    func testFloatWAVMatchesLibrosaLoad() throws { try check(.wavFloat, ext: "wav", fixture: "load_wav.npy", tolerance: 1e-5) }
    func testFLACMatchesLibrosaLoad() throws { try check(.flac, ext: "flac", fixture: "load_flac.npy", tolerance: 1e-5) }
    func testOggVorbisMatchesLibrosaLoad() throws { try check(.oggVorbis, ext: "ogg", fixture: "load_ogg.npy", tolerance: 1e-3) }

    /// libsndfile (1.2, with LAME and mpg123) writes an MP3 and decodes it; the result must be the signal, up to the
    /// codec's loss and a delay of at most a few thousand samples.
    func testMP3RoundTrip() throws {
        let url = directory.appendingPathComponent("tone.mp3")
        let sr = 44100
        let mono = (0..<(2 * sr)).map { i -> Float in
            let t = Float(i) / Float(sr)
            return 0.4 * sin(2 * .pi * 440 * t) * (0.6 + 0.4 * sin(2 * .pi * 1.5 * t))
        }
        try writeAudio(mono, sampleRate: sr, format: .mp3, to: url)
        let decoded = try AudioDecoder(targetSampleRate: nil).decode(url)
        XCTAssertTrue(decoded.info.formatName.contains("MPEG"), decoded.info.formatName)
        XCTAssertEqual(decoded.info.sampleRate, 44100)
        let y = decoded.signal.samples
        XCTAssertGreaterThan(y.count, sr)
        var best = (lag: 0, corr: -1.0)
        for lag in stride(from: -3000, through: 3000, by: 1) {
            var sab = 0.0, saa = 0.0, sbb = 0.0
            for i in stride(from: 5000, to: min(mono.count, y.count) - 5000, by: 7) {
                let a = Double(mono[i]), b = Double(y[i + lag])
                sab += a * b; saa += a * a; sbb += b * b
            }
            let c = sab / (saa * sbb).squareRoot()
            if c > best.corr { best = (lag, c) }
        }
        print("mp3 round trip: correlation \(best.corr) at lag \(best.lag) samples, \(y.count) frames decoded of \(mono.count)")
        XCTAssertGreaterThan(best.corr, 0.99)
    }

    func testDecodeFromMemoryEqualsDecodeFromFile() throws {
        for (format, ext) in [(AudioFileFormat.wav16, "wav"), (.flac, "flac"), (.oggVorbis, "ogg"), (.mp3, "mp3")] {
            let url = directory.appendingPathComponent("mem.\(ext)")
            try writeAudio(try stereo(), sampleRate: 44100, channels: 2, format: format, to: url)
            let fromFile = try AudioDecoder().decode(url)
            let fromData = try AudioDecoder().decode(data: try Data(contentsOf: url), name: "upload.\(ext)")
            XCTAssertEqual(fromFile, fromData, ext)
        }
    }

    /// Files of at least `AudioDecoder.parallelFrames` frames in WAV or FLAC are read as two halves on two
    /// threads; the result must equal the one-pass read (the in-memory decoder always reads in one pass).
    func testLongFilesReadInHalvesEqualOnePass() throws {
        let frames = AudioDecoder.parallelFrames + 12345
        let stereo: [Float] = (0..<(2 * frames)).map { i in
            let t = Double(i)
            return Float(0.5 * sin(t * 0.0123) + 0.01 * sin(t * 1.7))
        }
        for (format, ext) in [(AudioFileFormat.wav16, "wav"), (.wavFloat, "wav"), (.flac, "flac")] {
            let url = directory.appendingPathComponent("long.\(ext)")
            try writeAudio(stereo, sampleRate: 44100, channels: 2, format: format, to: url)
            let halves = try AudioDecoder(targetSampleRate: nil).decode(url)
            let onePass = try AudioDecoder(targetSampleRate: nil).decode(data: try Data(contentsOf: url), name: ext)
            XCTAssertEqual(halves.signal.samples.count, frames, "\(format)")
            XCTAssertEqual(halves.signal.samples, onePass.signal.samples, "\(format)")
        }
    }

    /// A long WAV or FLAC cut short: the two-halves reader refuses it when the one-pass reader does (both
    /// with a one-line error naming the file; the wording may differ, as the halves meet the damage from
    /// another position), and returns the same samples where libsndfile trims the claimed length to the file.
    func testTruncatedLongFilesReadAsInOnePass() throws {
        let frames = AudioDecoder.parallelFrames + 1000
        let stereo: [Float] = (0..<(2 * frames)).map { i in Float(0.25 * sin(Double(i) * 0.01)) }
        for (format, ext) in [(AudioFileFormat.wav16, "wav"), (.flac, "flac")] {
            let url = directory.appendingPathComponent("cut.\(ext)")
            try writeAudio(stereo, sampleRate: 44100, channels: 2, format: format, to: url)
            let bytes = try Data(contentsOf: url)
            try bytes.prefix(bytes.count * 3 / 4).write(to: url)
            let halves = Result { try AudioDecoder(targetSampleRate: nil).decode(url).signal.samples }
            let onePass = Result { try AudioDecoder(targetSampleRate: nil).decode(data: try Data(contentsOf: url), name: url.path).signal.samples }
            switch (halves, onePass) {
            case (.success(let a), .success(let b)):
                XCTAssertEqual(a, b, ext)
                XCTAssertLessThan(a.count, frames, ext)
            case (.failure(let a), .failure(let b)):
                for message in ["\(a)", "\(b)"] {
                    XCTAssertTrue(message.contains(url.path), message)
                    XCTAssertFalse(message.contains("\n"), message)
                }
            default:
                XCTFail("\(ext): two halves \(halves), one pass \(onePass)")
            }
        }
    }

    /// 16-bit PCM is read as integers and mixed here: the result must be libsndfile's float reading to the bit,
    /// `a / 32768` for one channel and the mean of `a / 32768` and `b / 32768` for two, extremes included.
    func testPCM16IsReadExactly() throws {
        var state: UInt32 = 99
        let frames = 1003  // not a multiple of the eight frames converted at a time
        for channels in [1, 2] {
            var values = (0..<(frames * channels)).map { _ -> Int16 in
                state = state &* 1_664_525 &+ 1_013_904_223
                return Int16(truncatingIfNeeded: state >> 16)
            }
            values[0] = .min; values[channels] = .max; values[2 * channels] = -1
            if channels == 2 { values[1] = .min; values[3] = .max; values[5] = 1 }
            let url = directory.appendingPathComponent("pcm16-\(channels).wav")
            try wav16(values, channels: channels).write(to: url)
            let decoded = try AudioDecoder(targetSampleRate: nil).decode(url)
            XCTAssertEqual(decoded.signal.samples.count, frames)
            for f in 0..<frames {
                let expected = channels == 1
                    ? Float(values[f]) / 32768
                    : (Float(values[2 * f]) / 32768 + Float(values[2 * f + 1]) / 32768) * 0.5
                XCTAssertEqual(decoded.signal.samples[f], expected, "\(channels) channel(s), frame \(f)")
            }
        }
    }

    /// A canonical 44-byte-header WAV of 16-bit samples at 44.1 kHz.
    private func wav16(_ samples: [Int16], channels: Int) -> Data {
        var data = Data()
        func u32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func u16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); u32(36 + 2 * samples.count)
        data.append(contentsOf: Array("WAVEfmt ".utf8)); u32(16); u16(1); u16(channels); u32(44100)
        u32(44100 * 2 * channels); u16(2 * channels); u16(16)
        data.append(contentsOf: Array("data".utf8)); u32(2 * samples.count)
        for v in samples { withUnsafeBytes(of: v.littleEndian) { data.append(contentsOf: $0) } }
        return data
    }

    func testResampleLengthAndIdentity() throws {
        let x = (0..<1001).map { Float(sin(Double($0) * 0.01)) }
        XCTAssertEqual(try resample(x, from: 44100, to: 22050).count, 501)
        XCTAssertEqual(try resample(x, from: 22050, to: 44100).count, 2002)
        XCTAssertEqual(try resample(x, from: 8000, to: 8000), x)
        XCTAssertThrowsError(try resample(x, from: 0, to: 8000))
        XCTAssertThrowsError(try resample(x, from: 1, to: 1e6))
    }

    func testWAV16WriteReadRoundTrip() throws {
        let url = directory.appendingPathComponent("w16.wav")
        let x: [Float] = [0, 0.5, -0.5, 1.5, -1.5, 0.25]
        try AudioSignal(samples: x, sampleRate: 16000).write(to: url)
        let back = try AudioDecoder(targetSampleRate: nil).decode(url)
        XCTAssertEqual(back.signal.sampleRate, 16000)
        XCTAssertEqual(back.signal.samples.count, 6)
        XCTAssertEqual(back.signal.samples[1], 0.5, accuracy: 1e-4)
        XCTAssertEqual(back.signal.samples[3], 1, accuracy: 1e-4)  // clipped, not wrapped
        XCTAssertEqual(back.signal.samples[4], -1, accuracy: 1e-4)
    }
}

final class ParallelResampleTests: XCTestCase {
    /// The two-thread split gives the one-pass result (to rounding), for a whole and a fractional rate ratio.
    func testSplitEqualsOnePass() throws {
        for n in [1_200_001, 300_007] {
        var state: UInt32 = 12345
        let x = (0..<n).map { i -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return 0.3 * sin(Float(i) * 0.01) + Float(state >> 8) / Float(1 << 24) * 0.1 - 0.05
        }
        for (from, to) in [(44100.0, 22050.0), (48000.0, 22050.0), (4.0, 1.0), (2.0, 1.0)] {
            let split = try resample(x, from: from, to: to)
            let single = try resample(x, from: from, to: to, threads: 1)
            XCTAssertEqual(split.count, single.count)
            let diff = zip(split, single).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
            print("parallel resample of \(n) samples \(from) -> \(to): max |split - one pass| = \(diff)")
            XCTAssertLessThanOrEqual(diff, 1e-5)
        }
        }
    }
}
