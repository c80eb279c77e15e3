import Foundation
import Refrain

/// How `refrain serve` serves an index: where it listens, how much work it takes on, who may write.
public struct ServiceSettings: Sendable {
    /// Address to bind (loopback by default: the server is reachable from this machine only).
    public var host: String = "127.0.0.1"
    /// TCP port (0: any free port, printed when the server starts).
    public var port: Int = 8080
    /// Jobs (queries, adds, removals) run at once, each on its own thread.
    public var workers: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Jobs that may wait for a worker; one more is answered 503 with `Retry-After`.
    public var queueCapacity: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Largest request body accepted, bytes (413 above).
    public var maxUploadBytes: Int = 50 << 20
    /// Request bodies held in memory at once, bytes, over all requests (503 above).
    public var bodyMemoryBytes: Int = 256 << 20
    /// The bearer token that write requests must present; nil: writes are refused (403).
    public var token: String?
    /// Origins allowed to call the API from other pages (CORS); empty: no CORS headers at all.
    public var corsOrigins: [String] = []
    /// Seconds a client has to send its whole request body (408 after).
    public var readTimeout: Double = 30
    /// Seconds a job may wait and run before its request is answered 503 (still waiting) or 504 (running).
    public var requestTimeout: Double = 60
    /// Seconds a connection may stay silent (between requests, or mid-request) before it is closed.
    public var idleTimeout: Double = 30

    public init() {}

    /// Checks the values a user can get wrong; the message names the option.
    public func validate() throws {
        func check(_ ok: Bool, _ message: String) throws {
            if !ok { throw RefrainError.invalidArgument(message) }
        }
        try check((0...65535).contains(port), "--port must be between 0 and 65535, got \(port)")
        try check(workers >= 1, "--workers must be at least 1, got \(workers)")
        try check(queueCapacity >= 0, "--queue must be 0 or more, got \(queueCapacity)")
        try check(maxUploadBytes >= 1024, "--max-upload-mb must allow at least 1 KiB")
        try check(readTimeout > 0 && requestTimeout > 0 && idleTimeout > 0, "timeouts must be positive")
        try check(token.map { !$0.isEmpty } ?? true, "the token file is empty")
        for origin in corsOrigins {
            try check(origin == "*" || origin.hasPrefix("http://") || origin.hasPrefix("https://"),
                      "--cors-origin takes an origin like https://example.org (or *), not '\(origin)'")
        }
    }
}
