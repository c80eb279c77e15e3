import Foundation
import RefrainMath

/// The on-disk form of `PackedArrays`: `packs/<array>-<state>.pack` in an index, where `<state>` is the first
/// 16 hex digits of a SHA-256 over this format's version, the array name and the catalog's fingerprint of the
/// array set (`IndexStore.arraySetState`). A pack made for another item set therefore has another name and is
/// never read as this one.
///
/// Layout, little-endian: a 64-byte header (magic `RFRNPACK`, format `UInt32`, element type `UInt32`, dims,
/// items and frames as `Int64`, a 64-bit checksum of everything after the header, the first 16 bytes of the
/// state's SHA-256), then the item ids (`Int64` x items), the file keys (`UInt64` x items), the frame offsets
/// (`Int64` x (items + 1)) and the elements (frames x dims). The size must be exactly what the header says and
/// the checksum must match, so a cut or damaged file is refused with one sentence, never read as other values.
/// Written to a temporary name, flushed, renamed into place and the folder flushed (`DurableFile`): a kill
/// leaves the old pack, the new one, or a `.partial` leftover that the next save removes.
public enum PackedArrayFile {
    /// Version of the layout (part of the state hash).
    public static let format: UInt32 = 1
    public static let folder = "packs"
    static let magic = Array("RFRNPACK".utf8)
    static let headerSize = 64

    /// The file of the pack of `array` for `state` (a SHA-256 in hex), relative to the index directory.
    public static func relativePath(array: String, state: String) -> String {
        "\(folder)/\(array)-\(state.prefix(16)).pack"
    }

    /// The state hash of `array` for a catalog fingerprint of its set (`IndexStore.arraySetState`).
    public static func state(array: String, setState: String) -> String {
        SHA256.hex(of: Data("packed-arrays \(format)\n\(array)\n\(setState)\n".utf8))
    }

