import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import RefrainServer
import XCTest

/// The server under overload and bad behaviour, over real sockets: 503 with `Retry-After` when the line is
/// full, 408 for a client that sends its body too slowly, silent connections closed, bodies cut short,
/// oversized chunked bodies, other clients served meanwhile, and one log line per request.
final class HostileRequestTests: XCTestCase {
    var fixture: ServerFixture!

    override func setUpWithError() throws { fixture = try ServerFixture.shared() }

    /// Occupies every worker and fills the line with jobs that wait at `gate`.
    func fill(_ pool: WorkerPool, gate: WorkerPoolTests.Gate) -> [Task<Int, any Error>] {
        let jobs = (0..<(pool.workers + pool.capacity)).map { _ in Task { try await pool.run { gate.wait(); return 0 } } }
        let end = Date().addingTimeInterval(5)
        while !pool.isFull && Date() < end { usleep(2000) }
        return jobs
    }

    func testAFullServerAnswers503WithRetryAfterBeforeReadingTheBody() async throws {
        let service = try fixture.service { $0.workers = 1; $0.queueCapacity = 1; $0.token = "t" }
        let gate = WorkerPoolTests.Gate()
        let jobs = fill(service.pool, gate: gate)
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            let query = try await client.execute(uri: "/api/query", method: .post,
                                                 headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
            XCTAssertAPIError(query, .serviceUnavailable, "busy")
            XCTAssertGreaterThanOrEqual(Int(query.headers[.retryAfter] ?? "") ?? 0, 1)
            let form = Send.multipart([(name: "file", fileName: "a.wav", type: nil, data: wav)])
            let add = try await client.execute(uri: "/api/items", method: .post,
                                               headers: Send.headers([(.contentType, form.contentType), (.authorization, "Bearer t")]),
                                               body: Send.bytes(form.body))
            XCTAssertAPIError(add, .serviceUnavailable)
            // Reading needs no worker.
            let health = try await client.execute(uri: "/api/health", method: .get)
            XCTAssertEqual(health.status, .ok)
            gate.open(jobs.count)
            for job in jobs { _ = try await job.value }
            let later = try await client.execute(uri: "/api/query", method: .post,
                                                 headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
            XCTAssertEqual(later.status, .ok)
        }
    }

    func testAQueryWaitingPastTheRequestTimeoutIs503() async throws {
        let service = try fixture.service { $0.workers = 1; $0.queueCapacity = 2; $0.requestTimeout = 0.3 }
        let gate = WorkerPoolTests.Gate()
        let blocker = Task { try await service.pool.run { gate.wait(); return 0 } }
        defer { gate.open() }
        while service.pool.load.running == 0 { usleep(2000) }
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            let query = try await client.execute(uri: "/api/query", method: .post,
                                                 headers: Send.headers([(.contentType, "audio/wav")]), body: Send.bytes(wav))
            XCTAssertAPIError(query, .serviceUnavailable, "waited")
            XCTAssertNotNil(query.headers[.retryAfter])
        }
        gate.open()
        _ = try await blocker.value
    }

    func testAllBodiesInFlightShareABoundedMemory() async throws {
        let service = try fixture.service { $0.bodyMemoryBytes = 1 << 20; $0.maxUploadBytes = 1 << 20 }
        XCTAssertTrue(service.memory.reserve(1 << 20), "a test holds all of it")
        defer { service.memory.release(1 << 20) }
        let wav = try Data(contentsOf: fixture.audioQuery)
        try await service.application().test(.router) { client in
            let query = try await client.execute(uri: "/api/query", method: .post,
                                                 headers: Send.headers([(.contentType, "audio/wav"), (.contentLength, String(wav.count))]),
                                                 body: Send.bytes(wav))
            XCTAssertAPIError(query, .serviceUnavailable, "uploads")
        }
        let memory = BodyMemory(capacity: 100)
        XCTAssertTrue(memory.reserve(60))
        XCTAssertFalse(memory.reserve(60))
        memory.release(60)
        XCTAssertTrue(memory.reserve(500), "one body larger than the budget may still come when nothing else is held")
    }

