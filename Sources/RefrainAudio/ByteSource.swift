import Foundation
import RefrainMath

/// Random access to the bytes of an encoded file, on disk or in memory, for the checks that read a
/// container's own structure (`ContainerLength`, `MPEGStream`) beside libsndfile.
struct ByteSource {
    /// Length of the file in bytes.
    let size: Int
    private let storage: Storage

    private enum Storage {
        case memory([UInt8])
        case file(FileBytes)
    }

    /// The bytes of an encoded file held in memory.
    init(bytes: [UInt8]) {
        size = bytes.count
        storage = .memory(bytes)
    }

    /// The file at `url`, read on demand; nil when it cannot be opened.
    init?(url: URL) {
        guard let file = FileBytes(url) else { return nil }
        size = file.size
        storage = .file(file)
    }

    /// Up to `count` bytes from `offset` (fewer near the end of the file, none outside it).
    func bytes(at offset: Int, count: Int) -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        let n = min(count, size - offset)
        switch storage {
        case .memory(let bytes): return Array(bytes[offset..<(offset + n)])
        case .file(let file): return file.read(at: offset, count: n)
        }
    }

    /// Every byte of the file.
    func all() -> [UInt8] { bytes(at: 0, count: size) }
}

/// An open file read with `pread`, closed when the last reference goes.
private final class FileBytes {
    let descriptor: Int32
    let size: Int

    init?(_ url: URL) {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { return nil }
        var status = stat()
        guard fstat(fd, &status) == 0 else { close(fd); return nil }
        descriptor = fd
        size = Int(status.st_size)
    }

    deinit { close(descriptor) }

    func read(at offset: Int, count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = out.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, count - done, off_t(offset + done)) }
            if got <= 0 { break }
            done += got
        }
        out.removeLast(count - done)
        return out
    }
}
