import Foundation
import RefrainMath

/// What a writable `IndexStore` has written that the catalog does not reference yet, so that a clean close can
/// leave a `writer.clean` marker and the next writer can skip the sweep of unreferenced files (at 100,000 items
/// the sweep lists about 500,000 files: minutes). The marker is removed (durably) when a writer opens the index,
/// so a writer killed at any moment leaves no marker and the next one sweeps.
final class WriterSession: @unchecked Sendable {
    /// Name of the marker file in the index directory.
    static let cleanMarker = "writer.clean"

    private var pending = Set<String>()
    private var clean = true
    private let lock = NSLock()

    /// A file written under its final name, not yet referenced by the catalog.
    func staged(_ url: URL) { lock.lock(); pending.insert(url.path); lock.unlock() }

    /// Files that are now referenced by the catalog or deleted.
    func settled(_ urls: [URL]) { lock.lock(); for url in urls { pending.remove(url.path) }; lock.unlock() }

    /// A commit failed part-way: what is on disk is uncertain, so the close leaves no marker.
    func markUnclean() { lock.lock(); clean = false; lock.unlock() }

    /// Removes the marker of `directory` when it is there (then the last writer closed cleanly and left no
    /// unreferenced files). Returns whether it was there.
    static func takeMarker(in directory: URL) throws -> Bool {
        let marker = directory.appendingPathComponent(cleanMarker)
        guard FileManager.default.fileExists(atPath: marker.path) else { return false }
        guard unlink(marker.path) == 0 else { throw RefrainError(.io, "\(marker.path): cannot remove the clean-close marker") }
        try DurableFile.syncDirectory(directory)
        return true
    }

    /// At the close of a writer: deletes the files staged but never committed and writes the marker, unless a
    /// commit failed part-way (then the next writer sweeps). Best effort: a failure here only costs a sweep.
    func close(in directory: URL) {
        lock.lock()
        defer { lock.unlock() }
        guard clean else { return }
        for path in pending { unlink(path) }
        pending.removeAll()
        try? DurableFile.write(Data("closed cleanly\n".utf8), to: directory.appendingPathComponent(Self.cleanMarker))
    }
}
