import CSndFile
import Foundation
import RefrainMath

/// libmpg123, the MP3 decoder behind libsndfile, reports damaged or non-MPEG data with
/// `fprintf(stderr, "Note: Illegal Audio-MPEG-Header ...")` (libsndfile never sets its quiet flag), which
/// breaks the command line's one-line errors and progress bars. Once an executable opts in
/// (`AudioDecoder.silenceMPEGDecoderNotes()`), C stdio's `stderr` points at `/dev/null` while a file that
/// libsndfile hands to that decoder is opened and read. Swift's `FileHandle.standardError` writes to file
/// descriptor 2 directly and is not affected. Library code never turns this on: it changes the whole process.
enum MPEGNoiseSilencer {
    /// Whether decoding silences C `stderr` (off until an executable opts in).
    static var isEnabled: Bool {
        get { state.lock.lock(); defer { state.lock.unlock() }; return state.enabled }
        set { state.lock.lock(); state.enabled = newValue; state.lock.unlock() }
    }

    /// Whether libsndfile may give data starting with `prefix` to its MPEG decoder: an ID3v2 tag or an MPEG
    /// audio frame sync (11 set bits); or anything that is not one of the containers libsndfile recognises by
    /// their first bytes, since it then falls back to the file name's extension (`.mp3`: a text file so
    /// named reaches libmpg123) or, for data in memory, to probing the MPEG decoder.
    static func mayReachMPEGDecoder<Bytes: Collection<UInt8>>(_ prefix: Bytes) -> Bool {
        let b = Array(prefix.prefix(4))
        if b.count >= 2 && b[0] == 0xFF && b[1] & 0xE0 == 0xE0 { return true }
        if b.count >= 3 && b.prefix(3) == ArraySlice("ID3".utf8) { return true }
        return !nativeMagics.contains { b.count >= $0.count && Array(b.prefix($0.count)) == $0 }
    }

    /// The first bytes of the containers libsndfile parses itself (WAV, RIFX, RF64, W64, AIFF, Ogg, FLAC,
    /// CAF, AU in both byte orders).
    private static let nativeMagics: [[UInt8]] = ["RIFF", "RIFX", "RF64", "riff", "FORM", "OggS", "fLaC", "caff",
                                                  ".snd", "dns."].map { Array($0.utf8) }

    /// Runs `body` with C `stderr` silenced when `silenced`; nested and concurrent runs share one
    /// silencing, which the last to finish lifts.
    static func run<T>(silenced: Bool, _ body: () throws -> T) rethrows -> T {
        guard silenced, isEnabled, let null = state.null else { return try body() }
        state.lock.lock()
        if state.depth == 0 { state.saved = refrain_swap_stderr(null) }
        state.depth += 1
        state.lock.unlock()
        defer {
            state.lock.lock()
            state.depth -= 1
            if state.depth == 0, let saved = state.saved { _ = refrain_swap_stderr(saved) }
            state.lock.unlock()
        }
        return try body()
    }

    private final class State: @unchecked Sendable {
        let lock = NSLock()
        var enabled = false
        var depth = 0
        var saved: UnsafeMutablePointer<FILE>?
        /// Opened once and never closed, so that a thread still holding the swapped pointer stays safe.
        let null = fopen("/dev/null", "w")
    }

    private static let state = State()
}