    func testASlowClientGets408WhileOthersAreServed() async throws {
        let service = try fixture.service { $0.readTimeout = 0.6; $0.idleTimeout = 5 }
        try await service.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let slow = try RawConnection(port: port)
            XCTAssertTrue(slow.send("POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: audio/wav\r\nContent-Length: 4000\r\n\r\n"))
            let started = Date()
            // Ten bytes every 0.15 s: alive, but far too slow for 4000 bytes in 0.6 s.
            var answered: (status: Int?, head: String, body: Data, closed: Bool)?
            let reader = Task.detached { slow.receiveResponse() }
            for _ in 0..<40 {
                if !slow.send(Data(repeating: 0x52, count: 10)) { break }
                try await Task.sleep(nanoseconds: 150_000_000)
                // Meanwhile another client is answered at once.
                if answered == nil, Date().timeIntervalSince(started) < 0.5 {
                    let health = try await client.execute(uri: "/api/health", method: .get)
                    XCTAssertEqual(health.status, .ok)
                }
                if Date().timeIntervalSince(started) > 1.5 { break }
            }
            answered = await reader.value
            XCTAssertEqual(answered?.status, 408, answered?.head ?? "")
            XCTAssertTrue(String(decoding: answered?.body ?? Data(), as: UTF8.self).contains("took longer than"))
        }
    }

    func testSilentAndTruncatedConnectionsAreClosedWithoutHarm() async throws {
        let service = try fixture.service { $0.idleTimeout = 0.5 }
        try await service.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            // Silent after connecting: closed by the idle timeout.
            let silent = try RawConnection(port: port, receiveTimeout: 5)
            let started = Date()
            let (_, closed) = await Task.detached { silent.receive() }.value
            XCTAssertTrue(closed, "the server closed the silent connection")
            XCTAssertLessThan(Date().timeIntervalSince(started), 4)
            // Headers only, then silence: closed too.
            let halfHead = try RawConnection(port: port, receiveTimeout: 5)
            XCTAssertTrue(halfHead.send("POST /api/query HTTP/1.1\r\nHost: local"))
            let halfHeadClosed = await Task.detached { halfHead.receive() }.value.closed
            XCTAssertTrue(halfHeadClosed)
            // A body announced longer than sent, then the client hangs up.
            let cut = try RawConnection(port: port, receiveTimeout: 5)
            XCTAssertTrue(cut.send("POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\nRIFF"))
            _ = cut
            // Garbage instead of HTTP: 400 and closed.
            let garbage = try RawConnection(port: port, receiveTimeout: 5)
            XCTAssertTrue(garbage.send("\u{1}\u{2}GET / HTTP/9\r\n\r\n"))
            let answer = await Task.detached { garbage.receiveResponse() }.value
            XCTAssertEqual(answer.status, 400)
            // Header lines too long: refused.
            let long = try RawConnection(port: port, receiveTimeout: 5)
            XCTAssertTrue(long.send("GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Long: \(String(repeating: "a", count: 100_000))\r\n\r\n"))
            let refused = await Task.detached { long.receiveResponse() }.value
            XCTAssertNotEqual(refused.status, 200)
            // The server is still fine (asked on a new connection: the test client's own one idled out too).
            let fresh = try RawConnection(port: port, receiveTimeout: 5)
            XCTAssertTrue(fresh.send("GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n"))
            let health = await Task.detached { fresh.receiveResponse() }.value
            XCTAssertEqual(health.status, 200)
            XCTAssertTrue(String(decoding: health.body, as: UTF8.self).contains("\"status\":\"ok\""))
        }
    }

    func testAnOversizedChunkedBodyIs413() async throws {
        let service = try fixture.service { $0.maxUploadBytes = 32 << 10 }
        try await service.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let connection = try RawConnection(port: port)
            XCTAssertTrue(connection.send("POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: audio/wav\r\nTransfer-Encoding: chunked\r\n\r\n"))
            let chunk = Data(repeating: 0x41, count: 8192)
            var sent = 0
            while sent < 64 << 10 {
                guard connection.send("2000\r\n"), connection.send(chunk), connection.send("\r\n") else { break }
                sent += chunk.count
            }
            let answer = await Task.detached { connection.receiveResponse() }.value
            XCTAssertEqual(answer.status, 413, answer.head)
            XCTAssertTrue(String(decoding: answer.body, as: UTF8.self).contains("32 KB"))
            let health = try await client.execute(uri: "/api/health", method: .get)
            XCTAssertEqual(health.status, .ok)
        }
    }

    /// A refused upload is not read: the answer comes with `Connection: close`, the server stops reading, and
    /// the connection ends although the client never sent the rest of its (declared 200 MB) body.
    func testARefusedUploadIsAnsweredAndItsConnectionClosedWithoutReadingTheBody() async throws {
        let service = try fixture.service { $0.maxUploadBytes = 1 << 20; $0.workers = 1; $0.queueCapacity = 0 }
        try await service.application().test(.live) { client in
            let port = try XCTUnwrap(client.port)
            let big = try RawConnection(port: port, receiveTimeout: 8)
            XCTAssertTrue(big.send("POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: audio/wav\r\nContent-Length: 200000000\r\n\r\n"))
            XCTAssertTrue(big.send(Data(repeating: 0x52, count: 256 << 10)))
            let started = Date()
            let answer = await Task.detached { big.receiveResponse() }.value
            XCTAssertEqual(answer.status, 413, answer.head)
            XCTAssertTrue(answer.head.lowercased().contains("connection: close"), answer.head)
            let rest = await Task.detached { big.receive() }.value
            XCTAssertTrue(rest.closed, "the server ends the connection")
            XCTAssertLessThan(Date().timeIntervalSince(started), 6)

            // A full server: 503 with Retry-After, and the same close.
            let gate = WorkerPoolTests.Gate()
            let blocker = Task { try await service.pool.run { gate.wait(); return 0 } }
            while !service.pool.isFull { try await Task.sleep(nanoseconds: 2_000_000) }
            let busy = try RawConnection(port: port, receiveTimeout: 8)
            XCTAssertTrue(busy.send("POST /api/query HTTP/1.1\r\nHost: localhost\r\nContent-Type: audio/wav\r\nContent-Length: 500000\r\n\r\nRIFF"))
            let refused = await Task.detached { busy.receiveResponse() }.value
            XCTAssertEqual(refused.status, 503, refused.head)
            XCTAssertTrue(refused.head.lowercased().contains("retry-after: "), refused.head)
            XCTAssertTrue(refused.head.lowercased().contains("connection: close"), refused.head)
            let busyClosed = await Task.detached { busy.receive() }.value.closed
            XCTAssertTrue(busyClosed)
            gate.open()
            _ = try await blocker.value
        }
    }

    func testEveryRequestIsLoggedOnceWithStatusAndTime() async throws {
        let lines = LogLines()
        var logger = Logger(label: "refrain.serve.test") { _ in CapturingLogHandler(lines: lines) }
        logger.logLevel = .info
        let service = try fixture.service(logger: logger)
        try await service.application().test(.router) { client in
            _ = try await client.execute(uri: "/api/health", method: .get)
            _ = try await client.execute(uri: "/api/items/nocturne", method: .get)
            _ = try await client.execute(uri: "/api/query?top=2", method: .post, headers: Send.headers([(.contentType, "text/plain")]))
        }
        let requests = lines.all.filter { $0.contains(" s") && ($0.hasPrefix("GET ") || $0.hasPrefix("POST ")) }
        XCTAssertEqual(requests.count, 3, "\(lines.all)")
        XCTAssertNotNil(requests[0].range(of: #"^GET /api/health 200 \d+\.\d{3} s \d+ B$"#, options: .regularExpression), requests[0])
        XCTAssertTrue(requests[1].hasPrefix("GET /api/items/nocturne 404 "), requests[1])
        XCTAssertTrue(requests[2].hasPrefix("POST /api/query?top=2 415 "), requests[2])
    }
}

final class LogLines: @unchecked Sendable {
    private var lines: [String] = []
    private let lock = NSLock()
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

struct CapturingLogHandler: LogHandler {
    let lines: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { lines.append(event.message.description) }
}
