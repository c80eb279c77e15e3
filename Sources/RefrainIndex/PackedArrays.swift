import Foundation
import RefrainMath

/// Every item's array of one kind (e.g. `hashes`, `embedding`) in one contiguous block: item ids ascending,
/// each item's `frames x dims` elements one after another, and an offsets table (in frames). It is what a
/// search that holds a whole array kind in memory reads in one go, instead of one `.npy` file per item
/// (at 100,000 items, 100,000 opens per array kind). The per-item `.npy` files stay the index's record and
/// its export format; `PackedArrayFile` keeps this as a derived file beside them.
public struct PackedArrays: Sendable, Equatable {
    /// Element type of `bytes`.
    public let dtype: StoredDType
    /// Values per frame.
    public let dims: Int
    /// Item ids, ascending.
    public let ids: [Int64]
    /// A 64-bit key of each item's array file name in the catalog (`PackedArrays.fileKey`), by position: a later
    /// pack reuses a row only when the item still has the same file.
    public let fileKeys: [UInt64]
    /// `ids.count + 1` frame offsets: item `k` holds frames `offsets[k] ..< offsets[k + 1]`.
    public let offsets: [Int]
    /// `offsets.last! x dims` elements of `dtype`, little-endian, row-major.
    public let bytes: [UInt8]

    public init(dtype: StoredDType, dims: Int, ids: [Int64], fileKeys: [UInt64], offsets: [Int], bytes: [UInt8]) throws {
        guard dims >= 1, ids.count == fileKeys.count, offsets.count == ids.count + 1, offsets.first == 0,
              zip(offsets, offsets.dropFirst()).allSatisfy({ $0 <= $1 }),
              zip(ids, ids.dropFirst()).allSatisfy({ $0 < $1 }),
              Self.byteCount(frames: offsets[ids.count], dims: dims, size: dtype.size) == bytes.count else {
            throw RefrainError(.index, "packed arrays: ids, offsets and \(bytes.count) bytes of \(dims)-value \(dtype.rawValue) frames do not agree")
        }
        (self.dtype, self.dims, self.bytes) = (dtype, dims, bytes)
        (self.ids, self.fileKeys, self.offsets) = (ids, fileKeys, offsets)
    }

    /// Bytes of `frames x dims` elements of `size` bytes, or nil when the product overflows (a damaged or hostile
    /// count must give an error, never a trap).
    public static func byteCount(frames: Int, dims: Int, size: Int) -> Int? {
        guard frames >= 0, dims >= 0, size >= 0 else { return nil }
        let (row, rowOverflow) = dims.multipliedReportingOverflow(by: size)
        let (total, totalOverflow) = frames.multipliedReportingOverflow(by: row)
        return rowOverflow || totalOverflow ? nil : total
    }

    /// Items held.
    public var count: Int { ids.count }

    /// Frames of the item at position `k`.
    public func frames(at k: Int) -> Int { offsets[k + 1] - offsets[k] }

    /// The elements of the item at position `k` (`frames(at: k) x dims`) when they are stored as `T`, else nil.
    public func values<T: NPYElement>(at k: Int, as type: T.Type = T.self) -> [T]? {
        guard dtype.npy == T.npyType else { return nil }
        let start = offsets[k] * dims * dtype.size, end = offsets[k + 1] * dims * dtype.size
        return bytes.withUnsafeBytes { raw in
            Array(UnsafeRawBufferPointer(rebasing: raw[start..<end]).bindMemory(to: T.self))
        }
    }

    /// The first frame of the item at position `k` as `Float` (float32 or float16 storage), or nil for
    /// integer codes or an item without frames.
    public func firstFrame(at k: Int) -> [Float]? {
        guard frames(at: k) >= 1 else { return nil }
        let start = offsets[k] * dims
        return bytes.withUnsafeBytes { raw -> [Float]? in
            switch dtype {
            case .float32: return (0..<dims).map { raw.loadUnaligned(fromByteOffset: (start + $0) * 4, as: Float.self) }
            case .float16: return (0..<dims).map { Float(Float16(bitPattern: raw.loadUnaligned(fromByteOffset: (start + $0) * 2, as: UInt16.self))) }
            default: return nil
            }
        }
    }

    /// The 64-bit FNV-1a hash of a catalog file name (an item's array file), as `fileKeys` holds it.
    public static func fileKey(_ file: String) -> UInt64 { FNV1a.hash(file) }
}
