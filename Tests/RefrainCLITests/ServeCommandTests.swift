import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import RefrainTestSupport
import XCTest

/// `refrain serve` as a user runs it: it refuses bad settings with one line, says where it listens, answers,
/// sees what another process's `refrain add` commits, and stops cleanly on SIGTERM.
final class ServeCommandTests: XCTestCase {
    func testBadSettingsAreRefusedWithOneLine() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let index = directory.appendingPathComponent("index").path
        assertSuccess(try refrain("index", "create", index), "index create")
        let empty = directory.appendingPathComponent("empty-token").path
        FileManager.default.createFile(atPath: empty, contents: Data("  \n".utf8))
        let cases: [([String], [String])] = [
            (["serve", directory.appendingPathComponent("nothing").path, "--port", "0"], ["nothing"]),
            (["serve", index, "--port", "0", "--token-file", directory.appendingPathComponent("missing").path], ["missing", "no such file"]),
            (["serve", index, "--port", "0", "--token-file", empty], ["empty"]),
            (["serve", index, "--port", "70000"], ["--port"]),
            (["serve", index, "--port", "0", "--workers", "0"], ["--workers"]),
            (["serve", index, "--port", "0", "--max-upload-mb", "0"], ["--max-upload-mb"]),
            (["serve", index, "--port", "0", "--cors-origin", "example.org"], ["--cors-origin"]),
        ]
        for (arguments, words) in cases {
            assertOneLineError(try RefrainExecutable.run(arguments), mentioning: words, arguments.joined(separator: " "))
        }
        // A port another program holds.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, length) } }
        listen(holder, 1)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &length) } }
        let port = Int(UInt16(bigEndian: address.sin_port))
        assertOneLineError(try RefrainExecutable.run(["serve", index, "--port", String(port)]), mentioning: ["cannot serve", String(port)],
                           "port in use")
    }

    func testItServesSeesAnotherProcessesAddAndStopsOnSIGTERM() throws {
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        assertSuccess(try refrain("demo", "--out-dir", directory.path), "demo")
        let index = directory.appendingPathComponent("index").path

        let server = Process()
        server.executableURL = try XCTUnwrap(RefrainExecutable.url)
        server.arguments = ["serve", index, "--port", "0", "--threads", "1"]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { server.terminate() } }
        var banner = ""
        let deadline = Date().addingTimeInterval(30)
        while !banner.contains("\n") && Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            banner += String(decoding: chunk, as: UTF8.self)
        }
        let range = try XCTUnwrap(banner.range(of: #"http://127\.0\.0\.1:\d+/"#, options: .regularExpression), banner)
        let base = String(banner[range])
        XCTAssertTrue(banner.contains("12 items"), banner)

        let health = try get(base + "api/health")
        XCTAssertEqual(health.status, 200)
        XCTAssertTrue(health.body.contains("\"items\":12"), health.body)

        // Another process adds a file: the running server sees it at once.
        let excerpt = directory.appendingPathComponent("query-minuet-in-g-excerpt.wav").path
        assertSuccess(try refrain("add", index, excerpt), "add")
        let item = try get(base + "api/items/query-minuet-in-g-excerpt")
        XCTAssertEqual(item.status, 200, item.body)
        XCTAssertTrue(try get(base + "api/health").body.contains("\"items\":13"))

        let stopped = Date()
        server.terminate()  // SIGTERM
        server.waitUntilExit()
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 10)
        XCTAssertEqual(server.terminationReason, .exit, "stops by itself on SIGTERM, not killed by it")
        XCTAssertEqual(server.terminationStatus, 0)
    }

    /// A GET through URLSession, waited for (10 s at most).
    func get(_ url: String) throws -> (status: Int, body: String) {
        final class Box: @unchecked Sendable { var status = 0; var body = ""; var error: (any Error)? }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        var request = URLRequest(url: try XCTUnwrap(URL(string: url)))
        request.timeoutInterval = 10
        URLSession.shared.dataTask(with: request) { data, response, error in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.body = data.map { String(decoding: $0, as: UTF8.self) } ?? ""
            box.error = error
            done.signal()
        }.resume()
        XCTAssertEqual(done.wait(timeout: .now() + 15), .success, "no answer from \(url)")
        if let error = box.error { throw error }
        return (box.status, box.body)
    }
}
