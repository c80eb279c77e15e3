import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
@testable import RefrainServer
import XCTest

/// `GET /api/items/{key}/audio`: the indexed recording, whole or by byte ranges; 416 past the end; 404 for
/// scores and for recordings whose file is gone.
final class AudioEndpointTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture.shared() }

    func testTheWholeRecordingAndByteRanges() async throws {
        let service = try fixture.service()
        let file = try Data(contentsOf: fixture.recordings["greensleeves"]!)
        try await service.application().test(.router) { client in
            let whole = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get)
            XCTAssertEqual(whole.status, .ok)
            XCTAssertEqual(whole.headers[.contentType], "audio/wav")
            XCTAssertEqual(whole.headers[.acceptRanges], "bytes")
            XCTAssertEqual(whole.headers[.contentLength], String(file.count))
            XCTAssertEqual(whole.data, file)
            let tag = try XCTUnwrap(whole.headers[.eTag])

            let head = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get,
                                                headers: Send.headers([(.range, "bytes=0-99")]))
            XCTAssertEqual(head.status, .partialContent)
            XCTAssertEqual(head.headers[.contentRange], "bytes 0-99/\(file.count)")
            XCTAssertEqual(head.headers[.contentLength], "100")
            XCTAssertEqual(head.data, file.prefix(100))

            let middle = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get,
                                                  headers: Send.headers([(.range, "bytes=1000-"), (.ifRange, tag)]))
            XCTAssertEqual(middle.status, .partialContent)
            XCTAssertEqual(middle.data, file.suffix(from: 1000))

            let tail = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get,
                                                headers: Send.headers([(.range, "bytes=-10")]))
            XCTAssertEqual(tail.data, file.suffix(10))
            XCTAssertEqual(tail.headers[.contentRange], "bytes \(file.count - 10)-\(file.count - 1)/\(file.count)")

            let past = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get,
                                                headers: Send.headers([(.range, "bytes=\(file.count)-")]))
            XCTAssertAPIError(past, .rangeNotSatisfiable)
            XCTAssertEqual(past.headers[.contentRange], "bytes */\(file.count)")

            // Several ranges, or a stale If-Range: the whole file.
            let several = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get,
                                                   headers: Send.headers([(.range, "bytes=0-1,5-9")]))
            XCTAssertEqual(several.status, .ok)
            XCTAssertEqual(several.data.count, file.count)
            let stale = try await client.execute(uri: "/api/items/greensleeves/audio", method: .get,
                                                 headers: Send.headers([(.range, "bytes=0-9"), (.ifRange, "\"old\"")]))
            XCTAssertEqual(stale.status, .ok)
        }
    }

    func testScoresAndMissingFilesHaveNothingToPlay() async throws {
        let copy = try fixture.writableCopy()
        defer { try? FileManager.default.removeItem(at: copy.deletingLastPathComponent()) }
        let service = try fixture.service(copy)
        try await service.application().test(.router) { client in
            XCTAssertAPIError(try await client.execute(uri: "/api/items/twinkle-score/audio", method: .get), .notFound, "only recordings")
            XCTAssertAPIError(try await client.execute(uri: "/api/items/nocturne/audio", method: .get), .notFound, "no item")
        }
        // A recording whose file has moved away: 404, and the listing says it cannot be played.
        let moved = fixture.root.appendingPathComponent("moved-twinkle.wav")
        try FileManager.default.moveItem(at: fixture.recordings["twinkle"]!, to: moved)
        defer { try? FileManager.default.moveItem(at: moved, to: fixture.recordings["twinkle"]!) }
        try await service.application().test(.router) { client in
            XCTAssertAPIError(try await client.execute(uri: "/api/items/twinkle/audio", method: .get), .notFound, "no longer where it was added from")
            let listed = try await client.execute(uri: "/api/items/twinkle", method: .get)
            XCTAssertEqual(listed.json["audio"] as? Bool, false)
        }
    }
}

final class ByteRangeTests: XCTestCase {
    func testRangesAreResolvedAgainstTheFileSize() {
        XCTAssertEqual(ByteRange(header: nil, size: 100), .whole)
        XCTAssertEqual(ByteRange(header: "bytes=0-9", size: 100), .part(0...9))
        XCTAssertEqual(ByteRange(header: "bytes=90-200", size: 100), .part(90...99), "the end is clamped")
        XCTAssertEqual(ByteRange(header: "bytes=50-", size: 100), .part(50...99))
        XCTAssertEqual(ByteRange(header: "bytes=-30", size: 100), .part(70...99))
        XCTAssertEqual(ByteRange(header: "bytes=-300", size: 100), .part(0...99))
        XCTAssertEqual(ByteRange(header: " BYTES=1-1 ", size: 100), .part(1...1))
        XCTAssertEqual(ByteRange(header: "bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange(header: "bytes=-0", size: 100), .unsatisfiable)
        XCTAssertEqual(ByteRange(header: "bytes=0-", size: 0), .unsatisfiable)
    }

    func testHeadersThatAreNotOneByteRangeAreIgnored() {
        for header in ["bytes=0-1,4-5", "items=0-1", "bytes=5-2", "bytes=a-b", "bytes=-", "bytes=1", "bytes=99999999999999999999-",
                       "bytes=+1-2", "bytes=0x10-"] {
            XCTAssertEqual(ByteRange(header: header, size: 100), .whole, header)
        }
    }
}
