import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Refrain
import RefrainServer
import XCTest

/// `GET /api/items`, `GET /api/items/{key}`, and the writes `POST /api/items` and `DELETE /api/items/{key}`:
/// token checks (403 without a token file, 401 without the right token), conflicts (409), undecodable files
/// (422), non-form bodies (415), keys with path tricks, and an index changed by another process.
final class ItemEndpointsTests: XCTestCase {
    var fixture: ServerFixture!
    var scratch: [URL] = []

    override func setUpWithError() throws { fixture = try ServerFixture.shared() }
    override func tearDownWithError() throws { for url in scratch { try? FileManager.default.removeItem(at: url) } }

    func writableIndex() throws -> URL {
        let copy = try fixture.writableCopy()
        scratch.append(copy.deletingLastPathComponent())
        return copy
    }

    func testItemsAreListedInPagesWithoutServerPaths() async throws {
        let service = try fixture.service()
        let root = fixture.root.path
        try await service.application().test(.router) { client in
            let all = try await client.execute(uri: "/api/items", method: .get)
            XCTAssertEqual(all.status, .ok)
            XCTAssertEqual(all.json["total"] as? Int, 4)
            let items = try XCTUnwrap(all.json["items"] as? [[String: Any]])
            let keys = items.compactMap { $0["key"] as? String }
            XCTAssertEqual(Set(keys), ["twinkle", "ode-to-joy", "greensleeves", "twinkle-score"])
            let byKey = Dictionary(uniqueKeysWithValues: items.map { ($0["key"] as? String ?? "", $0) })
            XCTAssertEqual(byKey["twinkle"]?["kind"] as? String, "audio")
            XCTAssertEqual(byKey["twinkle"]?["audio"] as? Bool, true)
            XCTAssertEqual(byKey["twinkle-score"]?["kind"] as? String, "midi")
            XCTAssertEqual(byKey["twinkle-score"]?["audio"] as? Bool, false)
            XCTAssertEqual(byKey["ode-to-joy"]?["file"] as? String, "ode-to-joy.wav")
            XCTAssertFalse(String(decoding: all.data, as: UTF8.self).contains(root), "no server path in the answer")
            let page = try await client.execute(uri: "/api/items?offset=1&limit=2", method: .get)
            XCTAssertEqual((page.json["items"] as? [[String: Any]])?.compactMap { $0["key"] as? String }, Array(keys[1...2]))
            XCTAssertEqual(page.json["offset"] as? Int, 1)
            XCTAssertEqual(page.json["limit"] as? Int, 2)
            let past = try await client.execute(uri: "/api/items?offset=50", method: .get)
            XCTAssertEqual((past.json["items"] as? [Any])?.count, 0)
            for bad in ["limit=0", "limit=1001", "limit=x", "offset=-1"] {
                XCTAssertAPIError(try await client.execute(uri: "/api/items?\(bad)", method: .get), .badRequest)
            }
        }
    }

    func testOneItemByKeyAndMissingOrTrickKeysAre404() async throws {
        let service = try fixture.service()
        try await service.application().test(.router) { client in
            let item = try await client.execute(uri: "/api/items/ode-to-joy", method: .get)
            XCTAssertEqual(item.status, .ok)
            XCTAssertEqual(item.json["title"] as? String, "Ode to Joy")
            XCTAssertEqual(item.json["work"] as? String, "beethoven-9")
            XCTAssertEqual((item.json["seconds"] as? Double).map { $0 > 10 }, true)
            XCTAssertEqual((item.json["sha256"] as? String)?.count, 64)
            XCTAssertAPIError(try await client.execute(uri: "/api/items/nocturne", method: .get), .notFound, "no item 'nocturne'")
            for trick in ["..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..", "%00", "ode-to-joy%00.wav"] {
                let response = try await client.execute(uri: "/api/items/\(trick)", method: .get)
                XCTAssertAPIError(response, .notFound)
                let audio = try await client.execute(uri: "/api/items/\(trick)/audio", method: .get)
                XCTAssertAPIError(audio, .notFound)
            }
            XCTAssertAPIError(try await client.execute(uri: "/api/items/../../etc/passwd", method: .get), .notFound)
            XCTAssertAPIError(try await client.execute(uri: "/api/items/%zz", method: .get), .badRequest, "percent-encoded")
        }
    }

