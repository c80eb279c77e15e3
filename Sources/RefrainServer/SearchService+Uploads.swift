import Foundation
import HTTPTypes
import Hummingbird

/// A file a request carried: its bytes, the extension the engine will read it by, a display name (for result
/// ids and messages; never a path), and the whole form when it came as multipart.
struct Upload: Sendable {
    var data: Data
    var ext: String
    var name: String
    var form: MultipartForm?
}

extension SearchService {
    /// Reads the file `request` carries and runs `body` with it, in this order of refusals: an unsupported
    /// `Content-Type` (415) or a declared length over the limit (413) before a byte is read; a full line of
    /// jobs (503) or no memory left for bodies (503) before reading; then a body too large (413), too slow
    /// (408), a malformed multipart form or one without a `file` field (400), an empty file (422).
    /// The body's memory stays reserved until `body` returns.
    func withUpload<T: Sendable>(_ request: Request, multipartOnly: Bool = false, _ body: (Upload) async throws -> T) async throws -> T {
        let reservation: Int
        let upload: Upload
        do {
            (reservation, upload) = try await readUpload(request, multipartOnly: multipartOnly)
        } catch {
            throw Self.closing(error, request)
        }
        defer { memory.release(reservation) }
        return try await body(upload)
    }

    /// A refusal sent before the request's body was read ends the connection (`RefusedBodyHandler`), so the
    /// server never reads the rest of an upload it turned away.
    static func closing(_ error: any Error, _ request: Request) -> any Error {
        guard var refusal = error as? APIError,
              request.headers[.contentLength].map({ $0 != "0" }) ?? (request.headers[.transferEncoding] != nil) else { return error }
        refusal.headers[.connection] = "close"
        return refusal
    }

    /// The reserved memory and the upload (see `withUpload`); memory is reserved only when this returns.
    private func readUpload(_ request: Request, multipartOnly: Bool) async throws -> (Int, Upload) {
        let contentType = request.headers[.contentType]
        let boundary = try MultipartForm.boundary(contentType: contentType)
        var ext: String?
        if boundary == nil {
            if multipartOnly {
                throw APIError(.unsupportedMediaType, "this endpoint takes a multipart/form-data form, not \(UploadFormat.mediaType(contentType) ?? "a body without a Content-Type")")
            }
            ext = try UploadFormat.fileExtension(mediaType: UploadFormat.mediaType(contentType))
        }
        let limit = settings.maxUploadBytes
        let declared = try RequestBodyReader.declaredLength(request, limit: limit)
        if pool.isFull { throw busy() }
        let reservation = declared ?? limit
        guard memory.reserve(reservation) else {
            throw APIError(.serviceUnavailable, "the server is receiving as many uploads as it can hold; try again shortly",
                           headers: [.retryAfter: "1"])
        }
        var reserved = true
        defer { if reserved { memory.release(reservation) } }
        let data = try await RequestBodyReader.read(request, limit: limit, declared: declared, timeout: settings.readTimeout)
        var upload: Upload
        if let boundary {
            let form = try MultipartForm(body: data, boundary: boundary)
            guard let file = form.part("file") else { throw APIError.badRequest("the form has no 'file' field") }
            let fileExt = try UploadFormat.fileExtension(fileName: file.fileName, mediaType: file.mediaType)
            upload = Upload(data: file.data, ext: fileExt, name: UploadFormat.displayName(file.fileName ?? "upload.\(fileExt)"), form: form)
        } else {
            upload = Upload(data: data, ext: ext ?? "bin", name: "upload.\(ext ?? "bin")", form: nil)
        }
        guard !upload.data.isEmpty else { throw APIError(.unprocessableContent, "\(upload.name): the upload is empty") }
        reserved = false  // handed to the caller
        return (reservation, upload)
    }
}
