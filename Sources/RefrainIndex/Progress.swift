import Foundation

/// Progress of a long job on standard error (or any `output`): a redrawn bar on a terminal, plain lines
/// otherwise (logs, pipes), at most every `interval` seconds plus the last one.
///
/// Plain lines read `label: done/total (rate/s)`; the bar is `\r` + `label [###---] done/total rate/s`
/// with 30 characters between the brackets, and a newline once `done == total`.
public final class ProgressReporter: @unchecked Sendable {
    public let total: Int
    public let label: String
    private let isTerminal: Bool
    private let interval: Double
    private let output: @Sendable (String) -> Void
    private let elapsed: @Sendable () -> Double
    private var done = 0
    private var lastReport = 0.0
    private let lock = NSLock()

    /// - Parameters:
    ///   - interval: seconds between reports (default 0.1 s on a terminal, 2 s otherwise).
    ///   - terminal: whether to draw a bar (default: whether standard error is a terminal).
    ///   - output: where the text goes, called under the reporter's lock (default: standard error).
    ///   - clock: seconds since the job started (default: wall-clock time since this initializer ran).
    public init(total: Int, label: String, interval: Double? = nil, terminal: Bool? = nil,
                output: @escaping @Sendable (String) -> Void = ProgressReporter.writeToStandardError,
                clock: (@Sendable () -> Double)? = nil) {
        self.total = total
        self.label = label
        self.isTerminal = terminal ?? (isatty(STDERR_FILENO) != 0)
        self.interval = interval ?? (self.isTerminal ? 0.1 : 2)
        self.output = output
        let started = Date()
        self.elapsed = clock ?? { Date().timeIntervalSince(started) }
    }

    /// Writes `text` to standard error as it is.
    @Sendable public static func writeToStandardError(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// One more unit done.
    public func step() {
        lock.lock(); defer { lock.unlock() }
        done += 1
        let now = elapsed()
        guard done == total || now - lastReport >= interval else { return }
        lastReport = now
        let rate = now > 0 ? Double(done) / now : 0
        if isTerminal {
            let width = 30
            let filled = total > 0 ? width * done / total : width
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            output(String(format: "\r%@ [%@] %d/%d %.1f/s", label, bar, done, total, rate))
            if done == total { output("\n") }
        } else {
            output(String(format: "%@: %d/%d (%.1f/s)\n", label, done, total, rate))
        }
    }

    /// A message on its own line (breaking the bar if one is drawn).
    public func note(_ message: String) {
        lock.lock(); defer { lock.unlock() }
        output((isTerminal ? "\r\u{1B}[K" : "") + message + "\n")
    }
}
