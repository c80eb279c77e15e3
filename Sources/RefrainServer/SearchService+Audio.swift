import Foundation
import HTTPTypes
import Hummingbird
import Refrain

extension SearchService {
    /// `GET /api/items/{key}/audio`: the recording an audio item was added from, with byte ranges (206,
    /// `Content-Range`; 416 past the end), so a browser can seek to the matched span. Only the file the index
    /// names for that key is ever read, and only while it is still a regular file there.
    func audio(_ request: Request, context: BasicRequestContext, key: String) async throws -> Response {
        guard let item = try engine.item(key: key) else { throw Self.noItem(key) }
        guard let url = try engine.audioFile(key: key) else {
            throw APIError.notFound(item.kind == .audio
                ? "the recording of '\(key)' is no longer where it was added from"
                : "'\(key)' is a \(item.kind.rawValue) item; only recordings can be played")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        guard let size = (attributes?[.size] as? NSNumber)?.intValue else {
            throw APIError.notFound("the recording of '\(key)' cannot be read")
        }
        let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let tag = "\"\(String(size, radix: 16))-\(String(Int(modified * 1000), radix: 16))\""
        var headers: HTTPFields = [:]
        headers[.contentType] = UploadFormat.audioMediaType(forExtension: url.pathExtension)
        headers[.acceptRanges] = "bytes"
        headers[.eTag] = tag
        headers[.cacheControl] = "no-cache"
        var range = ByteRange(header: request.headers[.range], size: size)
        if let condition = request.headers[.ifRange], condition != tag { range = .whole }
        switch range {
        case .unsatisfiable:
            throw APIError(.rangeNotSatisfiable, "the range \(request.headers[.range] ?? "") is outside the recording's \(size) bytes",
                           headers: [.contentRange: "bytes */\(size)"])
        case .whole:
            headers[.contentLength] = String(size)
            let body = size == 0 ? ResponseBody() : try await fileIO.loadFile(path: url.path, range: 0...(size - 1), context: context)
            return Response(status: .ok, headers: headers, body: body)
        case .part(let bytes):
            headers[.contentLength] = String(bytes.count)
            headers[.contentRange] = "bytes \(bytes.lowerBound)-\(bytes.upperBound)/\(size)"
            let body = try await fileIO.loadFile(path: url.path, range: bytes, context: context)
            return Response(status: .partialContent, headers: headers, body: body)
        }
    }
}
