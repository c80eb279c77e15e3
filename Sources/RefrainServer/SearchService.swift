import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Refrain

/// `refrain serve`: one index as an HTTP API and a web page, over an `Engine`.
///
/// The routes (documented in `Assets/openapi.json`, served at `/api/openapi.json`):
/// - `GET /` the page (`Assets/index.html`, `app.js`, `app.css`: upload or record a query, see the ranking,
///   play the matched span, see the alignment);
/// - `GET /api/health`, `GET /api/items`, `GET /api/items/{key}`, `GET /api/items/{key}/audio` (ranges);
/// - `POST /api/query` (the query file as the body, or a multipart form with a `file` field);
/// - `POST /api/items`, `DELETE /api/items/{key}` (only with the bearer token of `--token-file`).
///
/// Queries, adds and removals run on a `WorkerPool` of `settings.workers` threads with a bounded line; a
/// request that finds the line full is answered 503 with `Retry-After` before its body is read. Bodies are
/// bounded in size (413), in time (408) and, together, in memory (503). Every refusal is one line of JSON
/// (`APIError`); every request is logged in one line (`RequestLogMiddleware`).
public final class SearchService: Sendable {
    public let engine: Engine
    public let settings: ServiceSettings
    public let pool: WorkerPool
    let memory: BodyMemory
    let token: BearerToken?
    let uploads: UploadStore
    let logger: Logger
    let fileIO = FileIO()

    /// - Parameters:
    ///   - engine: the open index; each query runs on its compute budget (give it the machine's threads
    ///     divided by `settings.workers`, so that a saturated server uses every core once).
    ///   - settings: checked here (`ServiceSettingsError`).
    public init(engine: Engine, settings: ServiceSettings, logger: Logger = Logger(label: "refrain.serve")) throws {
        try settings.validate()
        self.engine = engine
        self.settings = settings
        self.logger = logger
        pool = WorkerPool(workers: settings.workers, capacity: settings.queueCapacity)
        memory = BodyMemory(capacity: max(settings.bodyMemoryBytes, settings.maxUploadBytes))
        token = settings.token.map(BearerToken.init)
        uploads = UploadStore(indexDirectory: engine.directory)
    }

    /// The routes and middleware (log, CORS when asked for, errors and security headers).
    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogMiddleware(logger: logger))
        if !settings.corsOrigins.isEmpty { router.add(middleware: CORSPolicy(origins: Set(settings.corsOrigins))) }
        router.add(middleware: ErrorMiddleware(logger: logger))

        router.get("/") { _, _ in Self.asset(.page) }
        router.get("/app.js") { _, _ in Self.asset(.script) }
        router.get("/app.css") { _, _ in Self.asset(.style) }
        router.get("/api/openapi.json") { _, _ in Self.asset(.openAPI) }
        router.get("/api/health") { _, _ in try self.health() }
        router.get("/api/items") { request, _ in try self.listItems(request) }
        router.post("/api/items") { request, _ in try await self.addItem(request) }
        router.get("/api/items/{key}") { _, context in try self.showItem(try Self.key(context)) }
        router.delete("/api/items/{key}") { request, context in try await self.removeItem(request, key: try Self.key(context)) }
        router.get("/api/items/{key}/audio") { request, context in try await self.audio(request, context: context, key: try Self.key(context)) }
        router.post("/api/query") { request, _ in try await self.query(request) }
        return router
    }

    /// The server: HTTP/1.1 on `settings.host:port`, connections closed after `idleTimeout` seconds of silence.
    /// `onRunning` gets the port it listens on (the chosen one when `port` is 0).
    public func application(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        let idle = TimeAmount.milliseconds(Int64(settings.idleTimeout * 1000))
        let port = settings.port
        return Application(router: router(),
                           server: .http1(configuration: .init(additionalChannelHandlers: [RefusedBodyHandler()], idleTimeout: idle)),
                           configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "refrain"),
                           onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? port) },
                           logger: logger)
    }

    /// The item key of a `{key}` route: the path segment, percent-decoded (only ever looked up in the catalog).
    /// A key with control characters (NUL among them) names no item: 404 without asking the catalog.
    static func key(_ context: BasicRequestContext) throws -> String {
        guard let raw = context.parameters.get("key"), let key = raw.removingPercentEncoding, !key.isEmpty else {
            throw APIError.badRequest("the item key in the path is not valid percent-encoded text")
        }
        if ItemText.hasControlCharacters(key) { throw noItem(key.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined()) }
        return key
    }

    /// Runs `body` on the worker pool, turning the pool's refusals into 503 (full, or still waiting at the
    /// deadline) and 504 (still running at the deadline).
    func onPool<T: Sendable>(deadline: Date, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await pool.run(deadline: deadline, body)
        } catch let refusal as WorkerPool.PoolRefusal {
            switch refusal {
            case .full: throw busy()
            case .expired:
                throw APIError(.serviceUnavailable, "the server is busy: the request waited \(Int(settings.requestTimeout)) s for a worker",
                               headers: [.retryAfter: String(pool.retryAfterSeconds)])
            case .overran: throw APIError(.gatewayTimeout, "the request took longer than \(Int(settings.requestTimeout)) s")
            case .closed: throw APIError(.serviceUnavailable, "the server is shutting down")
            }
        }
    }

    /// 503 with `Retry-After`: every worker is busy and the line is full.
    func busy() -> APIError {
        APIError(.serviceUnavailable, "the server is busy (\(pool.workers) running, \(pool.capacity) waiting); try again shortly",
                 headers: [.retryAfter: String(pool.retryAfterSeconds)])
    }
}