    /// The file's bytes for `pack` built for `state`.
    public static func encode(_ pack: PackedArrays, state: String) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(8 * (3 * pack.count + 1) + pack.bytes.count)
        pack.ids.withUnsafeBytes { body += $0 }
        pack.fileKeys.withUnsafeBytes { body += $0 }
        pack.offsets.map(Int64.init).withUnsafeBytes { body += $0 }
        body += pack.bytes
        var header = magic
        func put<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { header += $0 } }
        put(format)
        put(UInt32(StoredDType.allCases.firstIndex(of: pack.dtype)!))
        put(Int64(pack.dims))
        put(Int64(pack.count))
        put(Int64(pack.offsets[pack.count]))
        put(checksum(body))
        header += stateBytes(state)
        return header + body
    }

    /// Reads and checks a pack file built for `state`; a missing, cut, damaged or foreign file throws one sentence.
    public static func read(_ url: URL, state: String) throws -> PackedArrays {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw RefrainError(.io, "\(url.path): cannot read the packed arrays")
        }
        return try decode([UInt8](data), state: state, name: url.path)
    }

    /// Decodes the bytes of a pack file (`name` is used in errors).
    public static func decode(_ file: [UInt8], state: String, name: String) throws -> PackedArrays {
        let damaged = RefrainError(.index, "\(name) is cut or damaged (its size or checksum does not match its header); delete it and the next search rebuilds it from the item files")
        guard file.count >= headerSize, Array(file[0..<8]) == magic else {
            throw RefrainError(.index, "\(name) is not a Refrain packed array file")
        }
        return try file.withUnsafeBytes { raw -> PackedArrays in
            func get<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T { T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self)) }
            guard get(8, UInt32.self) == format else {
                throw RefrainError(.index, "\(name) has packed array format \(get(8, UInt32.self)), this Refrain reads \(format)")
            }
            let code = Int(get(12, UInt32.self)), dims = get(16, Int64.self), count = get(24, Int64.self), frames = get(32, Int64.self)
            guard code < StoredDType.allCases.count, dims >= 1, dims < 1 << 20, count >= 0, count < 1 << 40, frames >= 0, frames < 1 << 40 else { throw damaged }
            let dtype = StoredDType.allCases[code]
            let n = Int(count)
            guard let valueBytes = PackedArrays.byteCount(frames: Int(frames), dims: Int(dims), size: dtype.size),
                  valueBytes <= file.count, 8 * (3 * n + 1) <= file.count,
                  file.count == headerSize + 8 * (3 * n + 1) + valueBytes else { throw damaged }
            let body = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
            guard checksum(body) == get(40, UInt64.self) else { throw damaged }
            guard Array(file[48..<64]) == stateBytes(state) else {
                throw RefrainError(.index, "\(name) was packed for another set of items; delete it and the next search rebuilds it")
            }
            func int64s(_ at: Int, _ k: Int) -> [Int64] { (0..<k).map { get(headerSize + at + 8 * $0, Int64.self) } }
            let ids = int64s(0, n)
            let keys = int64s(8 * n, n).map { UInt64(bitPattern: $0) }
            let offsets = int64s(16 * n, n + 1).map(Int.init)
            let start = headerSize + 8 * (3 * n + 1)
            do {
                return try PackedArrays(dtype: dtype, dims: Int(dims), ids: ids, fileKeys: keys, offsets: offsets, bytes: Array(file[start...]))
            } catch { throw damaged }
        }
    }

    /// Writes `pack` for `state` into `directory/packs/` durably and removes the other packs of the array
    /// (other states) and leftover temporary files of the array.
    public static func save(_ pack: PackedArrays, array: String, state: String, in directory: URL) throws {
        let url = directory.appendingPathComponent(relativePath(array: array, state: state))
        try DurableFile.write(Data(encode(pack, state: state)), to: url)
        for name in others(of: array, in: directory) where name != url.lastPathComponent {
            unlink(directory.appendingPathComponent(folder).appendingPathComponent(name).path)
        }
    }

    /// Names in `packs/` of `array`'s packs and leftover temporaries.
    static func others(of array: String, in directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)) ?? []
        let stem = "\(array)-", length = stem.count + 16 + ".pack".count
        return names.filter { name in
            (name.hasPrefix(stem) && name.hasSuffix(".pack") && name.count == length)
                || (name.hasPrefix(".\(stem)") && name.hasSuffix(DurableFile.temporarySuffix))
        }
    }

    static func stateBytes(_ state: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 16)
        let digits = Array(state.utf8)
        for k in 0..<min(16, digits.count / 2) {
            out[k] = UInt8(String(decoding: digits[2 * k ..< 2 * k + 2], as: UTF8.self), radix: 16) ?? 0
        }
        return out
    }

    /// A 64-bit checksum of `bytes` (four lanes of xor-multiply-rotate over 8-byte words, then the tail): any
    /// change of one word changes it.
    static func checksum<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        if let done = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0)) }) { return done }
        return Array(bytes).withUnsafeBytes { checksum($0) }
    }

    static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        let prime: UInt64 = 0x9E37_79B1_85EB_CA87
        var lanes: (UInt64, UInt64, UInt64, UInt64) = (1, 2, 3, 4)
        @inline(__always) func mix(_ h: UInt64, _ w: UInt64) -> UInt64 {
            let x = (h ^ w) &* prime
            return (x << 31) | (x >> 33)
        }
        let blocks = raw.count / 32
        for b in 0..<blocks {
            let at = 32 * b
            lanes.0 = mix(lanes.0, raw.loadUnaligned(fromByteOffset: at, as: UInt64.self))
            lanes.1 = mix(lanes.1, raw.loadUnaligned(fromByteOffset: at + 8, as: UInt64.self))
            lanes.2 = mix(lanes.2, raw.loadUnaligned(fromByteOffset: at + 16, as: UInt64.self))
            lanes.3 = mix(lanes.3, raw.loadUnaligned(fromByteOffset: at + 24, as: UInt64.self))
        }
        var h = mix(mix(mix(mix(UInt64(raw.count), lanes.0), lanes.1), lanes.2), lanes.3)
        for k in (32 * blocks)..<raw.count { h = mix(h, UInt64(raw[k])) }
        return h
    }
}
