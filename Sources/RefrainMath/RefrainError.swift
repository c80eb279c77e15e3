/// The one error family of Refrain: every failure carries a human sentence that the CLI prints on one line.
///
/// Library code throws `RefrainError`; the command line prints `error: <message>` and exits non-zero.
public struct RefrainError: Error, CustomStringConvertible, Equatable, Sendable {
    /// What went wrong, broadly; lets callers (and tests) react without parsing the message.
    public enum Kind: String, Sendable {
        /// A path that does not exist or cannot be opened.
        case fileNotFound
        /// A file that exists but is not what it claims to be (corrupt, truncated, wrong format).
        case invalidFile
        /// An argument or value out of its allowed range.
        case invalidArgument
        /// Something valid that Refrain does not handle.
        case unsupported
        /// A failure reading or writing (disk full, permissions).
        case io
        /// An index that is missing, from another version, or made with other settings.
        case index
        /// A needed external resource (a soundfont, a library) is missing.
        case missingResource
    }

    public let kind: Kind
    /// One sentence, no trailing newline.
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }

    public static func fileNotFound(_ path: String) -> RefrainError {
        RefrainError(.fileNotFound, "\(path): no such file")
    }

    public static func invalidFile(_ path: String, _ reason: String) -> RefrainError {
        RefrainError(.invalidFile, "\(path): \(reason)")
    }

    public static func invalidArgument(_ message: String) -> RefrainError {
        RefrainError(.invalidArgument, message)
    }
}
