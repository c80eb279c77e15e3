import Foundation
#if canImport(Glibc)
import CMalloc
#endif

/// How the process hands memory back to the system.
///
/// glibc returns a large freed buffer to the kernel at once (above its mmap threshold) or when the heap's free top
/// passes 128 KiB, and the next buffer of that size is mapped afresh: the kernel zeroes it page by page on first
/// touch. In the virtual machines this project runs on that costs about 2 us per 4 KiB page, 16 ms for the 32 MB
/// a 3-minute stereo file decodes to, more than decoding it. Analysis makes and drops buffers of that size for
/// every file (the decoded signal, its resampled copy, the CQT's octave signals, spectrograms), so a process that
/// analyses more than one file (`refrain add`, a server, a benchmark) should keep them.
public enum ProcessMemory {
    /// Serves buffers up to 32 MiB (glibc's largest mmap threshold) from the heap and keeps up to `bytes` of freed
    /// heap memory for reuse instead of returning it; limits the allocator to one heap per core, which bounds
    /// what is kept. Call once, early, from an executable: it changes the whole process. No effect off glibc.
    public static func keepFreedBuffers(upTo bytes: Int = 512 << 20) {
        #if canImport(Glibc)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32(clamping: bytes))
        _ = mallopt(M_ARENA_MAX, Int32(clamping: max(1, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}
