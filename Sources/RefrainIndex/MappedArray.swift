import Foundation
import RefrainMath

/// A `frames x dims` Float32 `.npy` file (C order, little-endian, as `NPY.write` makes them) mapped into
/// memory: reading a stored feature sequence costs no copy until the caller asks for one.
public final class MappedArray: @unchecked Sendable {
    public let frames: Int
    public let dims: Int
    private let data: Data
    private let payloadOffset: Int

    /// Maps `url`, which must hold a 2-D `<f4` C-order array.
    public init(url: URL) throws {
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw RefrainError(.index, "\(url.path): cannot map stored array (\(error.localizedDescription))")
        }
        let bytes = data
        guard bytes.count >= 10, bytes.prefix(6).elementsEqual(NPY.magic), bytes[bytes.startIndex + 6] == 1 else {
            throw RefrainError(.index, "\(url.path): stored array is not a version 1 .npy file")
        }
        let headerLength = Int(bytes[bytes.startIndex + 8]) | Int(bytes[bytes.startIndex + 9]) << 8
        guard 10 + headerLength <= bytes.count,
              let header = String(data: bytes.subdata(in: 10..<(10 + headerLength)), encoding: .ascii),
              header.contains("'descr': '<f4'"), header.contains("'fortran_order': False"),
              let open = header.range(of: "'shape': ("), let close = header[open.upperBound...].firstIndex(of: ")")
        else { throw RefrainError(.index, "\(url.path): stored array is not a C-order float32 .npy file") }
        let dimsText = header[open.upperBound..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard dimsText.count == 2, let frames = Int(dimsText[0]), let dims = Int(dimsText[1]),
              frames >= 0, dims >= 0, 10 + headerLength + frames * dims * 4 <= bytes.count
        else { throw RefrainError(.index, "\(url.path): stored array has a bad shape or is truncated") }
        self.frames = frames
        self.dims = dims
        self.payloadOffset = 10 + headerLength
    }

    /// Calls `body` with the `frames * dims` row-major elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try data.withUnsafeBytes { raw in
            let base = raw.baseAddress!.advanced(by: payloadOffset)
            // .npy headers are padded to 64 bytes and mmap is page-aligned, so the payload is Float-aligned.
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: frames * dims))
        }
    }

    /// A copy as a matrix.
    public func matrix() -> Matrix {
        withUnsafeBufferPointer { Matrix(rows: frames, cols: dims, storage: Array($0)) }
    }
}
