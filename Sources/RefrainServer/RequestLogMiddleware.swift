import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One log line per request, when it is answered: method, path and query, status, seconds taken, bytes of the
/// response body (when known), e.g. `POST /api/query?task=auto 200 0.184 s 2113 B`.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            log(request, status: response.status.code, bytes: response.body.contentLength, started: started)
            return response
        } catch {
            // Only errors past the error middleware (none are expected) arrive here; Hummingbird answers them.
            log(request, status: (error as? any HTTPResponseError)?.status.code ?? 500, bytes: nil, started: started)
            throw error
        }
    }

    func log(_ request: Request, status: Int, bytes: Int?, started: UInt64) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let target = String(request.uri.description.prefix(300)).unicodeScalars
            .map { $0.value < 0x20 || $0.value == 0x7f ? "?" : String($0) }.joined()
        let size = bytes.map { " \($0) B" } ?? ""
        logger.info("\(request.method) \(target) \(status) \(String(format: "%.3f", seconds)) s\(size)")
    }
}
