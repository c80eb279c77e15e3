import CStdio

/// The process's standard output stream.
public enum StandardOutput {
    /// Flushes standard output at every newline, also when it is redirected to a file or a pipe (C stdio
    /// buffers those in 4 KiB blocks by default), so a long command's progress lines reach its log as they are
    /// printed rather than at exit. Call once, early, from an executable: it changes the whole process.
    public static func flushEachLine() {
        refrain_line_buffer_stdout()
    }
}
