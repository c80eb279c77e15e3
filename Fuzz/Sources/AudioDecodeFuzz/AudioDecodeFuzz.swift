import Foundation
import FuzzDriver
import RefrainAudio

/// Where each input is also written, to be decoded from a path as `refrain` does with a user's file.
private let scratch = FileManager.default.temporaryDirectory
    .appendingPathComponent("refrain-audio-fuzz-\(ProcessInfo.processInfo.processIdentifier)")

/// libFuzzer entry point: any bytes, from memory (an upload) or from a file, must give finite mono audio at
/// 22050 Hz or a `RefrainError`, never a crash or a hang.
@_cdecl("LLVMFuzzerTestOneInput")
public func audioDecodeFuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(bytes: data, count: size)
    let decoder = AudioDecoder(targetSampleRate: 22050, maximumDuration: 120)
    var results = [try? decoder.decode(data: bytes, name: "fuzz")]
    if (try? bytes.write(to: scratch)) != nil { results.append(try? decoder.decode(scratch)) }
    for case let audio? in results {
        precondition(audio.signal.sampleRate == 22050, "decoded audio is not at the requested rate")
        precondition(!audio.signal.samples.isEmpty, "decoded audio is empty instead of an error")
        precondition(audio.signal.samples.allSatisfy(\.isFinite), "decoded audio has non-finite samples")
    }
    return 0
}

/// Writes short files in every format Refrain reads (16-bit and float WAV, FLAC, Ogg Vorbis, MP3; mono and
/// stereo; 8, 22.05 and 44.1 kHz) into `folder`: the seeds a fuzzing run mutates.
func writeSeeds(to folder: String) -> CInt {
    let formats: [(AudioFileFormat, String)] = [(.wav16, "wav"), (.wavFloat, "wav"), (.flac, "flac"), (.oggVorbis, "ogg"), (.mp3, "mp3")]
    for (format, ext) in formats {
        for (rate, channels) in [(8000, 1), (22050, 2), (44100, 2)] {
            let frames = rate / 20
            let samples = (0..<(frames * channels)).map { Float(0.4 * sin(Double($0) * 0.05)) }
            let url = URL(fileURLWithPath: "\(folder)/seed-\(rate)-\(channels).\(format).\(ext)")
            do { try writeAudio(samples, sampleRate: rate, channels: channels, format: format, to: url) } catch {
                // A format this libsndfile cannot write (MP3 before 1.1) is simply not seeded.
                continue
            }
        }
    }
    return 0
}

/// `AudioDecodeFuzz --seeds DIR` writes the seed files; anything else goes to libFuzzer's driver.
@_cdecl("AudioDecodeFuzz_main")
public func harnessMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    fuzzMain(argc, argv, writeSeeds: writeSeeds(to:)) { data, size in audioDecodeFuzz(data, size) }
}
