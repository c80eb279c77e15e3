import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import RefrainServer
import XCTest

/// The page and its assets, the OpenAPI document, health, unknown routes, the headers every response carries,
/// and CORS (off unless asked for).
final class PageAndSecurityTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture.shared() }

    func testThePageIsSelfContainedAndSendsAContentSecurityPolicy() async throws {
        let service = try fixture.service()
        try await service.application().test(.router) { client in
            let page = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(page.status, .ok)
            XCTAssertEqual(page.headers[.contentType], "text/html; charset=utf-8")
            let policy = try XCTUnwrap(page.headers[.contentSecurityPolicy])
            for directive in ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"] {
                XCTAssertTrue(policy.contains(directive), "\(directive) in \(policy)")
            }
            XCTAssertFalse(policy.contains("unsafe-inline"))
            let html = String(decoding: page.data, as: UTF8.self)
            // Everything the page needs comes from this server: no inline script or style, no other host.
            XCTAssertNil(html.range(of: #"<script(?![^>]*\bsrc=)"#, options: .regularExpression), "no inline script")
            XCTAssertFalse(html.contains("<style"), "no inline style element")
            XCTAssertNil(html.range(of: #"\sstyle="#, options: .regularExpression), "no style attributes")
            XCTAssertNil(html.range(of: #"(src|href)="(https?:)?//"#, options: .regularExpression), "no other host")
            for id in ["file-input", "record-button", "stop-button", "task-select", "results", "alignment-canvas", "meter-fill"] {
                XCTAssertTrue(html.contains("id=\"\(id)\""), id)
            }

            let script = try await client.execute(uri: "/app.js", method: .get)
            XCTAssertEqual(script.headers[.contentType], "text/javascript; charset=utf-8")
            let js = String(decoding: script.data, as: UTF8.self)
            XCTAssertTrue(js.contains("/api/query") && js.contains("MediaRecorder") && js.contains("encodeWav"))
            XCTAssertFalse(js.contains("http://") || js.contains("https://"), "the script calls this server only")
            let style = try await client.execute(uri: "/app.css", method: .get)
            XCTAssertEqual(style.headers[.contentType], "text/css; charset=utf-8")
            XCTAssertTrue(String(decoding: style.data, as: UTF8.self).contains("@media (max-width: 480px)"), "a phone layout")
            XCTAssertFalse(String(decoding: style.data, as: UTF8.self).contains("@import"))
        }
    }

    func testEveryResponseCarriesTheSecurityHeadersAndUnknownPathsAre404() async throws {
        let service = try fixture.service()
        try await service.application().test(.router) { client in
            for (uri, method) in [("/", HTTPRequest.Method.get), ("/api/health", .get), ("/api/items/nocturne", .get), ("/nowhere", .get),
                                  ("/Assets/", .get), ("/api/", .get), ("/api/items/twinkle/audio/..", .get), ("/api/query", .get)] {
                let response = try await client.execute(uri: uri, method: method)
                XCTAssertEqual(response.headers[.xContentTypeOptions], "nosniff", uri)
                XCTAssertEqual(response.headers[SecurityHeaders.frameOptions], "DENY", uri)
                XCTAssertEqual(response.headers[SecurityHeaders.referrerPolicy], "no-referrer", uri)
                XCTAssertNotNil(response.headers[.contentSecurityPolicy], uri)
                XCTAssertNil(response.headers[.accessControlAllowOrigin], "no CORS unless asked for: \(uri)")
                if uri != "/" && uri != "/api/health" { XCTAssertAPIError(response, .notFound) }
            }
            let api = try await client.execute(uri: "/api/health", method: .get)
            XCTAssertEqual(api.headers[.cacheControl], "no-store")
        }
    }

    func testHealthNamesTheTasksAndTheLoad() async throws {
        let service = try fixture.service()
        try await service.application().test(.router) { client in
            let health = try await client.execute(uri: "/api/health", method: .get)
            XCTAssertEqual(health.status, .ok)
            XCTAssertEqual(health.json["status"] as? String, "ok")
            XCTAssertEqual(health.json["items"] as? Int, 4)
            let tasks = (health.json["tasks"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
            XCTAssertEqual(tasks, ["midi-to-audio", "audio-match", "version", "humming"])
            let load = try XCTUnwrap(health.json["load"] as? [String: Any])
            XCTAssertEqual(load["workers"] as? Int, 2)
            XCTAssertEqual(load["capacity"] as? Int, 4)
            XCTAssertEqual(health.json["max_upload_bytes"] as? Int, 50 << 20)
        }
    }

    func testCORSIsOffUnlessAnOriginIsNamed() async throws {
        let origin = (HTTPField.Name.origin, "https://music.example")
        let preflight = [origin, (HTTPField.Name.accessControlRequestMethod, "POST")]
        try await fixture.service().application().test(.router) { client in
            let get = try await client.execute(uri: "/api/health", method: .get, headers: Send.headers([origin]))
            XCTAssertNil(get.headers[.accessControlAllowOrigin])
            let options = try await client.execute(uri: "/api/query", method: .options, headers: Send.headers(preflight))
            XCTAssertNil(options.headers[.accessControlAllowOrigin])
            XCTAssertNotEqual(options.status, .noContent)
        }
        try await fixture.service { $0.corsOrigins = ["https://music.example"] }.application().test(.router) { client in
            let get = try await client.execute(uri: "/api/health", method: .get, headers: Send.headers([origin]))
            XCTAssertEqual(get.headers[.accessControlAllowOrigin], "https://music.example")
            XCTAssertEqual(get.headers[.vary], "Origin")
            let options = try await client.execute(uri: "/api/query", method: .options, headers: Send.headers(preflight))
            XCTAssertEqual(options.status, .noContent)
            XCTAssertEqual(options.headers[.accessControlAllowOrigin], "https://music.example")
            XCTAssertTrue(options.headers[.accessControlAllowMethods]?.contains("POST") ?? false)
            let stranger = try await client.execute(uri: "/api/health", method: .get, headers: Send.headers([(.origin, "https://evil.example")]))
            XCTAssertNil(stranger.headers[.accessControlAllowOrigin])
        }
    }

    /// The OpenAPI document in the repository is the one served, and it lists every route the server has with
    /// every status its handlers answer.
    func testTheOpenAPIDocumentDescribesEveryRoute() async throws {
        let service = try fixture.service()
        let committed = try Data(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/RefrainServer/Assets/openapi.json").standardizedFileURL)
        try await service.application().test(.router) { client in
            let served = try await client.execute(uri: "/api/openapi.json", method: .get)
            XCTAssertEqual(served.status, .ok)
            XCTAssertEqual(served.data, committed)
            XCTAssertTrue((served.json["openapi"] as? String)?.hasPrefix("3.") ?? false)
            let paths = try XCTUnwrap(served.json["paths"] as? [String: [String: Any]])
            let expected: [String: [String: Set<String>]] = [
                "/": ["get": ["200"]],
                "/api/openapi.json": ["get": ["200"]],
                "/api/health": ["get": ["200", "503"]],
                "/api/items": ["get": ["200", "400"],
                               "post": ["200", "201", "400", "401", "403", "408", "409", "413", "415", "422", "503", "504"]],
                "/api/items/{key}": ["get": ["200", "400", "404"], "delete": ["200", "400", "401", "403", "404", "503", "504"]],
                "/api/items/{key}/audio": ["get": ["200", "206", "400", "404", "416"]],
                "/api/query": ["post": ["200", "400", "408", "413", "415", "422", "503", "504"]],
            ]
            XCTAssertEqual(Set(paths.keys), Set(expected.keys))
            for (path, methods) in expected {
                for (method, statuses) in methods {
                    let operation = paths[path]?[method] as? [String: Any]
                    let documented = Set((operation?["responses"] as? [String: Any])?.keys.map { $0 } ?? [])
                    XCTAssertEqual(documented, statuses, "\(method) \(path)")
                }
            }
        }
    }
}
