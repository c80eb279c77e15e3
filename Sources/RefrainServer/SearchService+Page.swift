import Foundation
import HTTPTypes
import Hummingbird
import Refrain

extension SearchService {
    /// The files compiled into the binary (`Assets/`).
    enum Asset {
        case page, script, style, openAPI

        var bytes: [UInt8] {
            switch self {
            case .page: return PackageResources.index_html
            case .script: return PackageResources.app_js
            case .style: return PackageResources.app_css
            case .openAPI: return PackageResources.openapi_json
            }
        }

        var mediaType: String {
            switch self {
            case .page: return "text/html; charset=utf-8"
            case .script: return "text/javascript; charset=utf-8"
            case .style: return "text/css; charset=utf-8"
            case .openAPI: return "application/json; charset=utf-8"
            }
        }
    }

    /// An asset, with the page's content security policy on the page.
    static func asset(_ asset: Asset) -> Response {
        var headers: HTTPFields = [:]
        headers[.contentType] = asset.mediaType
        headers[.contentLength] = String(asset.bytes.count)
        headers[.cacheControl] = "no-cache"
        if asset == .page { headers[.contentSecurityPolicy] = SecurityHeaders.pagePolicy }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }

    /// `GET /api/health`: 200 with the index's size, its tasks (the page offers humming only when a task
    /// named `humming` is here), the pool's load and the upload limit; 503 when the index cannot answer
    /// queries now (a re-encoding stopped halfway, or the index is gone).
    func health() throws -> Response {
        struct Task: Encodable { var name: String; var summary: String; var inputs: [String] }
        struct Health: Encodable {
            var status = "ok"
            var version: String
            var items: Int
            var tasks: [Task]
            var load: WorkerPool.Load
            var maxUploadBytes: Int
            var writable: Bool
            enum CodingKeys: String, CodingKey {
                case status, version, items, tasks, load, maxUploadBytes = "max_upload_bytes", writable
            }
        }
        let tasks = try engine.tasks.map { Task(name: $0.name, summary: $0.summary, inputs: $0.inputs.map(\.rawValue).sorted()) }
        guard !tasks.isEmpty else {
            throw APIError(.serviceUnavailable, "the index answers no task now (an index of features, or one whose re-encoding stopped "
                           + "halfway: run refrain reindex)", headers: [.retryAfter: "60"])
        }
        return JSONBody.response(Health(version: refrainVersion, items: try engine.itemCount, tasks: tasks, load: pool.load,
                                        maxUploadBytes: settings.maxUploadBytes, writable: token != nil))
    }
}
