import Foundation

/// Progress of a long job on standard error: a redrawn bar on a terminal, plain lines otherwise (logs,
/// pipes), at most every `interval` seconds plus the last one.
public final class ProgressReporter: @unchecked Sendable {
    public let total: Int
    public let label: String
    private let isTerminal: Bool
    private let interval: Double
    private var done = 0
    private var lastReport = 0.0
    private let started = Date()
    private let lock = NSLock()

    public init(total: Int, label: String, interval: Double? = nil, terminal: Bool? = nil) {
        self.total = total
        self.label = label
        self.isTerminal = terminal ?? (isatty(STDERR_FILENO) != 0)
        self.interval = interval ?? (self.isTerminal ? 0.1 : 2)
    }

    /// One more unit done.
    public func step() {
        lock.lock(); defer { lock.unlock() }
        done += 1
        let now = Date().timeIntervalSince(started)
        guard done == total || now - lastReport >= interval else { return }
        lastReport = now
        let rate = now > 0 ? Double(done) / now : 0
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            FileHandle.standardError.write(Data(String(format: "\r%@ [%@] %d/%d %.1f/s", label, bar, done, total, rate).utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            FileHandle.standardError.write(Data(String(format: "%@: %d/%d (%.1f/s)\n", label, done, total, rate).utf8))
        }
    }

    /// A message on its own line (breaking the bar if one is drawn).
    public func note(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(((isTerminal ? "\r\u{1B}[K" : "") + message + "\n").utf8))
    }
}
