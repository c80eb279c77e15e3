import Foundation

/// Where files added through the API are kept: `uploads/` inside the index directory, under names the server
/// makes (`UUID.ext`), so that an uploaded recording can be played back and re-encoded like any other, and no
/// name or path from a client ever reaches the file system. Each file is written to a temporary name,
/// synced and renamed, so a file under its final name is always whole.
struct UploadStore: Sendable {
    let folder: URL

    init(indexDirectory: URL) {
        folder = indexDirectory.appendingPathComponent("uploads", isDirectory: true)
    }

    /// Writes `data` as a new file with extension `ext` (one the server chose); returns its URL.
    func save(_ data: Data, ext: String) throws -> URL {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let name = UUID().uuidString.lowercased()
        let temporary = folder.appendingPathComponent(".\(name).part")
        let final = folder.appendingPathComponent("\(name).\(ext)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw APIError(.internalServerError, "the upload could not be stored")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            defer { try? handle.close() }
            try handle.write(contentsOf: data)
            try handle.synchronize()
            guard rename(temporary.path, final.path) == 0 else { throw APIError(.internalServerError, "the upload could not be stored") }
        } catch {
            unlink(temporary.path)
            throw error as? APIError ?? APIError(.internalServerError, "the upload could not be stored")
        }
        return final
    }

    /// Whether `path` is a file this store made (directly inside its folder).
    func owns(_ path: String) -> Bool {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        return url.deletingLastPathComponent().path == folder.standardizedFileURL.path
    }

    /// Deletes a file this store made; other paths are left alone.
    func delete(_ path: String) {
        guard owns(path) else { return }
        unlink(path)
    }
}
