#pragma once
#include <stdio.h>

/// Makes C stdio's `stdout` line-buffered, also when it is a file or a pipe (Swift 6 cannot reach the C
/// global `stdout` itself). Swift's `print` writes through this stream.
static inline void refrain_line_buffer_stdout(void) {
    setvbuf(stdout, NULL, _IOLBF, 0);
}
