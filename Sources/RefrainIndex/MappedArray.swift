import Foundation
import RefrainMath

/// A `frames x dims` `.npy` file of one of the stored types (`StoredDType`, C order, little-endian, as
/// `NPY.encode` makes them) mapped into memory: reading a stored feature sequence costs no copy until the
/// caller asks for one.
public final class MappedArray: @unchecked Sendable {
    public let frames: Int
    public let dims: Int
    public let dtype: StoredDType
    private let data: Data
    private let payloadOffset: Int

    /// Maps `url`, which must hold a 2-D C-order array of a stored type.
    public convenience init(url: URL) throws {
        try self.init(path: url.path)
    }

    /// Maps the file at `path` (a file-system path), which must hold a 2-D C-order array of a stored type.
    /// The file is opened and mapped with POSIX calls: `Data(contentsOf:options: .alwaysMapped)` parsed
    /// the URL and read the file's attributes through Foundation, which cost an exact stage more than its
    /// DTW on the first query that touched an item (a tenth of the hashed cascade's query time, perf,
    /// twelfth round).
    public init(path: String) throws {
        data = try Self.map(path)
        let bytes = data
        let magic = bytes.withUnsafeBytes { raw in raw.count >= 10 && zip(raw.prefix(6), NPY.magic).allSatisfy { $0 == $1 } && raw[6] == 1 }
        guard magic else { throw RefrainError(.index, "\(path): stored array is not a version 1 .npy file") }
        let headerLength = Int(bytes[bytes.startIndex + 8]) | Int(bytes[bytes.startIndex + 9]) << 8
        let malformed = RefrainError(.index, "\(path): stored array is not a C-order float32, float16 or uint16/32/64 .npy file")
        guard 10 + headerLength <= bytes.count else { throw malformed }
        var parsed = bytes.withUnsafeBytes { Self.canonicalHeader(UnsafeRawBufferPointer(rebasing: $0[10..<(10 + headerLength)])) }
        if parsed == nil {
            guard let header = String(data: bytes.subdata(in: 10..<(10 + headerLength)), encoding: .ascii),
                  let (descr, fortran, shape) = try? NPY.parseHeader(header), !fortran else { throw malformed }
            parsed = (descr, shape)
        }
        guard let (descr, shape) = parsed, let npyType = NPYArray.DType(rawValue: descr), let dtype = StoredDType(npy: npyType)
        else { throw malformed }
        // The byte count in checked arithmetic: a hostile header's shape (up to 18 digits a side) must not trap.
        let (cells, cellsOverflow) = shape.count == 2 ? shape[0].multipliedReportingOverflow(by: shape[1]) : (0, true)
        let (payload, payloadOverflow) = cells.multipliedReportingOverflow(by: dtype.size)
        guard !cellsOverflow, !payloadOverflow, payload <= bytes.count - 10 - headerLength
        else { throw RefrainError(.index, "\(path): stored array has a bad shape or is truncated") }
        self.frames = shape[0]
        self.dims = shape[1]
        self.dtype = dtype
        self.payloadOffset = 10 + headerLength
    }

    /// The type and shape of a header exactly as `NPY.encode` writes a 2-D array
    /// (`{'descr': '<f4', 'fortran_order': False, 'shape': (90, 12), }`, spaces, a newline), read byte by byte;
    /// nil for any other header, which `NPY.parseHeader` then reads (it gives the same for these). Parsing every
    /// header through strings was a third of mapping a file, and an exact stage maps each candidate's file on
    /// its first query (perf, round 15).
    static func canonicalHeader(_ header: UnsafeRawBufferPointer) -> (descr: String, shape: [Int])? {
        var at = 0
        func skip(_ text: StaticString) -> Bool {
            let count = text.utf8CodeUnitCount
            guard at + count <= header.count else { return false }
            for k in 0..<count where header[at + k] != text.utf8Start[k] { return false }
            at += count
            return true
        }
        func number() -> Int? {
            var value = 0, digits = 0
            while at < header.count, header[at] >= 0x30, header[at] <= 0x39, digits < 18 {
                value = value * 10 + Int(header[at] - 0x30)
                at += 1
                digits += 1
            }
            return digits > 0 && (at == header.count || header[at] < 0x30 || header[at] > 0x39) ? value : nil
        }
        guard skip("{'descr': '") else { return nil }
        let start = at
        while at < header.count, header[at] != 0x27, header[at] >= 0x20, header[at] < 0x7F { at += 1 }
        guard at < header.count, header[at] == 0x27, at > start else { return nil }
        let descr = String(decoding: UnsafeRawBufferPointer(rebasing: header[start..<at]), as: UTF8.self)
        guard skip("', 'fortran_order': False, 'shape': ("), let rows = number(), skip(", "), let cols = number(), skip("), }")
        else { return nil }
        while at < header.count, header[at] == 0x20 { at += 1 }
        guard at == header.count - 1, header[at] == 0x0A else { return nil }
        return (descr, [rows, cols])
    }

    /// Calls `body` with the `frames * dims` row-major elements of a `float32` array.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        precondition(dtype == .float32, "withUnsafeBufferPointer reads float32 arrays; this one is \(dtype.rawValue)")
        return try withElements(of: Float.self, body)
    }

    /// Calls `body` with the elements as `Float`: in place for `float32`, converted into a temporary buffer
    /// for `float16`. Integer arrays (hash codes) are not features: use `withElements(of:)`.
    public func withFloats<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        switch dtype {
        case .float32:
            return try withElements(of: Float.self, body)
        case .float16:
            let converted = withElements(of: UInt16.self) { $0.map { Float(Float16(bitPattern: $0)) } }
            return try converted.withUnsafeBufferPointer(body)
        default:
            preconditionFailure("withFloats reads float arrays; this one holds \(dtype.rawValue) codes")
        }
    }

    /// Calls `body` with the raw elements as `T`, which must match `dtype` in size (e.g. `UInt64` for
    /// `uint64` hash codes).
    public func withElements<T, R>(of type: T.Type, _ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        precondition(MemoryLayout<T>.size == dtype.size, "\(T.self) does not match stored \(dtype.rawValue)")
        return try data.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: payloadOffset)
            // .npy headers are padded to 64 bytes and mmap is page-aligned, so the payload is aligned for T.
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: T.self), count: frames * dims))
        }
    }

    /// The whole file at `path`, mapped read-only (an empty file as empty data: nothing to map).
    private static func map(_ path: String) throws -> Data {
        func failure(_ what: String) -> RefrainError {
            RefrainError(.index, "\(path): cannot map stored array (\(what): \(String(cString: strerror(errno))))")
        }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure("open") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("fstat") }
        let size = Int(status.st_size)
        guard size > 0 else { return Data() }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else { throw failure("mmap") }
        return Data(bytesNoCopy: base, count: size, deallocator: .custom { pointer, count in munmap(pointer, count) })
    }

    /// A copy as a `Float` matrix (float types only).
    public func matrix() -> Matrix {
        withFloats { Matrix(rows: frames, cols: dims, storage: Array($0)) }
    }
}
