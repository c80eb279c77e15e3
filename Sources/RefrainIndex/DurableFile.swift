import Foundation
import RefrainMath

/// Crash-safe file writes: the bytes go to a temporary name in the same directory, are flushed to disk
/// (`fsync`), renamed into place, and the directory is flushed too, so after a crash the file is either
/// absent or complete.
public enum DurableFile {
    /// Suffix of in-flight temporary files; an index sweeps leftovers on open.
    public static let temporarySuffix = ".partial"

    /// Writes `data` to `url` durably, creating the parent directory if needed. With `sync: false` the
    /// bytes go to a temporary name and are renamed into place without being flushed: the caller makes
    /// them durable later (`syncFiles`), before anything refers to them.
    public static func write(_ data: Data, to url: URL, sync: Bool = true) throws {
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
        ok = ok && (!sync || fsync(fd) == 0)
        close(fd)
        guard ok else {
            unlink(temporary.path)
            throw ioError(url, "cannot write")
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw ioError(url, "cannot rename into place")
        }
        if sync { try syncDirectory(directory) }
    }

    /// Makes files written with `sync: false` durable, with their directory entries. Many files are
    /// flushed with one `syncfs` of the file system that holds `root` (one call instead of a flush per
    /// file and per directory); a few are flushed one by one.
    public static func syncFiles(_ urls: [URL], under root: URL) throws {
        guard !urls.isEmpty else { return }
        if urls.count > 8, let syncfs = Self.syncfs {
            let fd = open(root.path, O_RDONLY)
            guard fd >= 0 else { throw ioError(root, "cannot open directory") }
            defer { close(fd) }
            guard syncfs(fd) == 0 else { throw ioError(root, "cannot sync the file system") }
            return
        }
        for url in urls { try syncFile(url) }
        for directory in Set(urls.map { $0.deletingLastPathComponent().path }).sorted() {
            try syncDirectory(URL(fileURLWithPath: directory))
        }
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

    /// Linux's `syncfs(2)`, looked up at run time (Glibc's Swift module does not export it); nil elsewhere.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    static func createDirectory(_ url: URL) throws {
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) } catch {
            throw ioError(url, "cannot create directory")
        }
    }

    static func ioError(_ url: URL, _ what: String) -> RefrainError {
        RefrainError(.io, "\(url.path): \(what) (\(String(cString: strerror(errno))))")
    }
}
