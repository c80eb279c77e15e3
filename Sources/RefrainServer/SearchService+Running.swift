import Foundation
import Hummingbird
import Logging
import Refrain

extension SearchService {
    /// A logger writing one line per message to standard error (no process-wide logging setup needed).
    public static func standardErrorLogger(level: Logger.Level = .info) -> Logger {
        var logger = Logger(label: "refrain.serve") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = level
        return logger
    }

    /// Serves until the process gets SIGINT or SIGTERM (then finishes the requests in flight), blocking the
    /// calling thread. `announce` gets the base URL (`http://127.0.0.1:8080/`) once the server listens.
    /// - Throws: `RefrainError` when it cannot listen (address in use, no such host).
    public func serve(announce: @escaping @Sendable (String) -> Void) throws {
        final class Outcome: @unchecked Sendable { var error: (any Error)? }
        let outcome = Outcome()
        let done = DispatchSemaphore(value: 0)
        let host = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        let app = application { port in announce("http://\(host):\(port)/") }
        Task {
            do { try await app.runService() } catch { outcome.error = error }
            done.signal()
        }
        done.wait()
        pool.shutdown()
        if let error = outcome.error {
            throw RefrainError(.io, "cannot serve on \(host):\(settings.port): \(error)")
        }
    }
}
