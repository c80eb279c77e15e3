import CSndFile
import Foundation
import RefrainMath

/// Decodes audio files (WAV, FLAC, OGG/Vorbis, OGG/Opus, MP3, AIFF and the other formats libsndfile
/// reads) to a mono signal at a chosen rate: channels are averaged (librosa's `to_mono`), then the signal
/// is resampled with soxr at high quality (see `resample(_:from:to:)`).
///
/// Bad input never crashes or hangs: a missing, empty, unreadable, truncated, non-finite, absurd or
/// over-long file throws a `RefrainError` whose message names the problem in one line. Files cut short are
/// found by their containers (`ContainerLength`, `MPEGStream`), since libsndfile decodes most of them as
/// shorter recordings; a variable-bitrate MP3 whose length libsndfile underestimates is repaired in memory.
public struct AudioDecoder: Sendable {
    /// Output sample rate in Hz (default 22050, the rate of most MIR features); nil keeps the file's rate.
    public var targetSampleRate: Double?
    /// Longest accepted input, in seconds (default 3 hours); longer input throws instead of filling memory.
    public var maximumDuration: Double
    /// Accepted file sample rates (Hz).
    public static let acceptedSampleRates: ClosedRange<Int> = 1000...768_000
    /// Accepted channel counts.
    public static let acceptedChannels: ClosedRange<Int> = 1...64

    /// Threads decoding and resampling may use (`ComputeBudget`): long PCM and FLAC files are read as two
    /// halves at once, and long signals resampled in two halves, when this is 2 or more.
    public var threads: Int

    public init(targetSampleRate: Double? = 22050, maximumDuration: Double = 3 * 3600,
                threads: Int = ComputeBudget.machine.threads) {
        self.targetSampleRate = targetSampleRate
        self.maximumDuration = maximumDuration
        self.threads = max(1, threads)
    }

    /// For executables: from now on, C stdio's `stderr` points at `/dev/null` while data that libsndfile may
    /// hand to its MP3 decoder is opened and read (MP3, or anything it does not recognise by its first bytes), so
    /// that libmpg123's "Note: Illegal Audio-MPEG-Header" lines do not break one-line errors. It changes the
    /// whole process (C `stderr` is global); library code must not call it.
    public static func silenceMPEGDecoderNotes() { MPEGNoiseSilencer.isEnabled = true }

