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
    static func scan(_ source: ByteSource) -> MPEGStream? {
        var audio = 0
        let id3 = source.bytes(at: 0, count: 10)
        if id3.count == 10 && ContainerLength.tag(id3, 0).hasPrefix("ID3") {
            let size = id3[6..<10].reduce(0) { $0 << 7 | Int($1 & 0x7F) }
            audio = 10 + size + (id3[5] & 0x10 != 0 ? 10 : 0)
        }
        guard let (start, first) = nextFrame(source, from: audio, like: nil) else { return nil }
        var offset = start, frames = 0, samples = 0
        var buffer = [UInt8](), bufferStart = 0
        while offset + 4 <= source.size {
            if offset + 4 > bufferStart + buffer.count {
                buffer = source.bytes(at: offset, count: 1 << 20)
                bufferStart = offset
            }
            guard let header = MPEGFrameHeader(buffer, at: offset - bufferStart), header.continues(first) else {
                // Damaged bytes between frames: go on at the next pair of frames, as the decoder does.
                guard let (next, _) = nextFrame(source, from: offset + 1, like: first) else { break }
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

    /// The first offset within `searchBytes` of `from` holding a frame header followed by another of the
    /// same stream (or by the end of the file); with `like`, only frames of that stream count.
    private static func nextFrame(_ source: ByteSource, from: Int, like: MPEGFrameHeader?) -> (Int, MPEGFrameHeader)? {
        let window = source.bytes(at: from, count: searchBytes + 4)
        var i = 0
        while i + 4 <= window.count && i < searchBytes {
            if let header = MPEGFrameHeader(window, at: i), like.map(header.continues) ?? true {
                let next = from + i + header.byteCount
                if next == source.size { return (from + i, header) }
                if let following = MPEGFrameHeader(source.bytes(at: next, count: 4), at: 0), following.continues(header) {
                    return (from + i, header)
                }
            }
            i += 1
        }
        return nil
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
            frame[0] = b0; frame[1] = b1 | 1; frame[2] = UInt8(index << 4) | (b2 & 0x0C); frame[3] = b3
            let count = UInt32(clamping: frameCount)
            let fields: [UInt8] = Array("Xing".utf8) + [0, 0, 0, 1]
                + [UInt8(count >> 24), UInt8(count >> 16 & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count & 0xFF)]
            frame.replaceSubrange((4 + side)..<(4 + side + 12), with: fields)
            return Array(bytes[..<start]) + frame + bytes[start...]
        }
        return nil
    }
}
