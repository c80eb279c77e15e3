import RefrainMath

/// The four-byte header of an MPEG-1, MPEG-2 or MPEG-2.5 audio frame (ISO/IEC 11172-3, 13818-3),
/// with the frame's length in bytes and in samples. Free-format frames (bitrate index 0) are not read.
struct MPEGFrameHeader {
    enum Version { case mpeg1, mpeg2, mpeg25 }

    let bytes: (UInt8, UInt8, UInt8, UInt8)
    let version: Version
    /// 1, 2 or 3.
    let layer: Int
    /// Bits per second.
    let bitrate: Int
    /// Hz.
    let sampleRate: Int
    let isMono: Bool
    /// Whether a 16-bit CRC follows the header.
    let hasCRC: Bool
    /// Length of the whole frame, header included, in bytes.
    let byteCount: Int
    /// Samples per channel the frame decodes to.
    let sampleCount: Int

    init?(_ b: [UInt8], at i: Int) {
        guard i >= 0, i + 4 <= b.count else { return nil }
        self.init(b[i], b[i + 1], b[i + 2], b[i + 3])
    }

    init?(_ b0: UInt8, _ b1: UInt8, _ b2: UInt8, _ b3: UInt8) {
        guard b0 == 0xFF, b1 & 0xE0 == 0xE0 else { return nil }
        switch (b1 >> 3) & 3 {
        case 3: version = .mpeg1
        case 2: version = .mpeg2
        case 0: version = .mpeg25
        default: return nil
        }
        let layerBits = Int((b1 >> 1) & 3)
        guard layerBits != 0 else { return nil }
        layer = 4 - layerBits
        let bitrateIndex = Int(b2 >> 4), rateIndex = Int((b2 >> 2) & 3)
        guard bitrateIndex != 0, bitrateIndex != 15, rateIndex != 3, b3 & 3 != 2 else { return nil }
        let kbps = Self.bitrates(version: version, layer: layer)[bitrateIndex - 1]
        let rates = [44100, 48000, 32000]
        bitrate = kbps * 1000
        sampleRate = rates[rateIndex] / (version == .mpeg1 ? 1 : version == .mpeg2 ? 2 : 4)
        isMono = b3 >> 6 == 3
        hasCRC = b1 & 1 == 0
        let padding = Int((b2 >> 1) & 1)
        switch layer {
        case 1:
            byteCount = (12 * bitrate / sampleRate + padding) * 4
            sampleCount = 384
        case 2:
            byteCount = 144 * bitrate / sampleRate + padding
            sampleCount = 1152
        default:
            let long = version == .mpeg1
            byteCount = (long ? 144 : 72) * bitrate / sampleRate + padding
            sampleCount = long ? 1152 : 576
        }
        bytes = (b0, b1, b2, b3)
    }

    /// Whether `other` belongs to the same stream: same version, layer and sample rate.
    func continues(_ other: MPEGFrameHeader) -> Bool {
        version == other.version && layer == other.layer && sampleRate == other.sampleRate
    }

    /// Bytes of Layer III side information after the header (and its CRC).
    var sideInfoCount: Int {
        version == .mpeg1 ? (isMono ? 17 : 32) : (isMono ? 9 : 17)
    }

    /// kbit/s for bitrate indices 1...14.
    static func bitrates(version: Version, layer: Int) -> [Int] {
        switch (version, layer) {
        case (.mpeg1, 1): return [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448]
        case (.mpeg1, 2): return [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384]
        case (.mpeg1, _): return [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]
        case (_, 1): return [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
        default: return [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
        }
    }
}
