import RefrainAudio
import RefrainMath

/// The process-wide settings a Refrain executable makes once, at start. Library code changes none of them
/// (they would change every other user of the process), so an executable opts in here, explicitly.
public enum ProcessSetup {
    /// - Large freed buffers are kept for reuse instead of being mapped afresh (`ProcessMemory`): commands
    ///   and servers analyse file after file.
    /// - C stdio's `stderr` is silenced while MP3 data is decoded, so libmpg123's notes on damaged data do
    ///   not break the one-line errors (`AudioDecoder.silenceMPEGDecoderNotes`).
    /// - OpenBLAS runs one thread per caller; Refrain splits large products itself (`BLASThreads`).
    /// - Standard output flushes at every newline, also into a file or a pipe, so the progress of long
    ///   commands (`refrain train`, `refrain-bench`) reaches a log as it is printed (`StandardOutput`).
    public static func forExecutable() {
        StandardOutput.flushEachLine()
        ProcessMemory.keepFreedBuffers()
        AudioDecoder.silenceMPEGDecoderNotes()
        BLASThreads.useOneThreadPerCaller()
    }
}