    func testWritesAreRefusedWithoutATokenFile() async throws {
        let service = try fixture.service(try writableIndex())
        let form = Send.multipart([(name: "file", fileName: "x.wav", type: nil, data: try Data(contentsOf: fixture.audioQuery))])
        try await service.application().test(.router) { client in
            let add = try await client.execute(uri: "/api/items", method: .post,
                                               headers: Send.headers([(.contentType, form.contentType), (.authorization, "Bearer anything")]),
                                               body: Send.bytes(form.body))
            XCTAssertAPIError(add, .forbidden, "--token-file")
            XCTAssertAPIError(try await client.execute(uri: "/api/items/twinkle", method: .delete), .forbidden)
            let health = try await client.execute(uri: "/api/health", method: .get)
            XCTAssertEqual(health.json["writable"] as? Bool, false)
        }
    }

    func testWritesNeedTheRightBearerToken() async throws {
        let service = try fixture.service(try writableIndex()) { $0.token = "s3cret-token" }
        let form = Send.multipart([(name: "file", fileName: "x.wav", type: nil, data: try Data(contentsOf: fixture.audioQuery))])
        try await service.application().test(.router) { client in
            for authorization in [nil, "Bearer wrong", "Bearer s3cret-toke", "Bearer s3cret-token-and-more", "Basic czNjcmV0LXRva2Vu", "s3cret-token"] {
                var headers = Send.headers([(.contentType, form.contentType)])
                if let authorization { headers[.authorization] = authorization }
                let add = try await client.execute(uri: "/api/items", method: .post, headers: headers, body: Send.bytes(form.body))
                XCTAssertAPIError(add, .unauthorized, "Authorization: Bearer")
                XCTAssertEqual(add.headers[.wwwAuthenticate], #"Bearer realm="refrain""#)
                let remove = try await client.execute(uri: "/api/items/twinkle", method: .delete, headers: headers)
                XCTAssertAPIError(remove, .unauthorized)
            }
            let list = try await client.execute(uri: "/api/items", method: .get)
            XCTAssertEqual(list.json["total"] as? Int, 4, "nothing changed")
        }
    }

    func testAddingPlayingFindingAndRemovingAnUpload() async throws {
        let index = try writableIndex()
        let service = try fixture.service(index) { $0.token = "tok" }
        let take = try Data(contentsOf: fixture.audioQuery)
        let midi = try Data(contentsOf: fixture.midiQuery)
        let auth = (HTTPField.Name.authorization, "bearer tok")
        try await service.application().test(.router) { client in
            let form = Send.multipart([(name: "file", fileName: "ode take.wav", type: "audio/wav", data: take),
                                       (name: "key", fileName: nil, type: nil, data: Send.text("ode-take")),
                                       (name: "title", fileName: nil, type: nil, data: Send.text("Ode, violin take")),
                                       (name: "work", fileName: nil, type: nil, data: Send.text("beethoven-9"))])
            let added = try await client.execute(uri: "/api/items", method: .post,
                                                 headers: Send.headers([(.contentType, form.contentType), auth]), body: Send.bytes(form.body))
            XCTAssertEqual(added.status, .created, String(decoding: added.data, as: UTF8.self))
            XCTAssertEqual(added.json["added"] as? Bool, true)
            let item = try XCTUnwrap(added.json["item"] as? [String: Any])
            XCTAssertEqual(item["key"] as? String, "ode-take")
            XCTAssertEqual(item["work"] as? String, "beethoven-9")
            XCTAssertEqual(item["audio"] as? Bool, true, "an upload is kept and can be played")
            let stored = try FileManager.default.contentsOfDirectory(atPath: index.appendingPathComponent("uploads").path)
            XCTAssertEqual(stored.count, 1)
            XCTAssertFalse(stored[0].contains("ode"), "stored under a name the server made: \(stored)")

            let audio = try await client.execute(uri: "/api/items/ode-take/audio", method: .get)
            XCTAssertEqual(audio.status, .ok)
            XCTAssertEqual(audio.data, take)

            // The query finds it at once, as the same work as the indexed recording.
            let query = try await client.execute(uri: "/api/query?top=2", method: .post,
                                                 headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(take))
            XCTAssertEqual(query.ranking.first?["key"] as? String, "ode-take")

            // The same content again: 200, the existing item, nothing stored.
            let again = Send.multipart([(name: "file", fileName: "copy.wav", type: nil, data: take)])
            let unchanged = try await client.execute(uri: "/api/items", method: .post,
                                                     headers: Send.headers([(.contentType, again.contentType), auth]), body: Send.bytes(again.body))
            XCTAssertEqual(unchanged.status, .ok)
            XCTAssertEqual(unchanged.json["added"] as? Bool, false)
            XCTAssertEqual((unchanged.json["item"] as? [String: Any])?["key"] as? String, "ode-take")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: index.appendingPathComponent("uploads").path).count, 1)

            // A key that names other content: 409.
            let clash = Send.multipart([(name: "file", fileName: "twinkle.mid", type: nil, data: midi)])
            let conflict = try await client.execute(uri: "/api/items", method: .post,
                                                    headers: Send.headers([(.contentType, clash.contentType), auth]), body: Send.bytes(clash.body))
            XCTAssertAPIError(conflict, .conflict, "'twinkle' already names an item")

            let removed = try await client.execute(uri: "/api/items/ode-take", method: .delete, headers: Send.headers([auth]))
            XCTAssertEqual(removed.status, .ok)
            XCTAssertEqual(removed.json["removed"] as? String, "ode-take")
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: index.appendingPathComponent("uploads").path).count, 0,
                           "the stored upload goes with its item")
            XCTAssertAPIError(try await client.execute(uri: "/api/items/ode-take", method: .get), .notFound)
            XCTAssertAPIError(try await client.execute(uri: "/api/items/ode-take", method: .delete, headers: Send.headers([auth])), .notFound)
        }
    }

    func testBadUploadsAreRefused() async throws {
        let index = try writableIndex()
        let service = try fixture.service(index) { $0.token = "tok" }
        let auth = (HTTPField.Name.authorization, "Bearer tok")
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            func add(_ parts: [(name: String, fileName: String?, type: String?, data: Data)]) async throws -> TestResponse {
                let form = Send.multipart(parts)
                return try await client.execute(uri: "/api/items", method: .post,
                                                headers: Send.headers([(.contentType, form.contentType), auth]), body: Send.bytes(form.body))
            }
            let garbage = Data((0..<3000).map { UInt8(truncatingIfNeeded: $0 * 7919) })
            XCTAssertAPIError(try await add([(name: "file", fileName: "noise.wav", type: nil, data: garbage)]), .unprocessableContent)
            for key in ["../escape", "a/b", "..", "tab\there", String(repeating: "k", count: 201)] {
                XCTAssertAPIError(try await add([(name: "file", fileName: "q.wav", type: nil, data: wav),
                                                 (name: "key", fileName: nil, type: nil, data: Send.text(key))]), .badRequest, "key")
            }
            XCTAssertAPIError(try await add([(name: "title", fileName: nil, type: nil, data: Send.text("no file"))]), .badRequest, "'file'")
            let raw = try await client.execute(uri: "/api/items", method: .post,
                                               headers: Send.headers([(.contentType, "audio/wav"), auth]), body: Send.bytes(wav))
            XCTAssertAPIError(raw, .unsupportedMediaType, "multipart/form-data")
            let uploads = index.appendingPathComponent("uploads").path
            XCTAssertEqual((try? FileManager.default.contentsOfDirectory(atPath: uploads))?.count ?? 0, 0, "nothing left behind")
            let list = try await client.execute(uri: "/api/items", method: .get)
            XCTAssertEqual(list.json["total"] as? Int, 4)
        }
    }

    /// Another process adds to the index while the server runs: the next request sees the new generation.
    func testTheServerSeesItemsAnotherProcessAdds() async throws {
        let index = try writableIndex()
        let service = try fixture.service(index)
        let take = fixture.audioQuery
        try await service.application().test(.router) { client in
            let before = try await client.execute(uri: "/api/query?top=1", method: .post,
                                                  headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(try Data(contentsOf: take)))
            XCTAssertEqual(before.ranking.first?["key"] as? String, "ode-to-joy")
            let other = try Engine.open(at: index)
            try other.add([AddJob(key: "violin-take", url: take)])
            let item = try await client.execute(uri: "/api/items/violin-take", method: .get)
            XCTAssertEqual(item.status, .ok)
            let after = try await client.execute(uri: "/api/query?top=1", method: .post,
                                                 headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(try Data(contentsOf: take)))
            XCTAssertEqual(after.ranking.first?["key"] as? String, "violin-take")
            let health = try await client.execute(uri: "/api/health", method: .get)
            XCTAssertEqual(health.json["items"] as? Int, 5)
        }
    }
}
