import Foundation

/// An n-dimensional array as stored in a NumPy `.npy` file: element type, shape and raw little-endian
/// bytes in C (row-major) order.
///
/// Format: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html (versions 1.0-3.0).
/// Refrain writes version 1.0 files, which `numpy.load` reads as they are.
public struct NPYArray: Equatable, Sendable {
    /// Element types Refrain reads and writes, named by their little-endian NumPy `descr`.
    public enum DType: String, Sendable, CaseIterable {
        case float16 = "<f2", float32 = "<f4", float64 = "<f8"
        case int8 = "|i1", uint8 = "|u1", int16 = "<i2", uint16 = "<u2"
        case int32 = "<i4", uint32 = "<u4", int64 = "<i8", uint64 = "<u8"
        case bool = "|b1"

        /// Bytes per element.
        public var size: Int {
            switch self {
            case .int8, .uint8, .bool: return 1
            case .int16, .uint16, .float16: return 2
            case .float32, .int32, .uint32: return 4
            case .float64, .int64, .uint64: return 8
            }
        }
    }

    public var dtype: DType
    /// Dimensions, outermost first; `[]` is a scalar.
    public var shape: [Int]
    /// Elements, little-endian, C order.
    public var bytes: [UInt8]

    /// Number of elements: the product of `shape`.
    public var count: Int { shape.reduce(1, *) }

    public init(dtype: DType, shape: [Int], bytes: [UInt8]) {
        precondition(bytes.count == shape.reduce(1, *) * dtype.size, "byte count does not match shape")
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An array of `values` with `shape` (default: 1-D); the element type follows `T`.
    public init<T: NPYElement>(_ values: [T], shape: [Int]? = nil) {
        let shape = shape ?? [values.count]
        precondition(shape.reduce(1, *) == values.count, "shape does not match element count")
        self.dtype = T.npyType
        self.shape = shape
        self.bytes = values.withUnsafeBytes { Array($0) }
    }

    /// A 2-D `float32` array of the matrix, `rows x cols`.
    public init(_ matrix: Matrix) {
        self.init(matrix.storage, shape: [matrix.rows, matrix.cols])
    }

    /// A 2-D `float16` array of the matrix, `rows x cols` (IEEE half precision, rounded to nearest even;
    /// values beyond ±65504 become infinite): half the bytes of `float32`, about 3 significant digits.
    public init(float16 matrix: Matrix) {
        let halves = matrix.storage.map { Float16($0).bitPattern }
        self.init(dtype: .float16, shape: [matrix.rows, matrix.cols], bytes: halves.withUnsafeBytes { Array($0) })
    }

    /// The elements as `T` when the stored type is exactly `T`, else nil.
    public func values<T: NPYElement>(as type: T.Type = T.self) -> [T]? {
        guard dtype == T.npyType else { return nil }
        return bytes.withUnsafeBytes { raw in Array(raw.bindMemory(to: T.self)) }
    }

    /// The elements converted to `Float` (any numeric type).
    public func floats() -> [Float] {
        bytes.withUnsafeBytes { raw -> [Float] in
            func convert<T>(_ t: T.Type, _ f: (T) -> Float) -> [Float] {
                (0..<count).map { f(raw.loadUnaligned(fromByteOffset: $0 * dtype.size, as: T.self)) }
            }
            switch dtype {
            case .float32: return Array(raw.bindMemory(to: Float.self))
            case .float16: return convert(UInt16.self) { Float(Float16(bitPattern: $0)) }
            case .float64: return convert(Double.self) { Float($0) }
            case .int8: return convert(Int8.self) { Float($0) }
            case .uint8, .bool: return convert(UInt8.self) { Float($0) }
            case .int16: return convert(Int16.self) { Float($0) }
            case .uint16: return convert(UInt16.self) { Float($0) }
            case .int32: return convert(Int32.self) { Float($0) }
            case .uint32: return convert(UInt32.self) { Float($0) }
            case .int64: return convert(Int64.self) { Float($0) }
            case .uint64: return convert(UInt64.self) { Float($0) }
            }
        }
    }

    /// The array as a matrix: 2-D as it is, 1-D as one column (`n x 1`), converted to `Float`.
    public func matrix() throws -> Matrix {
        switch shape.count {
        case 1: return Matrix(rows: shape[0], cols: 1, storage: floats())
        case 2: return Matrix(rows: shape[0], cols: shape[1], storage: floats())
        default: throw RefrainError.invalidArgument("expected a 1-D or 2-D array, got shape \(shape)")
        }
    }
}

/// Element types that map one-to-one onto a NumPy dtype.
public protocol NPYElement {
    static var npyType: NPYArray.DType { get }
}
extension Float: NPYElement { public static var npyType: NPYArray.DType { .float32 } }
extension Double: NPYElement { public static var npyType: NPYArray.DType { .float64 } }
extension Int8: NPYElement { public static var npyType: NPYArray.DType { .int8 } }
extension UInt8: NPYElement { public static var npyType: NPYArray.DType { .uint8 } }
extension Int16: NPYElement { public static var npyType: NPYArray.DType { .int16 } }
extension UInt16: NPYElement { public static var npyType: NPYArray.DType { .uint16 } }
extension Int32: NPYElement { public static var npyType: NPYArray.DType { .int32 } }
extension UInt32: NPYElement { public static var npyType: NPYArray.DType { .uint32 } }
extension Int64: NPYElement { public static var npyType: NPYArray.DType { .int64 } }
extension UInt64: NPYElement { public static var npyType: NPYArray.DType { .uint64 } }

/// Reading and writing `.npy` files.
public enum NPY {
    public static let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]  // "\x93NUMPY"
    /// Headers longer than this are refused as hostile (NumPy itself limits them to 10 kB by default).
    static let maxHeaderLength = 65_536

