import Foundation
import HTTPTypes
import Hummingbird
import Refrain

extension SearchService {
    /// `POST /api/query?task=&top=&by=&path=&transpositions=&key=`: the body is the query file (audio or MIDI, by
    /// `Content-Type`) or a multipart form with a `file` field. Answers `{"results": [QueryResult]}`, the shape
    /// of `refrain query --json`.
    func query(_ request: Request) async throws -> Response {
        let deadline = Date().addingTimeInterval(settings.requestTimeout)
        var options: QueryOptions
        do { options = try queryOptions(request) } catch { throw Self.closing(error, request) }
        return try await withUpload(request) { upload in
            options.id = upload.name
            let engine = self.engine
            let input = QueryInput.bytes(upload.data, name: "upload.\(upload.ext)")
            let frozen = options
            let result = try await onPool(deadline: deadline) { try engine.query(input, options: frozen).result }
            return JSONBody.response(QueryResultsFile(results: [result]))
        }
    }

    /// The query's options from its URL: `task` (auto or a task this index has), `top` (1 to 100), `by`
    /// (item or work), `path` and `transpositions` (true or false), `key` (`estimate`, the default: recordings in
    /// other keys than the query are found; `off`: the query's key only, as `refrain query --no-key-invariance`).
    /// Anything else is a 400.
    func queryOptions(_ request: Request) throws -> QueryOptions {
        let parameters = request.uri.queryParameters
        var options = QueryOptions()
        if let task = parameters["task"] {
            let names = try engine.tasks.map(\.name)
            guard task == "auto" || names.contains(String(task)) else {
                throw APIError.badRequest("this index answers the tasks auto, \(names.joined(separator: ", ")); not '\(task.prefix(60))'")
            }
            options.task = String(task)
        }
        if let top = parameters["top"] {
            guard let count = Int(top), (1...100).contains(count) else { throw APIError.badRequest("top must be a whole number from 1 to 100") }
            options.top = count
        }
        if let by = parameters["by"] {
            guard let ranking = QueryOptions.Ranking(rawValue: String(by)) else { throw APIError.badRequest("by must be item or work") }
            options.by = ranking
        }
        if let path = parameters["path"] { options.path = try Self.flag(path, name: "path") }
        if let shifts = parameters["transpositions"] { options.transpositions = try Self.flag(shifts, name: "transpositions") }
        if let key = parameters["key"] {
            switch key {
            case "estimate": options.keyInvariance = true
            case "off": options.keyInvariance = false
            default: throw APIError.badRequest("key must be estimate or off")
            }
        }
        return options
    }

    static func flag(_ value: Substring, name: String) throws -> Bool {
        switch value.lowercased() {
        case "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw APIError.badRequest("\(name) must be true or false")
        }
    }
}
