import HTTPTypes
import Hummingbird

/// Cross-origin access, off unless origins are named (`--cors-origin`): then a request whose `Origin` is one
/// of them (or any, with `*`) gets `Access-Control-Allow-Origin`, and a preflight (`OPTIONS` with
/// `Access-Control-Request-Method`) is answered 204 with the methods and headers the API takes. Without
/// named origins no response carries a CORS header, so browsers keep other sites' pages out.
struct CORSPolicy<Context: RequestContext>: RouterMiddleware {
    let origins: Set<String>

    static var allowMethods: String { "GET, POST, DELETE, OPTIONS" }
    static var allowHeaders: String { "authorization, content-type, range" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], origins.contains("*") || origins.contains(origin) else {
            return try await next(request, context)
        }
        let allowed = origins.contains("*") ? "*" : origin
        var response: Response
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            response = Response(status: .noContent)
            response.headers[.accessControlAllowMethods] = Self.allowMethods
            response.headers[.accessControlAllowHeaders] = Self.allowHeaders
            response.headers[.accessControlMaxAge] = "600"
        } else {
            response = try await next(request, context)
            response.headers[.accessControlExposeHeaders] = "content-range, retry-after"
        }
        response.headers[.accessControlAllowOrigin] = allowed
        if allowed != "*" { response.headers[.vary] = "Origin" }
        return response
    }
}
