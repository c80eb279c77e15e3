// See clearnkernels.h. Built with -fno-math-errno so that sqrtf is the vector square-root instruction.
#include "clearnkernels.h"

#include <math.h>

void refrain_rmsprop_update(float *restrict x, float *restrict g, float *restrict s, size_t n, float lr, float alpha,
                            float eps) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float si = alpha * s[i] + (1.0f - alpha) * gi * gi;
        s[i] = si;
        x[i] -= lr * gi / (sqrtf(si) + eps);
        g[i] = 0.0f;
    }
}

void refrain_adam_update(float *restrict x, float *restrict g, float *restrict m, float *restrict v, size_t n,
                         float step_size, float b1, float b2, float root2, float eps) {
    for (size_t i = 0; i < n; i++) {
        float gi = g[i];
        float mi = b1 * m[i] + (1.0f - b1) * gi;
        float vi = b2 * v[i] + (1.0f - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        x[i] -= step_size * mi / (sqrtf(vi) / root2 + eps);
        g[i] = 0.0f;
    }
}
