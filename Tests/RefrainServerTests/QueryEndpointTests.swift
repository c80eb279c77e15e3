import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Refrain
import RefrainServer
import XCTest

/// `POST /api/query`: the file as the body or as a multipart field, the CLI's result shape, the options, and
/// every refusal (400, 413, 415, 422) as one line of JSON.
final class QueryEndpointTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture.shared() }

    func testARawAudioBodyRanksTheExcerptsRecordingFirstWithTitleAndWork() async throws {
        let service = try fixture.service()
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/query?top=3", method: .post,
                                                    headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
            XCTAssertEqual(response.status, .ok, String(decoding: response.data, as: UTF8.self))
            let result = try XCTUnwrap((response.json["results"] as? [[String: Any]])?.first)
            XCTAssertEqual(result["task"] as? String, "audio-match")
            XCTAssertEqual(result["by"] as? String, "item")
            XCTAssertEqual(result["id"] as? String, "upload.wav", "the id names the upload, never a path")
            XCTAssertNotNil(result["seconds"] as? Double)
            let first = try XCTUnwrap(response.ranking.first)
            XCTAssertEqual(first["key"] as? String, "ode-to-joy")
            XCTAssertEqual(first["title"] as? String, "Ode to Joy")
            XCTAssertEqual(first["work"] as? String, "beethoven-9")
            XCTAssertNotNil(first["start"] as? Double)
            XCTAssertNil(first["path"], "no path unless asked")
            XCTAssertLessThanOrEqual(response.ranking.count, 3)
        }
    }

    func testAMultipartMIDIFileRanksItsRecordingFirstWithItsAlignmentPath() async throws {
        let service = try fixture.service()
        let form = Send.multipart([(name: "file", fileName: "query-greensleeves.mid", type: "audio/midi", data: try Data(contentsOf: fixture.midiQuery))])
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/query?path=true&top=2", method: .post,
                                                    headers: Send.headers([(.contentType, form.contentType)]), body: Send.bytes(form.body))
            XCTAssertEqual(response.status, .ok, String(decoding: response.data, as: UTF8.self))
            let result = try XCTUnwrap((response.json["results"] as? [[String: Any]])?.first)
            XCTAssertEqual(result["task"] as? String, "midi-to-audio")
            XCTAssertEqual(result["id"] as? String, "query-greensleeves.mid")
            let first = try XCTUnwrap(response.ranking.first)
            XCTAssertEqual(first["key"] as? String, "greensleeves")
            let path = try XCTUnwrap(first["path"] as? [[Double]])
            XCTAssertGreaterThan(path.count, 5)
            XCTAssertTrue(path.allSatisfy { $0.count == 2 })
            XCTAssertFalse(response.ranking.contains { ($0["key"] as? String) == "twinkle-score" }, "MIDI to audio ranks recordings only")
        }
    }

    func testRankingByWorkListsEachWorkOnce() async throws {
        let service = try fixture.service()
        let form = Send.multipart([(name: "file", fileName: "excerpt.wav", type: nil, data: try Data(contentsOf: fixture.audioQuery))])
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/query?by=work&task=audio-match", method: .post,
                                                    headers: Send.headers([(.contentType, form.contentType)]), body: Send.bytes(form.body))
            XCTAssertEqual(response.status, .ok)
            XCTAssertEqual((response.json["results"] as? [[String: Any]])?.first?["by"] as? String, "work")
            let works = response.ranking.compactMap { $0["work"] as? String }
            XCTAssertEqual(works.first, "beethoven-9")
            XCTAssertEqual(Set(works).count, works.count, "each work once: \(works)")
        }
    }

    func testKeyOffSearchesTheQuerysKeyOnly() async throws {
        let service = try fixture.service()
        // The score of the MIDI query a fourth higher than its recording.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("refrain-key-\(UUID().uuidString).mid")
        defer { try? FileManager.default.removeItem(at: url) }
        try MIDIScore(contentsOf: fixture.midiQuery).transposed(by: 5).write(to: url)
        let transposed = try Data(contentsOf: url)
        try await service.application().test(.router) { client in
            var costs: [String: Double] = [:]
            for key in ["estimate", "off"] {
                let response = try await client.execute(uri: "/api/query?top=3&key=\(key)", method: .post,
                                                        headers: Send.headers([(.contentType, "audio/midi")]), body: Send.bytes(transposed))
                XCTAssertEqual(response.status, .ok, String(decoding: response.data, as: UTF8.self))
                let hit = try XCTUnwrap(response.ranking.first { ($0["key"] as? String) == "greensleeves" }, "key=\(key)")
                costs[key] = try XCTUnwrap(hit["score"] as? Double)
                if key == "estimate" { XCTAssertEqual(response.ranking.first?["key"] as? String, "greensleeves") }
            }
            let estimated = try XCTUnwrap(costs["estimate"]), untransposed = try XCTUnwrap(costs["off"])
            XCTAssertLessThan(estimated, untransposed, "the transposition found by the estimate must fit better than the query's own key")
        }
    }

    func testBadParametersAreRefusedWith400() async throws {
        let service = try fixture.service()
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            for (query, fragment) in [("top=0", "top"), ("top=abc", "top"), ("top=101", "top"), ("by=album", "by must be"),
                                      ("path=maybe", "path must be"), ("transpositions=2", "transpositions"), ("key=all", "key must be estimate or off"),
                                      ("task=version-9", "this index answers the tasks auto, midi-to-audio, audio-match, version")] {
                let response = try await client.execute(uri: "/api/query?\(query)", method: .post,
                                                        headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
                XCTAssertAPIError(response, .badRequest, fragment)
            }
            // A task that exists but does not take this kind of input.
            let response = try await client.execute(uri: "/api/query?task=midi-to-audio", method: .post,
                                                    headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
            XCTAssertAPIError(response, .badRequest, "takes midi queries")
        }
    }

    func testTypesRefrainDoesNotReadAreRefusedWith415() async throws {
        let service = try fixture.service()
        try await service.application().test(.router) { client in
            for (type, fragment) in [("text/plain", "text/plain is not a file Refrain reads"),
                                     ("audio/webm;codecs=opus", "convert a browser recording to WAV"),
                                     ("application/json", "WAV, FLAC, Ogg, MP3")] {
                let response = try await client.execute(uri: "/api/query", method: .post,
                                                        headers: Send.headers([(.contentType, type)]), body: Send.bytes(Send.text("hello")))
                XCTAssertAPIError(response, .unsupportedMediaType, fragment)
            }
            let bare = try await client.execute(uri: "/api/query", method: .post, body: Send.bytes(Send.text("hello")))
            XCTAssertAPIError(bare, .unsupportedMediaType, "no Content-Type")
            let form = Send.multipart([(name: "file", fileName: "notes.txt", type: "text/plain", data: Send.text("la la"))])
            let part = try await client.execute(uri: "/api/query", method: .post,
                                                headers: Send.headers([(.contentType, form.contentType)]), body: Send.bytes(form.body))
            XCTAssertAPIError(part, .unsupportedMediaType, "text/plain")
        }
    }

    func testUndecodableAndEmptyUploadsAre422() async throws {
        let service = try fixture.service()
        let garbage = Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) })
        try await service.application().test(.router) { client in
            let raw = try await client.execute(uri: "/api/query", method: .post,
                                               headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(garbage))
            XCTAssertAPIError(raw, .unprocessableContent, "upload.wav")
            // Named as uploaded, never by a path on the server.
            XCTAssertTrue(raw.errorMessage?.hasPrefix("upload.wav: ") ?? false, raw.errorMessage ?? "")
            let form = Send.multipart([(name: "file", fileName: "../../etc/passwd.wav", type: "audio/wav", data: garbage)])
            let named = try await client.execute(uri: "/api/query", method: .post,
                                                 headers: Send.headers([(.contentType, form.contentType)]), body: Send.bytes(form.body))
            XCTAssertAPIError(named, .unprocessableContent)
            XCTAssertFalse(named.errorMessage?.contains("/etc") ?? true, "no client path in the answer: \(named.errorMessage ?? "")")
            let midi = try await client.execute(uri: "/api/query", method: .post,
                                                headers: Send.headers([(.contentType, "audio/midi")]), body: Send.bytes(garbage))
            XCTAssertAPIError(midi, .unprocessableContent)
            XCTAssertTrue(midi.errorMessage?.hasPrefix("upload.mid") ?? false, midi.errorMessage ?? "")
            let empty = try await client.execute(uri: "/api/query", method: .post, headers: Send.headers([(.contentType, "audio/wav")]))
            XCTAssertAPIError(empty, .unprocessableContent, "empty")
        }
    }

    func testAWAVCutInsideItsSamplesIs422() async throws {
        let service = try fixture.service()
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            let response = try await client.execute(uri: "/api/query", method: .post,
                                                    headers: Send.headers([(.contentType, "audio/x-wav")]), body: Send.bytes(wav.prefix(wav.count / 2)))
            XCTAssertAPIError(response, .unprocessableContent)
        }
    }

    func testBodiesOverTheLimitAre413() async throws {
        let service = try fixture.service { $0.maxUploadBytes = 64 << 10 }
        let wav = try Data(contentsOf: fixture.audioQuery)
        XCTAssertGreaterThan(wav.count, 64 << 10)
        try await service.application().test(.router) { client in
            let declared = try await client.execute(uri: "/api/query", method: .post,
                                                    headers: Send.headers([(.contentType, "audio/wav"), (.contentLength, String(wav.count))]),
                                                    body: Send.bytes(wav))
            XCTAssertAPIError(declared, .contentTooLarge, "64 KB")
            // No declared length: refused while reading.
            let streamed = try await client.execute(uri: "/api/query", method: .post,
                                                    headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
            XCTAssertAPIError(streamed, .contentTooLarge)
            let form = Send.multipart([(name: "file", fileName: "big.wav", type: nil, data: wav)])
            let multipart = try await client.execute(uri: "/api/query", method: .post,
                                                     headers: Send.headers([(.contentType, form.contentType)]), body: Send.bytes(form.body))
            XCTAssertAPIError(multipart, .contentTooLarge)
        }
    }

    func testMalformedMultipartIs400() async throws {
        let service = try fixture.service()
        let wav = try Data(contentsOf: fixture.audioQuery)
        let form = Send.multipart([(name: "file", fileName: "q.wav", type: "audio/wav", data: wav)])
        try await service.application().test(.router) { client in
            func post(_ body: Data, type: String = form.contentType) async throws -> TestResponse {
                try await client.execute(uri: "/api/query", method: .post, headers: Send.headers([(.contentType, type)]), body: Send.bytes(body))
            }
            XCTAssertAPIError(try await post(form.body.prefix(form.body.count - 60)), .badRequest, "cut short")
            XCTAssertAPIError(try await post(form.body.prefix(100)), .badRequest, "cut short")
            XCTAssertAPIError(try await post(Data("no boundary at all".utf8)), .badRequest, "cut short")
            XCTAssertAPIError(try await post(form.body, type: "multipart/form-data"), .badRequest, "boundary")
            let other = Send.multipart([(name: "upload", fileName: "q.wav", type: "audio/wav", data: wav)])
            XCTAssertAPIError(try await post(other.body, type: other.contentType), .badRequest, "no 'file' field")
            let many = Send.multipart((0..<20).map { (name: "f\($0)", fileName: nil, type: nil, data: Data("x".utf8)) })
            XCTAssertAPIError(try await post(many.body, type: many.contentType), .badRequest, "more than 16 parts")
        }
    }
}
