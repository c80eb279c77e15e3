import Foundation

/// A `multipart/form-data` body (RFC 7578) split into its parts, each with its field name, file name, media
/// type and content.
///
/// The whole body is in memory (it was read under the upload limit). A body cut short (no closing
/// delimiter), a part without headers or a `Content-Disposition` name, more than `maxParts` parts or part
/// headers over `maxHeaderBytes` are refused with a 400.
struct MultipartForm: Sendable {
    struct Part: Sendable {
        var name: String
        var fileName: String?
        var mediaType: String?
        var data: Data
    }

    var parts: [Part]

    static let maxParts = 16
    static let maxHeaderBytes = 8192

    /// The first part named `name`.
    func part(_ name: String) -> Part? { parts.first { $0.name == name } }

    /// The text of the field `name` (UTF-8), or nil when absent.
    func text(_ name: String) throws -> String? {
        guard let part = part(name) else { return nil }
        guard let text = String(data: part.data, encoding: .utf8) else { throw APIError.badRequest("the form field '\(name)' is not UTF-8 text") }
        return text
    }

    /// The boundary of a `multipart/form-data` content type, or nil when the type is another.
    static func boundary(contentType: String?) throws -> String? {
        guard let contentType, UploadFormat.mediaType(contentType) == "multipart/form-data" else { return nil }
        for parameter in contentType.split(separator: ";").dropFirst() {
            let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, pair[0].lowercased() == "boundary" else { continue }
            var value = pair[1]
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            // RFC 2046: 1 to 70 characters.
            guard (1...70).contains(value.utf8.count) else { break }
            return value
        }
        throw APIError.badRequest("the multipart/form-data Content-Type has no valid boundary")
    }

    /// Parses `body` delimited by `boundary`.
    init(body: Data, boundary: String) throws {
        let truncated = APIError.badRequest("the multipart body is cut short or malformed (no closing boundary)")
        let delimiter = Data("--\(boundary)".utf8)
        let crlf = Data("\r\n".utf8)
        let headerEnd = Data("\r\n\r\n".utf8)
        // The first delimiter may follow a preamble; later ones follow CRLF.
        guard let first = body.range(of: delimiter) else { throw truncated }
        var cursor = first.upperBound
        var parts: [Part] = []
        while true {
            // After a delimiter: "--" closes the body, CRLF starts a part (transport padding allowed).
            if body[cursor...].starts(with: Data("--".utf8)) { break }
            while cursor < body.endIndex, body[cursor] == UInt8(ascii: " ") || body[cursor] == UInt8(ascii: "\t") { cursor += 1 }
            guard body[cursor...].starts(with: crlf) else { throw truncated }
            cursor += 2
            guard parts.count < Self.maxParts else { throw APIError.badRequest("the multipart body has more than \(Self.maxParts) parts") }
            let searchEnd = min(body.endIndex, cursor + Self.maxHeaderBytes + 4)
            let headersRange: Range<Data.Index>
            if body[cursor...].starts(with: crlf) {
                headersRange = cursor..<cursor  // no headers
                cursor += 2
            } else {
                guard let end = body.range(of: headerEnd, in: cursor..<searchEnd) else {
                    throw searchEnd == body.endIndex ? truncated : APIError.badRequest("a multipart part's headers are longer than \(Self.maxHeaderBytes) bytes")
                }
                headersRange = cursor..<end.lowerBound
                cursor = end.upperBound
            }
            guard let next = body.range(of: crlf + delimiter, in: cursor..<body.endIndex) else { throw truncated }
            let headers = String(decoding: body[headersRange], as: UTF8.self)
            parts.append(try Self.part(headers: headers, data: Data(body[cursor..<next.lowerBound])))
            cursor = next.upperBound
        }
        self.parts = parts
    }

    /// A part from its header block.
    static func part(headers: String, data: Data) throws -> Part {
        var name: String?
        var fileName: String?
        var mediaType: String?
        for line in headers.components(separatedBy: "\r\n") where !line.isEmpty {
            let pair = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2 else { throw APIError.badRequest("a multipart part has a malformed header line") }
            switch pair[0].lowercased() {
            case "content-disposition":
                let parameters = dispositionParameters(pair[1])
                name = parameters["name"]
                fileName = parameters["filename"]
            case "content-type":
                mediaType = UploadFormat.mediaType(pair[1])
            default:
                break
            }
        }
        guard let name, !name.isEmpty else { throw APIError.badRequest("a multipart part has no Content-Disposition name") }
        return Part(name: name, fileName: fileName, mediaType: mediaType, data: data)
    }

    /// `form-data; name="file"; filename="a.wav"` as a dictionary (keys lower case; quoted values unquoted,
    /// with backslash escapes; semicolons inside quotes kept).
    static func dispositionParameters(_ value: String) -> [String: String] {
        var out: [String: String] = [:]
        var scalars = Array(value.unicodeScalars)[...]
        // Skip the disposition type.
        while let c = scalars.first, c != ";" { scalars.removeFirst() }
        while !scalars.isEmpty {
            scalars.removeFirst()  // ";"
            while let c = scalars.first, c == " " || c == "\t" { scalars.removeFirst() }
            var key = ""
            while let c = scalars.first, c != "=", c != ";" { key.unicodeScalars.append(c); scalars.removeFirst() }
            guard scalars.first == "=" else { continue }
            scalars.removeFirst()
            var text = ""
            if scalars.first == "\"" {
                scalars.removeFirst()
                while let c = scalars.first {
                    scalars.removeFirst()
                    if c == "\"" { break }
                    if c == "\\", let escaped = scalars.first { text.unicodeScalars.append(escaped); scalars.removeFirst(); continue }
                    text.unicodeScalars.append(c)
                }
                while let c = scalars.first, c != ";" { scalars.removeFirst() }
            } else {
                while let c = scalars.first, c != ";" { text.unicodeScalars.append(c); scalars.removeFirst() }
                text = text.trimmingCharacters(in: .whitespaces)
            }
            out[key.trimmingCharacters(in: .whitespaces).lowercased()] = text
        }
        return out
    }
}
