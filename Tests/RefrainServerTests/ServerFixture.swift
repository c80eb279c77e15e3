import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import NIOCore
import Refrain
import RefrainServer
import RefrainTestSupport
import XCTest

/// A small index the server tests share, built once per test process: three rendered recordings of built-in
/// tunes (one with a title and a work) and one score, with an audio query (an excerpt of "ode-to-joy" played
/// on other instruments, at another tempo, with another soundfont) and a MIDI query ("greensleeves").
final class ServerFixture: @unchecked Sendable {
    let root: URL
    let index: URL
    let audioQuery: URL
    let midiQuery: URL
    let recordings: [String: URL]

    static let keys = ["twinkle", "ode-to-joy", "greensleeves"]

    private init() throws {
        root = try Fixtures.temporaryDirectory()
        let demo = try DemoCollection(directory: root)
        let tunes = Dictionary(uniqueKeysWithValues: BuiltInTune.all.map { ($0.key, $0) })
        let files = try demo.writeRecordings(Self.keys.map { tunes[$0]! })
        recordings = Dictionary(uniqueKeysWithValues: zip(Self.keys, files))
        index = root.appendingPathComponent("index")
        let engine = try Engine.create(at: index, configuration: Engine.Configuration(budget: ComputeBudget(threads: 2)))
        var jobs = try engine.jobs(for: files).jobs
        jobs[1].title = "Ode to Joy"
        jobs[1].work = "beethoven-9"
        let score = root.appendingPathComponent("twinkle-score.mid")
        try tunes["twinkle"]!.score().write(to: score)
        jobs.append(AddJob(key: "twinkle-score", url: score, title: "Twinkle (score)", work: "twinkle"))
        try engine.add(jobs)
        audioQuery = try demo.audioQuery(tunes["ode-to-joy"]!, excerpt: 3...13).url
        midiQuery = try demo.midiQuery(tunes["greensleeves"]!).url
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var built: Result<ServerFixture, any Error>?

    /// The shared fixture (built on first use).
    static func shared() throws -> ServerFixture {
        lock.lock()
        defer { lock.unlock() }
        if built == nil { built = Result { try ServerFixture() } }
        return try built!.get()
    }

    /// A copy of the index that a test may write to (removed by the caller with `root`).
    func writableCopy() throws -> URL {
        let copy = try Fixtures.temporaryDirectory().appendingPathComponent("index")
        try FileManager.default.copyItem(at: index, to: copy)
        return copy
    }

    /// A service over `directory` (default: the shared, read-only index).
    func service(_ directory: URL? = nil, logger: Logger? = nil, _ adjust: (inout ServiceSettings) -> Void = { _ in }) throws -> SearchService {
        var settings = ServiceSettings()
        settings.port = 0
        settings.workers = 2
        settings.queueCapacity = 4
        adjust(&settings)
        let engine = try Engine.open(at: directory ?? index, configuration: Engine.Configuration(budget: ComputeBudget(threads: 1)))
        var quiet = Logger(label: "refrain.serve.test") { _ in SwiftLogNoOpLogHandler() }
        quiet.logLevel = .critical
        return try SearchService(engine: engine, settings: settings, logger: logger ?? quiet)
    }
}

/// Bodies and headers the tests send.
enum Send {
    static func bytes(_ data: Data) -> ByteBuffer { ByteBuffer(bytes: data) }

    static func headers(_ pairs: [(HTTPField.Name, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields[name] = value }
        return fields
    }

    /// A `multipart/form-data` body: `(name, fileName, contentType, data)` parts; returns it with its
    /// Content-Type.
    static func multipart(_ parts: [(name: String, fileName: String?, type: String?, data: Data)],
                          boundary: String = "refrain-test-boundary-7MA4YWxkTrZu0gW") -> (body: Data, contentType: String) {
        var body = Data()
        for part in parts {
            body.append(Data("--\(boundary)\r\n".utf8))
            var disposition = "Content-Disposition: form-data; name=\"\(part.name)\""
            if let fileName = part.fileName { disposition += "; filename=\"\(fileName)\"" }
            body.append(Data("\(disposition)\r\n".utf8))
            if let type = part.type { body.append(Data("Content-Type: \(type)\r\n".utf8)) }
            body.append(Data("\r\n".utf8))
            body.append(part.data)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return (body, "multipart/form-data; boundary=\(boundary)")
    }

    static func text(_ value: String) -> Data { Data(value.utf8) }
}

extension TestResponse {
    var data: Data { Data(body.readableBytesView) }

    /// The body as a JSON object.
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// The one-line error's message (nil when the body is not an error).
    var errorMessage: String? { (json["error"] as? [String: Any])?["message"] as? String }

    /// The first ranking of a query answer.
    var ranking: [[String: Any]] {
        ((json["results"] as? [[String: Any]])?.first?["ranking"] as? [[String: Any]]) ?? []
    }
}

/// Asserts a one-line JSON error with `status`, whose message contains `fragment`.
func XCTAssertAPIError(_ response: TestResponse, _ status: HTTPResponse.Status, _ fragment: String = "",
                       file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(response.status, status, "\(String(decoding: response.data, as: UTF8.self))", file: file, line: line)
    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", file: file, line: line)
    let text = String(decoding: response.data, as: UTF8.self)
    XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
    let message = response.errorMessage
    XCTAssertNotNil(message, text, file: file, line: line)
    XCTAssertEqual((response.json["error"] as? [String: Any])?["status"] as? Int, status.code, file: file, line: line)
    if !fragment.isEmpty {
        XCTAssertTrue(message?.contains(fragment) ?? false, "'\(message ?? "")' should contain '\(fragment)'", file: file, line: line)
    }
}