    /// Reads a `.npy` file.
    public static func read(_ url: URL) throws -> NPYArray {
        guard FileManager.default.fileExists(atPath: url.path) else { throw RefrainError.fileNotFound(url.path) }
        let data: Data
        do { data = try Data(contentsOf: url, options: .mappedIfSafe) } catch {
            throw RefrainError(.io, "\(url.path): cannot read (\(error.localizedDescription))")
        }
        do { return try decode(data) } catch let error as RefrainError {
            throw RefrainError.invalidFile(url.path, error.message)
        }
    }

    /// Reads a 1-D or 2-D `.npy` file as a matrix.
    public static func readMatrix(_ url: URL) throws -> Matrix {
        try read(url).matrix()
    }

    /// Writes `array` to `url` atomically (a temporary file renamed into place).
    public static func write(_ array: NPYArray, to url: URL) throws {
        do { try encode(array).write(to: url, options: .atomic) } catch {
            throw RefrainError(.io, "\(url.path): cannot write (\(error.localizedDescription))")
        }
    }

    /// Writes a matrix as a 2-D `float32` array.
    public static func write(_ matrix: Matrix, to url: URL) throws {
        try write(NPYArray(matrix), to: url)
    }

    /// The bytes of a version 1.0 `.npy` file holding `array`.
    public static func encode(_ array: NPYArray) -> Data {
        let shapeText: String
        switch array.shape.count {
        case 0: shapeText = "()"
        case 1: shapeText = "(\(array.shape[0]),)"
        default: shapeText = "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var header = "{'descr': '\(array.dtype.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        // Magic (6) + version (2) + length (2) + header + newline, padded with spaces to a multiple of 64.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data(magic)
        data.append(contentsOf: [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xFF), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        data.append(contentsOf: array.bytes)
        return data
    }

    /// Parses the bytes of a `.npy` file. Big-endian and Fortran-ordered arrays are converted to
    /// little-endian C order.
    public static func decode(_ data: Data) throws -> NPYArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else {
            throw RefrainError(.invalidFile, "not a .npy file (bad magic)")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw RefrainError(.invalidFile, "truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw RefrainError(.invalidFile, "unsupported .npy version \(major)")
        }
        guard headerLength <= maxHeaderLength, headerStart + headerLength <= bytes.count else {
            throw RefrainError(.invalidFile, "truncated or oversized .npy header")
        }
        guard let header = String(bytes: bytes[headerStart..<(headerStart + headerLength)], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw RefrainError(.invalidFile, "unreadable .npy header")
        }
        let (descr, fortran, shape) = try parseHeader(header)
        var littleDescr = descr
        let bigEndian = descr.hasPrefix(">")
        if bigEndian || descr.hasPrefix("=") { littleDescr = "<" + descr.dropFirst() }
        if littleDescr.hasSuffix("1") || littleDescr.hasSuffix("b1") { littleDescr = "|" + littleDescr.dropFirst() }
        guard let dtype = NPYArray.DType(rawValue: littleDescr) else {
            throw RefrainError(.unsupported, "unsupported .npy element type '\(descr)'")
        }
        var count = 1
        for d in shape {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard d >= 0, !overflow else { throw RefrainError(.invalidFile, "impossible .npy shape \(shape)") }
            count = product
        }
        let (byteCount, overflow) = count.multipliedReportingOverflow(by: dtype.size)
        let start = headerStart + headerLength
        guard !overflow, bytes.count - start >= byteCount else {
            throw RefrainError(.invalidFile, "truncated .npy data: shape \(shape) needs \(byteCount) bytes")
        }
        var payload = Array(bytes[start..<(start + byteCount)])
        if bigEndian && dtype.size > 1 {
            for i in stride(from: 0, to: payload.count, by: dtype.size) { payload[i..<(i + dtype.size)].reverse() }
        }
        var array = NPYArray(dtype: dtype, shape: shape, bytes: payload)
        if fortran && shape.count > 1 { array = fortranToC(array) }
        return array
    }

    /// Extracts `descr`, `fortran_order` and `shape` from the Python dict literal of a header.
    public static func parseHeader(_ header: String) throws -> (descr: String, fortran: Bool, shape: [Int]) {
        func value(after key: String) -> Substring? {
            guard let range = header.range(of: "'\(key)':") else { return nil }
            return header[range.upperBound...].drop(while: { $0 == " " })
        }
        guard let d = value(after: "descr"), d.first == "'" || d.first == "\"",
              let end = d.dropFirst().firstIndex(where: { $0 == "'" || $0 == "\"" }) else {
            throw RefrainError(.invalidFile, "no 'descr' in .npy header")
        }
        let descr = String(d[d.index(after: d.startIndex)..<end])
        guard let f = value(after: "fortran_order") else { throw RefrainError(.invalidFile, "no 'fortran_order' in .npy header") }
        let fortran = f.hasPrefix("True")
        guard let s = value(after: "shape"), s.first == "(", let close = s.firstIndex(of: ")") else {
            throw RefrainError(.invalidFile, "no 'shape' in .npy header")
        }
        let inner = s[s.index(after: s.startIndex)..<close]
        var shape: [Int] = []
        for part in inner.split(separator: ",") {
            let text = part.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "L", with: "")
            if text.isEmpty { continue }
            guard let n = Int(text), n >= 0 else { throw RefrainError(.invalidFile, "bad .npy shape '\(inner)'") }
            shape.append(n)
        }
        guard shape.count <= 32 else { throw RefrainError(.invalidFile, "too many .npy dimensions") }
        return (descr, fortran, shape)
    }

    /// Reorders a column-major array into row-major order.
    static func fortranToC(_ array: NPYArray) -> NPYArray {
        let shape = array.shape, size = array.dtype.size, n = array.count
        var out = [UInt8](repeating: 0, count: array.bytes.count)
        // Strides of the Fortran layout for each dimension.
        var fStrides = [Int](repeating: 1, count: shape.count)
        for d in 1..<shape.count { fStrides[d] = fStrides[d - 1] * shape[d - 1] }
        var index = [Int](repeating: 0, count: shape.count)
        for c in 0..<n {
            var f = 0
            for d in 0..<shape.count { f += index[d] * fStrides[d] }
            for b in 0..<size { out[c * size + b] = array.bytes[f * size + b] }
            var d = shape.count - 1
            while d >= 0 { index[d] += 1; if index[d] < shape[d] { break }; index[d] = 0; d -= 1 }
        }
        return NPYArray(dtype: array.dtype, shape: shape, bytes: out)
    }
}
