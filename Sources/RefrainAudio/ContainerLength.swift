import RefrainMath

/// Whether a container says, in its own structure, that the file was cut short.
///
/// libsndfile trims a WAV or AIFF whose data chunk runs past the end of the file to what is there, and
/// reads an Ogg stream until its bytes run out, so a partial download decodes without complaint as a
/// shorter recording. These checks read the container beside it:
/// - RIFF/WAVE and RF64: the `data` chunk's size (the `ds64` size for RF64) against the bytes after it.
///   Sizes of 0 and of 2 GiB or more in a 32-bit field are the placeholders of streaming writers, not claims.
/// - AIFF/AIFC: the `SSND` chunk's size against the bytes after it.
/// - Ogg (Vorbis, Opus, FLAC): the last page must be whole, pass its CRC and carry the end-of-stream flag,
///   as the Ogg specification (RFC 3533) requires of every stream's last page.
enum ContainerLength {
    /// Bytes read from each end of a file: a whole Ogg page is at most 65,307 bytes.
    static let window = 1 << 17

    /// Why the file was cut short, as a clause; nil when its container is whole or does not say.
    static func truncation(in source: ByteSource) -> String? {
        let head = source.bytes(at: 0, count: window)
        guard head.count >= 12 else { return nil }
        switch (tag(head, 0), tag(head, 8)) {
        case ("RIFF", "WAVE"), ("RF64", "WAVE"): return riffShortfall(head, size: source.size)
        case ("FORM", "AIFF"), ("FORM", "AIFC"): return aiffShortfall(head, size: source.size)
        default: break
        }
        if tag(head, 0) == "OggS" {
            let start = max(0, source.size - window)
            return oggEnding(source.bytes(at: start, count: window))
        }
        return nil
    }

    // MARK: - RIFF

    private static func riffShortfall(_ b: [UInt8], size: Int) -> String? {
        var offset = 12
        var ds64DataSize: UInt64?
        while offset + 8 <= b.count {
            let id = tag(b, offset), length = UInt64(littleEndian32(b, offset + 4)), start = offset + 8
            if id == "ds64" && start + 16 <= b.count { ds64DataSize = littleEndian64(b, start + 8) }
            if id == "data" {
                var declared = length
                if length == 0xFFFF_FFFF, let d = ds64DataSize {
                    declared = d
                    guard declared > 0 && declared < 1 << 62 else { return nil }
                } else if length == 0 || length >= 0x8000_0000 {
                    return nil
                }
                return shortfall(declared: declared, available: size - start)
            }
            offset = start + Int(length) + Int(length & 1)
        }
        return nil
    }

    // MARK: - AIFF

    private static func aiffShortfall(_ b: [UInt8], size: Int) -> String? {
        var offset = 12
        while offset + 8 <= b.count {
            let id = tag(b, offset), length = UInt64(bigEndian32(b, offset + 4)), start = offset + 8
            if id == "SSND" {
                guard length > 0 && length < 0x8000_0000 else { return nil }
                return shortfall(declared: length, available: size - start)
            }
            offset = start + Int(length) + Int(length & 1)
        }
        return nil
    }

    /// A clause when some of the declared sample data is missing.
    private static func shortfall(declared: UInt64, available: Int) -> String? {
        guard declared > UInt64(max(available, 0)) else { return nil }
        return "the header announces \(declared) bytes of sample data but the file holds \(max(available, 0))"
    }

    // MARK: - Ogg

    /// Checks the last page in `tail`, the final bytes of an Ogg file.
    private static func oggEnding(_ tail: [UInt8]) -> String? {
        guard let page = lastCapture(in: tail) else { return nil }
        guard page + 27 <= tail.count else { return "the file ends inside an Ogg page header" }
        let segments = Int(tail[page + 26])
        guard page + 27 + segments <= tail.count else { return "the file ends inside an Ogg page header" }
        var body = 0
        for i in 0..<segments { body += Int(tail[page + 27 + i]) }
        let end = page + 27 + segments + body
        guard end <= tail.count else {
            return "the file ends inside an Ogg page (\(tail.count - page) of its \(end - page) bytes are there)"
        }
        guard OggCRC.matches(page: tail[page..<end]) else { return nil }  // damaged, not cut: the decoder judges
        guard tail[page + 5] & 0x04 != 0 else { return "the Ogg stream ends without its end-of-stream page" }
        return nil
    }

    /// Offset of the last "OggS" capture pattern followed by stream structure version 0.
    private static func lastCapture(in b: [UInt8]) -> Int? {
        var i = b.count - 5
        while i >= 0 {
            if b[i] == 0x4F && b[i + 1] == 0x67 && b[i + 2] == 0x67 && b[i + 3] == 0x53 && b[i + 4] == 0 { return i }
            i -= 1
        }
        return nil
    }

    // MARK: - Bytes

    static func tag(_ b: [UInt8], _ at: Int) -> String {
        guard at + 4 <= b.count else { return "" }
        return String(decoding: b[at..<(at + 4)], as: UTF8.self)
    }

    static func littleEndian32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[at + $1]) << (8 * $1) }
    }

    static func littleEndian64(_ b: [UInt8], _ at: Int) -> UInt64 {
        (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[at + $1]) << (8 * $1) }
    }

    static func bigEndian32(_ b: [UInt8], _ at: Int) -> UInt32 {
        (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(b[at + $1]) }
    }
}

/// The CRC-32 of Ogg pages (polynomial 0x04C11DB7, no reflection, initial value 0), computed with the
/// page's own checksum field read as zero (RFC 3533, section 6).
enum OggCRC {
    private static let table: [UInt32] = (0..<256).map { n in
        var r = UInt32(n) << 24
        for _ in 0..<8 { r = r & 0x8000_0000 != 0 ? (r << 1) ^ 0x04C1_1DB7 : r << 1 }
        return r
    }

    /// Whether the checksum stored in a whole page (bytes 22..<26) matches its content.
    static func matches(page: ArraySlice<UInt8>) -> Bool {
        guard page.count >= 27 else { return false }
        let base = page.startIndex
        var crc: UInt32 = 0
        for (i, byte) in page.enumerated() {
            let value = (22..<26).contains(i) ? 0 : byte
            crc = (crc << 8) ^ table[Int((crc >> 24) ^ UInt32(value))]
        }
        let stored = (0..<4).reduce(UInt32(0)) { $0 | UInt32(page[base + 22 + $1]) << (8 * $1) }
        return crc == stored
    }
}
