#pragma once
#include <stdio.h>
#include <sndfile.h>

/// Points C stdio's `stderr` at `replacement` and returns the stream it pointed at before (Swift 6
/// cannot assign the C global itself). Only C code that prints through `stderr` is affected, not
/// writes to file descriptor 2.
static inline FILE *refrain_swap_stderr(FILE *replacement) {
    FILE *previous = stderr;
    stderr = replacement;
    return previous;
}
