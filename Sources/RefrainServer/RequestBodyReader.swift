import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Reads a request body into memory under three bounds: its size (`limit`: 413, checked against
/// `Content-Length` before anything is read, and again while reading), the time the client takes to send it
/// (`timeout`: 408; a client that stops sending altogether is cut by the connection's idle timeout), and the
/// memory all bodies in flight may hold together (`BodyMemory`: 503).
enum RequestBodyReader {
    /// The declared length, when the request has one: a 413 if over `limit`, a 400 if unreadable.
    static func declaredLength(_ request: Request, limit: Int) throws -> Int? {
        guard let value = request.headers[.contentLength] else { return nil }
        guard let length = Int(value), length >= 0 else { throw APIError.badRequest("the Content-Length '\(value)' is not a number of bytes") }
        if length > limit { throw tooLarge(limit) }
        return length
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "the request body is larger than the server accepts (\(size(limit)))")
    }

    /// "50 MB", "64 KB" or "1000 bytes" (binary multiples).
    static func size(_ bytes: Int) -> String {
        if bytes % (1 << 20) == 0 { return "\(bytes >> 20) MB" }
        if bytes % (1 << 10) == 0 { return "\(bytes >> 10) KB" }
        return "\(bytes) bytes"
    }

    /// The whole body. Call `declaredLength` first (and reserve memory with it).
    static func read(_ request: Request, limit: Int, declared: Int?, timeout: Double) async throws -> Data {
        let deadline = Date().addingTimeInterval(timeout)
        var data = Data()
        data.reserveCapacity(min(declared ?? 1 << 20, limit))
        for try await chunk in request.body {
            if data.count + chunk.readableBytes > limit { throw tooLarge(limit) }
            data.append(contentsOf: chunk.readableBytesView)
            if Date() > deadline {
                throw APIError(.requestTimeout, "the request body took longer than \(Int(timeout)) s to arrive")
            }
        }
        if let declared, data.count != declared {
            throw APIError.badRequest("the request body ended after \(data.count) of its \(declared) bytes")
        }
        return data
    }
}

/// The memory that request bodies in flight may hold together: a request reserves its body's size before
/// reading it (the declared length, or the upload limit when none is declared) and gives it back when answered.
final class BodyMemory: @unchecked Sendable {
    let capacity: Int
    private var reserved = 0
    private let lock = NSLock()

    init(capacity: Int) { self.capacity = capacity }

    /// Reserves `bytes`, or returns false when that would pass the capacity.
    func reserve(_ bytes: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard reserved + bytes <= capacity || reserved == 0 else { return false }
        reserved += bytes
        return true
    }

    func release(_ bytes: Int) {
        lock.lock()
        reserved -= bytes
        lock.unlock()
    }

    var inUse: Int {
        lock.lock()
        defer { lock.unlock() }
        return reserved
    }
}
