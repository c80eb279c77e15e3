import Foundation
import HTTPTypes
import Hummingbird
import Refrain

extension SearchService {
    /// `GET /api/items?offset=&limit=`: `{"items": [...], "offset", "limit", "total"}` in the order added.
    func listItems(_ request: Request) throws -> Response {
        let parameters = request.uri.queryParameters
        var offset = 0, limit = 100
        if let text = parameters["offset"] {
            guard let value = Int(text), value >= 0 else { throw APIError.badRequest("offset must be a whole number, 0 or more") }
            offset = value
        }
        if let text = parameters["limit"] {
            guard let value = Int(text), (1...1000).contains(value) else { throw APIError.badRequest("limit must be a whole number from 1 to 1000") }
            limit = value
        }
        struct Page: Encodable { var items: [ItemJSON]; var offset: Int; var limit: Int; var total: Int }
        let items = try engine.items(offset: offset, limit: limit)
        return JSONBody.response(Page(items: try items.map(json), offset: offset, limit: limit, total: try engine.itemCount))
    }

    /// `GET /api/items/{key}`.
    func showItem(_ key: String) throws -> Response {
        guard let item = try engine.item(key: key) else { throw Self.noItem(key) }
        return JSONBody.response(try json(item))
    }

    /// `POST /api/items` (multipart: `file`, and optionally `key`, `title`, `work`), with the bearer token:
    /// the file is stored under `uploads/` of the index and added as the CLI adds (atomically). 201 with the
    /// new item; 200 with the item already holding the same content; 409 when the key names other content;
    /// 422 when the file cannot be decoded.
    func addItem(_ request: Request) async throws -> Response {
        do { try authorize(request) } catch { throw Self.closing(error, request) }
        let deadline = Date().addingTimeInterval(settings.requestTimeout)
        return try await withUpload(request, multipartOnly: true) { upload in
            let form = upload.form!
            let stem = (upload.name as NSString).deletingPathExtension
            let key = try ItemText.key(try form.text("key") ?? stem)
            let title = try ItemText.label(try form.text("title"), field: "title")
            let work = try ItemText.label(try form.text("work"), field: "work")
            if try engine.item(key: key) != nil {
                throw APIError(.conflict, "the key '\(key)' already names an item; delete it first or choose another key")
            }
            let file = try uploads.save(upload.data, ext: upload.ext)
            let engine = self.engine
            let job = AddJob(key: key, url: file, title: title, work: work, bytes: upload.data)
            let report: AddReport
            do {
                report = try await onPool(deadline: deadline) { try engine.add([job]) }
            } catch let error as APIError where error.status == .gatewayTimeout {
                throw error  // the add goes on and will name the stored file
            } catch {
                uploads.delete(file.path)
                throw error
            }
            struct Added: Encodable { var added: Bool; var item: ItemJSON }
            if let item = report.added.first {
                return JSONBody.response(Added(added: true, item: try json(item)), status: .created)
            }
            uploads.delete(file.path)
            if let existing = report.unchanged.first, let item = try engine.item(key: existing) {
                return JSONBody.response(Added(added: false, item: try json(item)))
            }
            let message = (report.failed.first?.message ?? "the file could not be added").replacingOccurrences(of: file.path, with: upload.name)
            throw APIError(message.contains("already names other content") ? .conflict : .unprocessableContent, message)
        }
    }

    /// `DELETE /api/items/{key}`, with the bearer token: removes the item (and its stored upload, if it came
    /// through the API).
    func removeItem(_ request: Request, key: String) async throws -> Response {
        try authorize(request)
        guard let item = try engine.item(key: key) else { throw Self.noItem(key) }
        let engine = self.engine
        let missing = try await onPool(deadline: Date().addingTimeInterval(settings.requestTimeout)) { try engine.remove(keys: [key]) }
        guard missing.isEmpty else { throw Self.noItem(key) }
        uploads.delete(item.path)  // only a file the API stored (each upload has its own name)
        struct Removed: Encodable { var removed: String }
        return JSONBody.response(Removed(removed: key))
    }

    /// Write requests need `Authorization: Bearer TOKEN` matching `--token-file` (401 otherwise); a server
    /// started without a token file takes no writes (403).
    func authorize(_ request: Request) throws {
        guard let token else {
            throw APIError(.forbidden, "this server takes no writes; start it with --token-file to allow adding and removing items")
        }
        guard token.accepts(authorization: request.headers[.authorization]) else {
            throw APIError(.unauthorized, "this request needs the header Authorization: Bearer TOKEN with the server's token",
                           headers: [.wwwAuthenticate: #"Bearer realm="refrain""#])
        }
    }

    func json(_ item: IndexedItem) throws -> ItemJSON {
        let playable = item.kind == .audio ? try engine.audioFile(key: item.key) != nil : false
        return ItemJSON(item, playable: playable)
    }

    static func noItem(_ key: String) -> APIError {
        APIError.notFound("the index has no item '\(String(key.prefix(200)))'")
    }
}