    /// Decodes the file at `url`.
    public func decode(_ url: URL) throws -> DecodedAudio {
        let path = url.path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw RefrainError.fileNotFound(path)
        }
        guard !isDirectory.boolValue else { throw RefrainError.invalidFile(path, "is a directory, not an audio file") }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? nil
        if size == 0 { throw RefrainError.invalidFile(path, "empty file") }
        let source = ByteSource(url: url)
        return try MPEGNoiseSilencer.run(silenced: MPEGNoiseSilencer.mayReachMPEGDecoder(source?.bytes(at: 0, count: 4) ?? [])) {
            var info = SF_INFO()
            guard let file = sf_open(path, Int32(SFM_READ), &info) else {
                throw RefrainError.invalidFile(path, openFailure())
            }
            defer { sf_close(file) }
            switch try inspect(source, info: info, name: path) {
            case .repaired(let bytes):
                return try decodeMemory(bytes, name: path, inspecting: false)
            case .intact(let exactMPEGLength):
                return try read(file, info: info, name: path, exactMPEGLength: exactMPEGLength) {
                    var again = SF_INFO()
                    return sf_open(path, Int32(SFM_READ), &again)
                }
            }
        }
    }

    /// Decodes an encoded file held in memory (e.g. an HTTP upload) through libsndfile's virtual I/O.
    /// `name` only labels error messages.
    public func decode(data: Data, name: String = "audio data") throws -> DecodedAudio {
        guard !data.isEmpty else { throw RefrainError.invalidFile(name, "empty file") }
        return try decodeMemory([UInt8](data), name: name, inspecting: true)
    }

    private func decodeMemory(_ bytes: [UInt8], name: String, inspecting: Bool) throws -> DecodedAudio {
        let source = MemorySource(bytes)
        var io = MemorySource.virtualIO
        var info = SF_INFO()
        let opaque = Unmanaged.passUnretained(source).toOpaque()
        return try withExtendedLifetime(source) {
            try MPEGNoiseSilencer.run(silenced: MPEGNoiseSilencer.mayReachMPEGDecoder(bytes.prefix(4))) {
                guard let file = sf_open_virtual(&io, Int32(SFM_READ), &info, opaque) else {
                    throw RefrainError.invalidFile(name, openFailure())
                }
                defer { sf_close(file) }
                // A repaired file announces the walked length, an estimate of what libmpg123 will decode.
                let inspection = inspecting ? try inspect(ByteSource(bytes: bytes), info: info, name: name)
                                            : .intact(exactMPEGLength: false)
                switch inspection {
                case .repaired(let repaired):
                    return try decodeMemory(repaired, name: name, inspecting: false)
                case .intact(let exactMPEGLength):
                    return try read(file, info: info, name: name, exactMPEGLength: exactMPEGLength)
                }
            }
        }
    }

    /// What the container checks found in a file libsndfile opened.
    private enum Inspection {
        /// Whole as far as its container tells; `exactMPEGLength` when an MPEG file announces its length.
        case intact(exactMPEGLength: Bool)
        /// An MPEG file whose length libsndfile would underestimate, with a Xing frame that announces it.
        case repaired([UInt8])
    }

    /// Reads the container beside libsndfile (see `ContainerLength` and `MPEGStream`): throws for a file cut
    /// short; returns the repaired bytes of an MPEG file whose end libsndfile would not read.
    private func inspect(_ source: ByteSource?, info: SF_INFO, name: String) throws -> Inspection {
        guard let source else { return .intact(exactMPEGLength: false) }
        if let reason = ContainerLength.truncation(in: source) {
            throw RefrainError.invalidFile(name, "truncated: \(reason)")
        }
        guard (info.format & Int32(SF_FORMAT_TYPEMASK)) == Int32(SF_FORMAT_MPEG),
              let stream = MPEGStream.scan(source) else { return .intact(exactMPEGLength: false) }
        let claimed = Int(info.frames)
        let tolerance = max(2 * stream.first.sampleCount, claimed / 100)
        if claimed < Int(Int64.max / 2) && stream.sampleCount > claimed + tolerance,
           stream.frameCount <= Int(UInt32.max), let repaired = stream.withLengthHeader(source.all()) {
            return .repaired(repaired)
        }
        return .intact(exactMPEGLength: stream.hasLengthHeader)
    }

    /// Reads the whole of `file` as mono. `reopen` opens a second handle on the same file: a long file whose
    /// format seeks to exact frames is then read as two halves on two threads.
    /// `exactMPEGLength`: the length libsndfile reports for an MPEG file is announced by the file, not
    /// estimated, and the file must deliver it (to within two frames).
    private func read(_ file: OpaquePointer, info: SF_INFO, name: String, exactMPEGLength: Bool,
                      reopen: (() -> OpaquePointer?)? = nil) throws -> DecodedAudio {
        let channels = Int(info.channels), rate = Int(info.samplerate)
        guard Self.acceptedChannels.contains(channels) else {
            throw RefrainError.invalidFile(name, "unsupported channel count \(channels) (accepted: \(Self.acceptedChannels.lowerBound)-\(Self.acceptedChannels.upperBound))")
        }
        guard Self.acceptedSampleRates.contains(rate) else {
            throw RefrainError.invalidFile(name, "implausible sample rate \(rate) Hz (accepted: \(Self.acceptedSampleRates.lowerBound)-\(Self.acceptedSampleRates.upperBound) Hz)")
        }
        let maxFrames = Int(maximumDuration * Double(rate))
        let claimed = Int(info.frames)
        // A claim beyond the limit is refused up front; libsndfile reports `SF_COUNT_MAX` for unknown lengths.
        if claimed > maxFrames && claimed < Int(Int64.max / 2) {
            throw RefrainError.invalidFile(name, String(format: "claims %.0f s of audio, more than the limit of %.0f s", Double(claimed) / Double(rate), maximumDuration))
        }
        var mono: [Float]
        var count = 0
        if let reopen, threads > 1, let halves = Self.parallelHalves(info: info, maxFrames: maxFrames) {
            // Exactly `claimed` frames are expected; fewer are reported as truncation below.
            // Every frame is written by the readers; what a truncated file leaves unwritten is cut off below.
            mono = [Float](unsafeUninitializedCapacity: claimed) { _, initialized in initialized = claimed }
            count = try readHalves(file, reopen: reopen, halves: halves, channels: channels, format: info.format,
                                   into: &mono, name: name)
        } else {
            // Never trust the header for the allocation: grow with what is actually decoded.
            mono = [Float](repeating: 0, count: min(max(claimed, 0), maxFrames, 1 << 24))
            var reader = MonoReader(channels: channels, format: info.format)
            var spare = [Float]()
            while true {
                let got: Int
                if count < mono.count {
                    let room = min(MonoReader.chunkFrames, mono.count - count)
                    got = try mono.withUnsafeMutableBufferPointer {
                        try reader.read(file, into: $0.baseAddress! + count, frames: room, firstFrame: count, name: name)
                    }
                } else {
                    // Full: a chunk is read aside first, so the array grows only if the file goes on.
                    if spare.isEmpty { spare = [Float](repeating: 0, count: MonoReader.chunkFrames) }
                    got = try spare.withUnsafeMutableBufferPointer {
                        try reader.read(file, into: $0.baseAddress!, frames: MonoReader.chunkFrames, firstFrame: count, name: name)
                    }
                    if got > 0 { mono += spare[0..<got] }
                }
                if got <= 0 { break }
                guard count + got <= maxFrames else {
                    throw RefrainError.invalidFile(name, String(format: "longer than the limit of %.0f s", maximumDuration))
                }
                count += got
            }
        }
        mono.removeLast(mono.count - count)
        let readError = sf_error(file)
        if readError != 0 {
            throw RefrainError.invalidFile(name, "decoding failed after \(count) frames (\(String(cString: sf_strerror(file))))")
        }
        guard !mono.isEmpty else { throw RefrainError.invalidFile(name, "contains no decodable audio samples (empty, truncated or damaged)") }
        // Formats with an exact length in their header must deliver it; MPEG files only when they announce
        // theirs (otherwise it is an estimate), and to within two frames (2304 samples).
        let isMPEG = (info.format & Int32(SF_FORMAT_TYPEMASK)) == Int32(SF_FORMAT_MPEG)
        let slack = isMPEG ? 2304 : 0
        if (!isMPEG || exactMPEGLength) && claimed > 0 && claimed < Int(Int64.max / 2) && mono.count + slack < claimed {
            throw RefrainError.invalidFile(name, "truncated: the header announces \(claimed) frames but only \(mono.count) could be decoded")
        }
        let formatName = Self.formatName(info.format)
        let fileInfo = AudioInfo(sampleRate: Double(rate), channels: channels, frames: mono.count, formatName: formatName)
        var signal = AudioSignal(samples: mono, sampleRate: Double(rate))
        if let target = targetSampleRate, target != signal.sampleRate {
            signal = try signal.resampled(to: target, threads: threads)
            // Finite float samples can still be too large to filter (a damaged or hostile float file).
            guard allFinite(signal.samples) else {
                throw RefrainError.invalidFile(name, "sample values too large to resample (beyond the range of Float32 once filtered)")
            }
        }
        return DecodedAudio(signal: signal, info: fileInfo)
    }

    /// Files at least this long (frames) are read as two halves at once, when the format allows it.
    public static let parallelFrames = 1 << 20

    /// Where to split a file for reading on two threads: containers whose seeks land on exact frames
    /// (uncompressed PCM and float in WAV, AIFF, W64, RF64, CAF; FLAC) with a trustworthy length; nil otherwise.
    static func parallelHalves(info: SF_INFO, maxFrames: Int) -> (Range<Int>, Range<Int>)? {
        let frames = Int(info.frames)
        guard frames >= parallelFrames, frames <= maxFrames,
              info.seekable != 0 else { return nil }
        let major = info.format & Int32(SF_FORMAT_TYPEMASK)
        let exact: [Int32] = [SF_FORMAT_WAV, SF_FORMAT_AIFF, SF_FORMAT_W64, SF_FORMAT_RF64, SF_FORMAT_CAF, SF_FORMAT_FLAC]
            .map { Int32($0) }
        guard exact.contains(major) else { return nil }
        return (0..<(frames / 2), (frames / 2)..<frames)
    }

    /// Reads `halves` of the file into `mono`, the first through `file`, the second through a second handle
    /// seeked to its start, at the same time; returns the frames read before the first gap (a truncated file
    /// stops short).
    private func readHalves(_ file: OpaquePointer, reopen: () -> OpaquePointer?, halves: (Range<Int>, Range<Int>),
                            channels: Int, format: Int32, into mono: inout [Float], name: String) throws -> Int {
        guard let second = reopen() else { throw RefrainError.invalidFile(name, openFailure()) }
        defer { sf_close(second) }
        guard sf_seek(second, sf_count_t(halves.1.lowerBound), SEEK_SET) == sf_count_t(halves.1.lowerBound) else {
            throw RefrainError.invalidFile(name, "cannot seek to frame \(halves.1.lowerBound) (\(String(cString: sf_strerror(second))))")
        }
        var got = [0, 0]
        var failures: [Error?] = [nil, nil]
        mono.withUnsafeMutableBufferPointer { out in
            got.withUnsafeMutableBufferPointer { got in
                failures.withUnsafeMutableBufferPointer { failures in
                    let shared = UncheckedSendable((out.baseAddress!, got.baseAddress!, failures.baseAddress!, file, second))
                    DispatchQueue.concurrentPerform(iterations: 2) { half in
                        let (out, got, failures, file, second) = shared.value
                        let range = half == 0 ? halves.0 : halves.1
                        var reader = MonoReader(channels: channels, format: format)
                        do {
                            while got[half] < range.count {
                                let n = try reader.read(half == 0 ? file : second, into: out + range.lowerBound + got[half],
                                                        frames: min(MonoReader.chunkFrames, range.count - got[half]),
                                                        firstFrame: range.lowerBound + got[half], name: name)
                                if n <= 0 { break }
                                got[half] += n
                            }
                        } catch {
                            failures[half] = error
                        }
                    }
                }
            }
        }
        if let error = failures[0] ?? failures[1] { throw error }
        if sf_error(second) != 0 {
            throw RefrainError.invalidFile(name, "decoding failed after \(halves.1.lowerBound + got[1]) frames (\(String(cString: sf_strerror(second))))")
        }
        return got[0] < halves.0.count ? got[0] : halves.1.lowerBound + got[1]
    }

    /// libsndfile's names for the container and the encoding of `format`.
    static func formatName(_ format: Int32) -> String {
        func name(_ value: Int32) -> String? {
            var fi = SF_FORMAT_INFO()
            fi.format = value
            guard sf_command(nil, Int32(SFC_GET_FORMAT_INFO), &fi, Int32(MemoryLayout<SF_FORMAT_INFO>.size)) == 0, let n = fi.name else { return nil }
            return String(cString: n)
        }
        let major = name(format & Int32(SF_FORMAT_TYPEMASK)) ?? "unknown container"
        guard let sub = name(format & Int32(SF_FORMAT_SUBMASK)) else { return major }
        return "\(major) / \(sub)"
    }
}

