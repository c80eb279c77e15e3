import Foundation
import RefrainMath

/// Crash-safe file writes: the bytes go to a temporary name in the same directory, are flushed to disk
/// (`fsync`), renamed into place, and the directory is flushed too, so after a crash the file is either
/// absent or complete.
public enum DurableFile {
    /// Suffix of in-flight temporary files; an index sweeps leftovers on open.
    public static let temporarySuffix = ".partial"

    /// Writes `data` to `url` durably, creating the parent directory if needed.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try createDirectory(directory)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString)\(temporarySuffix)")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ioError(temporary, "cannot create") }
        var ok = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
        ok = ok && fsync(fd) == 0
        close(fd)
        guard ok else {
            unlink(temporary.path)
            throw ioError(url, "cannot write")
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw ioError(url, "cannot rename into place")
        }
        try syncDirectory(directory)
    }

    /// Flushes a file's bytes to disk.
    public static func syncFile(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw ioError(url, "cannot open") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError(url, "cannot sync") }
    }

    /// Flushes a directory's entries (renames, creations, deletions) to disk.
    public static func syncDirectory(_ url: URL) throws {
        let fd = open(url.path, O_RDONLY)
        guard fd >= 0 else { throw ioError(url, "cannot open directory") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw ioError(url, "cannot sync directory") }
    }

    static func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ioError(url, "cannot create directory")
        }
    }

    static func ioError(_ url: URL, _ what: String) -> RefrainError {
        RefrainError(.io, "\(url.path): \(what) (\(String(cString: strerror(errno))))")
    }
}
