#pragma once
// Soft-DTW (Cuturi & Blondel, ICML 2017) value and expected alignment in Float32, thirty-two rows at a time
// along anti-diagonals, with vectorised exp and log. Written in C with clang's vector extensions so that the
// wavefront's lane shifts compile to single permutes (Swift's SIMD types scalarised them). Wrapped by
// RefrainAlign's SoftDTW; no C type leaves that module.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Soft-DTW value of the n x m row-major cost matrix `cost` at temperature `gamma` (> 0); when `gradient` is
/// not NULL, the expected alignment (dvalue/dcost, n x m row-major) is written there. Returns NaN when memory
/// cannot be allocated.
float refrain_soft_dtw(const float *cost, size_t n, size_t m, float gamma, float *gradient);

#ifdef __cplusplus
}
#endif
