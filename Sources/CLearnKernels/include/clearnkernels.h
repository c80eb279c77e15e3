#pragma once
// Element-wise optimiser updates for RefrainLearn, in C so that the square root vectorises (Swift's
// Float.squareRoot, scalar or SIMD, lowers to libm's sqrtf with its errno path, one call per element). Each
// function updates elements [0, n) in place and clears the gradient. Wrapped by RefrainLearn's optimisers; no C
// type leaves that module.
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// RMSProp: s = alpha s + (1 - alpha) g^2; x -= lr g / (sqrt(s) + eps); g = 0.
void refrain_rmsprop_update(float *x, float *g, float *s, size_t n, float lr, float alpha, float eps);

/// Adam with bias correction folded into step_size = lr / (1 - beta1^t) and root2 = sqrt(1 - beta2^t):
/// m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; x -= step_size m / (sqrt(v) / root2 + eps); g = 0.
void refrain_adam_update(float *x, float *g, float *m, float *v, size_t n, float step_size, float b1, float b2,
                         float root2, float eps);

#ifdef __cplusplus
}
#endif
