import Foundation

/// NumPy `.npz` archives: a ZIP file of `.npy` members (and, here, other small members such as a JSON
/// description), the format of `numpy.savez`.
///
/// Refrain writes uncompressed ("stored") members with fixed timestamps, so the same content always gives the
/// same bytes (and the same SHA-256). Reading takes stored members written by Refrain or by `numpy.savez`
/// (whose ZIP64 local headers are skipped); compressed members (`numpy.savez_compressed`) are refused. Every
/// member's CRC-32 is checked. A file cut short is reported with the name of the member it was cut in.
/// Format: PKWARE APPNOTE 6.3 (local headers, central directory, end record; no ZIP64 archives over 4 GiB).
public enum NPZ {
    /// One member: its name inside the archive ("conv1.weight.npy", "architecture.json") and its bytes.
    public struct Member: Equatable, Sendable {
        public var name: String
        public var bytes: Data
        public init(name: String, bytes: Data) {
            self.name = name
            self.bytes = bytes
        }
    }

    /// The archive bytes of `members`, in order.
    public static func encode(_ members: [Member]) -> Data {
        var out = Data()
        var central = Data()
        for m in members {
            let name = Array(m.name.utf8)
            let crc = CRC32.checksum(m.bytes)
            let offset = UInt32(out.count)
            // Local file header: version 2.0, no flags, stored, DOS time 1980-01-01 00:00.
            out.appendLE(UInt32(0x0403_4B50)); out.appendLE(UInt16(20)); out.appendLE(UInt16(0)); out.appendLE(UInt16(0))
            out.appendLE(UInt16(0)); out.appendLE(UInt16(0x21))
            out.appendLE(crc); out.appendLE(UInt32(m.bytes.count)); out.appendLE(UInt32(m.bytes.count))
            out.appendLE(UInt16(name.count)); out.appendLE(UInt16(0))
            out.append(contentsOf: name)
            out.append(m.bytes)
            central.appendLE(UInt32(0x0201_4B50)); central.appendLE(UInt16(20)); central.appendLE(UInt16(20))
            central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0x21))
            central.appendLE(crc); central.appendLE(UInt32(m.bytes.count)); central.appendLE(UInt32(m.bytes.count))
            central.appendLE(UInt16(name.count)); central.appendLE(UInt16(0)); central.appendLE(UInt16(0))
            central.appendLE(UInt16(0)); central.appendLE(UInt16(0)); central.appendLE(UInt32(0)); central.appendLE(offset)
            central.append(contentsOf: name)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        out.appendLE(UInt32(0x0605_4B50)); out.appendLE(UInt16(0)); out.appendLE(UInt16(0))
        out.appendLE(UInt16(members.count)); out.appendLE(UInt16(members.count))
        out.appendLE(UInt32(central.count)); out.appendLE(centralOffset); out.appendLE(UInt16(0))
        return out
    }

    /// The members of an archive, in order.
    /// - Throws: `RefrainError(.invalidFile)` with a sentence naming the member when the archive is cut, a
    ///   member fails its checksum, or uses compression; a sentence about the archive when it is not one.
    public static func decode(_ data: Data) throws -> [Member] {
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes.u32(0) == 0x0403_4B50 || bytes.u32(0) == 0x0605_4B50 else {
            throw RefrainError(.invalidFile, "not an .npz (ZIP) archive")
        }
        guard let end = endRecord(bytes) else {
            // No end record: the file was cut. Walk the local headers to name the member it was cut in.
            throw RefrainError(.invalidFile, cutMessage(bytes))
        }
        let count = Int(bytes.u16(end + 10))
        var position = Int(bytes.u32(end + 16))
        var members: [Member] = []
        for _ in 0..<count {
            guard position + 46 <= bytes.count, bytes.u32(position) == 0x0201_4B50 else {
                throw RefrainError(.invalidFile, "the archive's directory is damaged")
            }
            let method = bytes.u16(position + 10)
            let crc = bytes.u32(position + 16)
            var size = Int(bytes.u32(position + 20))
            let nameLength = Int(bytes.u16(position + 28)), extraLength = Int(bytes.u16(position + 30))
            let commentLength = Int(bytes.u16(position + 32))
            var offset = Int(bytes.u32(position + 42))
            guard position + 46 + nameLength <= bytes.count else { throw RefrainError(.invalidFile, "the archive's directory is damaged") }
            let name = String(decoding: bytes[(position + 46)..<(position + 46 + nameLength)], as: UTF8.self)
            // ZIP64 extra field (id 1) holds the sizes and offset that did not fit in 32 bits.
            var extra = position + 46 + nameLength
            let extraEnd = min(extra + extraLength, bytes.count)
            while extra + 4 <= extraEnd {
                let id = bytes.u16(extra), length = Int(bytes.u16(extra + 2))
                if id == 1 {
                    var field = extra + 4
                    if bytes.u32(position + 24) == 0xFFFF_FFFF, field + 8 <= extraEnd { field += 8 }
                    // Clamped: a hostile 64-bit value must fail the bounds checks below, not trap converting to Int.
                    if bytes.u32(position + 20) == 0xFFFF_FFFF, field + 8 <= extraEnd { size = Int(clamping: bytes.u64(field)); field += 8 }
                    if bytes.u32(position + 42) == 0xFFFF_FFFF, field + 8 <= extraEnd { offset = Int(clamping: bytes.u64(field)) }
                }
                extra += 4 + length
            }
            guard method == 0 else {
                throw RefrainError(.invalidFile, "member \(name) is compressed (method \(method)); only stored members (numpy.savez) are read")
            }
            // Comparisons written so that no sum can overflow, whatever the archive claims.
            guard offset <= bytes.count - 30, bytes.u32(offset) == 0x0403_4B50 else {
                throw RefrainError(.invalidFile, "member \(name) has a damaged header")
            }
            let start = offset + 30 + Int(bytes.u16(offset + 26)) + Int(bytes.u16(offset + 28))
            guard size <= bytes.count - start else { throw RefrainError(.invalidFile, "member \(name) is cut short") }
            let body = Data(bytes[start..<(start + size)])
            guard CRC32.checksum(body) == crc else { throw RefrainError(.invalidFile, "member \(name) is corrupt (CRC-32 mismatch)") }
            members.append(Member(name: name, bytes: body))
            position += 46 + nameLength + extraLength + commentLength
        }
        return members
    }

    /// Position of the end-of-central-directory record, searched from the end (it may be followed by a comment).
    static func endRecord(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 22 else { return nil }
        var p = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while p >= lowest {
            if bytes.u32(p) == 0x0605_4B50, p + 22 + Int(bytes.u16(p + 20)) == bytes.count { return p }
            p -= 1
        }
        return nil
    }

    static func cutMessage(_ bytes: [UInt8]) -> String {
        var p = 0
        var last: String?
        while p + 30 <= bytes.count, bytes.u32(p) == 0x0403_4B50 {
            let size = Int(bytes.u32(p + 18)), nameLength = Int(bytes.u16(p + 26)), extraLength = Int(bytes.u16(p + 28))
            guard p + 30 + nameLength <= bytes.count else { break }
            let name = String(decoding: bytes[(p + 30)..<(p + 30 + nameLength)], as: UTF8.self)
            let end = p + 30 + nameLength + extraLength + size
            if size == 0xFFFF_FFFF || bytes.u16(p + 6) & 8 != 0 { return "the archive is cut short (at or after member \(name))" }
            if end > bytes.count { return "the archive is cut short inside member \(name)" }
            last = name
            p = end
        }
        if let last { return "the archive is cut short after member \(last) (its directory is missing)" }
        return "the archive is cut short inside its first member"
    }
}

/// CRC-32 (ISO 3309, polynomial 0xEDB88320), the checksum of ZIP members.
public enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    public static func checksum(_ data: Data) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                for byte in raw { crc = t[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
            }
        }
        return crc ^ 0xFFFF_FFFF
    }
}

extension Data {
    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}

extension Array where Element == UInt8 {
    func u16(_ i: Int) -> UInt16 { UInt16(self[i]) | UInt16(self[i + 1]) << 8 }
    func u32(_ i: Int) -> UInt32 { UInt32(u16(i)) | UInt32(u16(i + 2)) << 16 }
    func u64(_ i: Int) -> UInt64 { UInt64(u32(i)) | UInt64(u32(i + 4)) << 32 }
}