/// Why libsndfile could not open a file that exists, as one clause. libsndfile reports an unrecognised
/// format as "File does not exist or is not a regular file" at times; that reason is dropped as misleading.
private func openFailure() -> String {
    let reason = String(cString: sf_strerror(nil))
    if reason.contains("does not exist") || reason.contains("not recognised") {
        return "not a readable audio file (unrecognised format)"
    }
    return "not a readable audio file (libsndfile: \(reason))"
}

/// Bytes in memory served to libsndfile through `SF_VIRTUAL_IO`.
final class MemorySource {
    let bytes: [UInt8]
    var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    static var virtualIO: SF_VIRTUAL_IO {
        SF_VIRTUAL_IO(
            get_filelen: { user in sf_count_t(source(user).bytes.count) },
            seek: { offset, whence, user in
                let s = source(user)
                let base: Int
                switch whence {
                case SEEK_CUR: base = s.position
                case SEEK_END: base = s.bytes.count
                default: base = 0
                }
                let target = base + Int(offset)
                guard target >= 0 else { return -1 }
                s.position = target
                return sf_count_t(target)
            },
            read: { pointer, count, user in
                let s = source(user)
                guard let pointer, count > 0, s.position < s.bytes.count else { return 0 }
                let n = min(Int(count), s.bytes.count - s.position)
                s.bytes.withUnsafeBytes { raw in
                    pointer.copyMemory(from: raw.baseAddress! + s.position, byteCount: n)
                }
                s.position += n
                return sf_count_t(n)
            },
            write: { _, _, _ in 0 },
            tell: { user in sf_count_t(source(user).position) })
    }
}

private func source(_ user: UnsafeMutableRawPointer?) -> MemorySource {
    Unmanaged<MemorySource>.fromOpaque(user!).takeUnretainedValue()
}
