import HTTPTypes
import Hummingbird
import Logging
import Refrain

/// Turns every failure into the API's one-line JSON error (`APIError`): the handlers' own refusals, the
/// engine's `RefrainError`s (by kind), Hummingbird's errors (unknown route 404 ...), and anything unexpected
/// (500, logged with its detail, which the client never sees). It also sets the security headers on every
/// response (`SecurityHeaders`).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = error.response
        } catch let error as RefrainError {
            response = APIError.from(error).response
        } catch let error as any HTTPResponseError {
            response = APIError(error.status, Self.sentence(for: error.status, request: request)).response
        } catch {
            logger.error("\(request.method) \(request.uri.path): \(String(describing: error))")
            response = APIError(.internalServerError, "the server failed to answer this request").response
        }
        SecurityHeaders.apply(to: &response)
        return response
    }

    static func sentence(for status: HTTPResponse.Status, request: Request) -> String {
        switch status {
        case .notFound: return "there is nothing at \(request.uri.path)"
        case .methodNotAllowed: return "\(request.method) is not allowed on \(request.uri.path)"
        default: return status.reasonPhrase.isEmpty ? "the request failed (\(status.code))" : status.reasonPhrase
        }
    }
}

/// Headers every response carries: no content sniffing, no referrer, never framed, a content security policy
/// (the page's own where it set one; `default-src 'none'` on everything else), and no caching of API answers
/// unless the handler said otherwise.
enum SecurityHeaders {
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    static let frameOptions = HTTPField.Name("X-Frame-Options")!

    /// The page's policy: its own script, style, pictures drawn in the page, media from the server or recorded
    /// in the page (blob:), requests to the server only.
    static let pagePolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        + "media-src 'self' blob:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    static let apiPolicy = "default-src 'none'; frame-ancestors 'none'"

    static func apply(to response: inout Response) {
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[referrerPolicy] = "no-referrer"
        response.headers[frameOptions] = "DENY"
        response.headers[.crossOriginResourcePolicy] = "same-origin"
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = apiPolicy }
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
    }
}
