import Foundation
import HTTPTypes
import Hummingbird
import Refrain

/// A request the API refuses: an HTTP status and one sentence, sent as `{"error": {"status", "message"}}`.
///
/// Every refusal of the server is one of these (the request log middleware turns Hummingbird's own errors and
/// anything unexpected into one too), so a client always gets one line of JSON it can show.
struct APIError: Error, Sendable {
    var status: HTTPResponse.Status
    var message: String
    /// Extra headers (`Retry-After`, `WWW-Authenticate`, `Content-Range` ...).
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.headers = headers
    }

    /// The JSON response.
    var response: Response {
        struct Body: Encodable {
            struct Detail: Encodable { var status: Int; var message: String }
            var error: Detail
        }
        var response = JSONBody.response(Body(error: .init(status: status.code, message: message)), status: status)
        for field in headers { response.headers[field.name] = field.value }
        return response
    }

    /// The status for an engine error: bad options 400, undecodable or unreadable uploads 422, kinds of input
    /// Refrain does not read 415, an index that cannot answer now 503, anything else 500.
    static func from(_ error: RefrainError) -> APIError {
        switch error.kind {
        case .invalidArgument: return APIError(.badRequest, error.message)
        case .invalidFile, .fileNotFound: return APIError(.unprocessableContent, error.message)
        case .unsupported: return APIError(.unsupportedMediaType, error.message)
        case .index: return APIError(.serviceUnavailable, error.message)
        case .io, .missingResource: return APIError(.internalServerError, error.message)
        }
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, message) }
}

/// JSON bodies as the API writes them: UTF-8, keys sorted (as `refrain ... --json` prints them), slashes
/// unescaped.
enum JSONBody {
    static func data<T: Encodable>(_ value: T) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Every value the API encodes is plain data; a failure here is a programming error.
        return (try? encoder.encode(value)) ?? Data(#"{"error":{"status":500,"message":"the response could not be encoded"}}"#.utf8)
    }

    static func response<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = self.data(value)
        var headers: HTTPFields = [:]
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.contentLength] = String(data.count)
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
