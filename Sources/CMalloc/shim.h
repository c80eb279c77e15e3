#pragma once
// glibc's allocator settings (mallopt); RefrainMath's ProcessMemory is the only user.
#if defined(__linux__)
#include <malloc.h>
#endif
