import RefrainMath

/// The audio frames of an MP3 (or MP2) file, found by walking their headers, and the repair of a file
/// whose length libsndfile underestimates.
///
/// libsndfile takes an MPEG file's length from libmpg123: exact when the first frame is a Xing, Info or
/// VBRI frame, otherwise an estimate from the file size and the first frame's bitrate. It then never reads
/// past that length, so a variable-bitrate file without such a frame loses its end (a file that opens at
/// 320 kbit/s and averages 160 decodes to half its length). Walking the frame headers gives the true
/// length; `withLengthHeader(_:)` inserts a Xing frame that announces it, and the decoder reads that.
struct MPEGStream {
    /// Byte offset of the first frame (after an ID3v2 tag).
    let start: Int
    /// The first frame's header.
    let first: MPEGFrameHeader
    /// Frames from `start` until the headers stop or the file ends, a trailing partial frame not counted.
    let frameCount: Int
    /// Samples per channel in those frames, a length-announcing first frame not counted (it holds no audio).
    let sampleCount: Int
    /// Whether the first frame is a Xing or Info frame with a frame count, or a VBRI frame.
    let hasLengthHeader: Bool

    /// How far from the start of the audio (after any ID3v2 tag) the first frame is looked for, in bytes.
    static let searchBytes = 1 << 16

    /// Walks the frames of `source`; nil when no two consecutive frames are found near its start.
    /// Reads the file once, front to back: the work grows with its length, whatever its bytes.
    static func scan(_ source: ByteSource) -> MPEGStream? {
        var audio = 0
        let id3 = source.bytes(at: 0, count: 10)
        if id3.count == 10 && ContainerLength.tag(id3, 0).hasPrefix("ID3") {
            let size = id3[6..<10].reduce(0) { $0 << 7 | Int($1 & 0x7F) }
            audio = 10 + size + (id3[5] & 0x10 != 0 ? 10 : 0)
        }
        var reader = HeaderReader(source: source)
        guard let (start, first) = reader.nextFrame(from: audio, like: nil) else { return nil }
        var offset = start, frames = 0, samples = 0
        while offset + 4 <= source.size {
            guard let header = reader.header(at: offset), header.continues(first) else {
                // Damaged bytes between frames: go on at the next pair of frames, as the decoder does.
                guard let (next, _) = reader.nextFrame(from: offset + 1, like: first) else { break }
                offset = next
                continue
            }
            guard offset + header.byteCount <= source.size else { break }
            frames += 1
            samples += header.sampleCount
            offset += header.byteCount
        }
        let announces = announcesLength(source.bytes(at: start, count: first.byteCount), first)
        return MPEGStream(start: start, first: first, frameCount: frames,
                          sampleCount: samples - (announces ? first.sampleCount : 0), hasLengthHeader: announces)
    }

    /// Whether `frame` (a whole first frame) is a Layer III Xing/Info frame with a frame count, or a VBRI frame.
    private static func announcesLength(_ frame: [UInt8], _ header: MPEGFrameHeader) -> Bool {
        guard header.layer == 3 else { return false }
        let xing = 4 + (header.hasCRC ? 2 : 0) + header.sideInfoCount
        let tag = ContainerLength.tag(frame, xing)
        if (tag == "Xing" || tag == "Info") && xing + 8 <= frame.count {
            return ContainerLength.bigEndian32(frame, xing + 4) & 1 != 0
        }
        return ContainerLength.tag(frame, 36) == "VBRI"
    }

    /// `bytes` (the whole file) with a Xing frame announcing every walked frame inserted before the first;
    /// nil for streams that are not Layer III (libmpg123 reads Xing frames only there).
    func withLengthHeader(_ bytes: [UInt8]) -> [UInt8]? {
        guard first.layer == 3, start <= bytes.count else { return nil }
        let (b0, b1, b2, b3) = first.bytes
        let side = first.sideInfoCount
        // The lowest bitrate whose frame holds the side information (zero: no audio) and the Xing fields.
        for index in 1...14 {
            guard let header = MPEGFrameHeader(b0, b1 | 1, UInt8(index << 4) | (b2 & 0x0C), b3),
                  header.byteCount >= 4 + side + 12 else { continue }
            var frame = [UInt8](repeating: 0, count: header.byteCount)
            (frame[0], frame[1], frame[2], frame[3]) = header.bytes
            let count = UInt32(clamping: frameCount)
            let fields: [UInt8] = Array("Xing".utf8) + [0, 0, 0, 1]
                + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            frame.replaceSubrange((4 + side)..<(4 + side + 12), with: fields)
            return Array(bytes[..<start]) + frame + bytes[start...]
        }
        return nil
    }
}

/// Frame headers read from a `ByteSource` through a 1 MiB buffer that moves forward with the walk.
private struct HeaderReader {
    let source: ByteSource
    private var buffer = [UInt8]()
    private var bufferStart = 0

    init(source: ByteSource) { self.source = source }

    /// The header at byte `offset`, if one is there.
    mutating func header(at offset: Int) -> MPEGFrameHeader? {
        guard offset >= 0, offset + 4 <= source.size else { return nil }
        if offset < bufferStart || offset + 4 > bufferStart + buffer.count {
            bufferStart = max(0, offset - 4096)  // some bytes behind, for the step back after a look ahead
            buffer = source.bytes(at: bufferStart, count: 1 << 20)
        }
        return MPEGFrameHeader(buffer, at: offset - bufferStart)
    }

    /// The first offset within `MPEGStream.searchBytes` of `from` holding a frame header followed by another
    /// of the same stream (or by the end of the file); with `like`, only frames of that stream count.
    mutating func nextFrame(from: Int, like: MPEGFrameHeader?) -> (Int, MPEGFrameHeader)? {
        var offset = from
        while offset + 4 <= source.size && offset < from + MPEGStream.searchBytes {
            if let header = header(at: offset), like.map(header.continues) ?? true {
                let next = offset + header.byteCount
                if next == source.size { return (offset, header) }
                if let following = self.header(at: next), following.continues(header) { return (offset, header) }
            }
            offset += 1
        }
        return nil
    }
}
