import Foundation

/// The built `refrain` command line, for tests that run it as a user would.
public enum RefrainExecutable {
    /// The executable beside the test bundle (`swift test` builds it there), else `.build/release/refrain`
    /// of this checkout; nil when neither exists.
    public static var url: URL? {
        var candidates = [Fixtures.repositoryRoot.appendingPathComponent(".build/release/refrain")]
        for bundle in Bundle.allBundles {
            candidates.insert(bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("refrain"), at: 0)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
    }

    /// What one run printed and how it ended.
    public struct Outcome: Sendable {
        /// The exit status, or the signal number when `signalled`.
        public var status: Int32
        /// Whether a signal ended the process (a crash: SIGILL from a Swift trap, SIGSEGV, SIGABRT).
        public var signalled: Bool
        public var stdout: String
        public var stderr: String
    }

    /// Runs `refrain arguments...` to completion (standard input empty), capturing both output streams.
    /// - Throws: when the executable is not built, or cannot be started.
    public static func run(_ arguments: [String]) throws -> Outcome {
        guard let url else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSLocalizedDescriptionKey:
                "the refrain executable is not built (swift build -c release --product refrain)"])
        }
        let directory = try Fixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("stdout"), err = directory.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        try process.run()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                       stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                       stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self))
    }
}
