// See csoftdtw.h. Layout: strip s holds rows 32s ..< 32s + 32; in step t lane k works on cell (32s + k, t - k),
// so its left neighbour is its own previous value, its upper neighbour lane k - 1's previous value and its
// diagonal neighbour lane k - 1's value two steps back (a one-lane shift of the previous vectors). Cells
// outside the matrix hold R = +inf (forward) and G = -big, E = 0 (backward). The forward pass keeps R and
// G = R - C (the soft minimum of the predecessors); the backward pass weighs the edge from p to its successor q
// by exp((G_q - R_p) / gamma), the probability that the soft minimum at q came from p.
#include "csoftdtw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define W 32
typedef float vf __attribute__((ext_vector_type(W)));
typedef int vi __attribute__((ext_vector_type(W)));

static const float BIG = 1e30f;

static inline vf splat(float x) { return (vf)x; }
static inline vf vselect(vi mask, vf a, vf b) { return (vf)(((vi)a & mask) | ((vi)b & ~mask)); }

// e^x for x <= 88; below -87.3 (and -inf) gives 0. Cephes expf range reduction and polynomial.
static inline vf vexp(vf x) {
    vi small = x < -87.3f;
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, splat(-87.3f)), splat(88.0f));
    vf n = __builtin_elementwise_floor(x * 1.44269504f + 0.5f);
    vf r = x - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    vf p = splat(1.9875691500e-4f);
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    vi bits = (__builtin_convertvector(n, vi) + 127) << 23;
    return (vf)((vi)(p * (vf)bits) & ~small);
}

// log x for x in [1, 6): halved into m in [0.75, 1.5), log m = 2 atanh((m - 1)/(m + 1)) to u^9.
static inline vf vlog1to6(vf x) {
    vf m = x, e = splat(0.0f);
    vi high = m >= 1.5f;
    m = vselect(high, m * 0.5f, m);
    e = vselect(high, e + 1.0f, e);
    high = m >= 1.5f;
    m = vselect(high, m * 0.5f, m);
    e = vselect(high, e + 1.0f, e);
    vf u = (m - 1.0f) / (m + 1.0f);
    vf u2 = u * u;
    vf s = splat(1.0f / 9.0f);
    s = s * u2 + 1.0f / 7.0f;
    s = s * u2 + 1.0f / 5.0f;
    s = s * u2 + 1.0f / 3.0f;
    s = s * u2 + 1.0f;
    return e * 0.69314718f + 2.0f * u * s;
}

// (first, v[0], ..., v[30]) and (v[1], ..., v[31], last).
#define SHIFT_UP_IDX 32, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30
#define SHIFT_DOWN_IDX 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32
static inline vf shift_up(vf v, float first) { return __builtin_shufflevector(v, splat(first), SHIFT_UP_IDX); }
static inline vf shift_down(vf v, float last) { return __builtin_shufflevector(v, splat(last), SHIFT_DOWN_IDX); }

static inline vi valid_lanes(long t, long m, long rows) {
    vf k = (vf){0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31};
    vf tv = splat((float)t);
    return (k <= tv) & (k > tv - (float)m) & (k < (float)rows);
}

static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void store(float *p, vf v) { memcpy(p, &v, sizeof v); }

float refrain_soft_dtw(const float *cost, size_t n_, size_t m_, float gamma, float *gradient) {
    const long n = (long)n_, m = (long)m_;
    const long strips = (n + W - 1) / W;
    const long steps = m + W - 1 + 4, stripSize = steps * W, origin = 2 * W;
    float *rAll = aligned_alloc(64, sizeof(float) * strips * stripSize);
    float *gAll = aligned_alloc(64, sizeof(float) * strips * stripSize);
    float *dsk = aligned_alloc(64, sizeof(float) * stripSize);
    float *esk = aligned_alloc(64, sizeof(float) * stripSize);
    float *edgeR = malloc(sizeof(float) * (m + 2 * W));
    float *edgeE = malloc(sizeof(float) * (m + 2 * W));
    float *edgeG = malloc(sizeof(float) * (m + 2 * W));
    float value = NAN;
    if (!rAll || !gAll || !dsk || !esk || !edgeR || !edgeE || !edgeG) goto done;
    for (long i = 0; i < strips * stripSize; i++) { rAll[i] = INFINITY; gAll[i] = -BIG; }
    memset(dsk, 0, sizeof(float) * stripSize);
    memset(esk, 0, sizeof(float) * stripSize);
    for (long j = 0; j < m + 2 * W; j++) { edgeR[j] = INFINITY; edgeE[j] = 0; edgeG[j] = -BIG; }
    const vf invGamma = splat(1.0f / gamma), g = splat(gamma), inf = splat(INFINITY), minusBig = splat(-BIG);
    float *above = edgeR + W;
    above[-1] = 0;  // R[-1][-1] = 0, the rest of row -1 infinite
    for (long s = 0; s < strips; s++) {
        const long i0 = W * s, rows = n - i0 < W ? n - i0 : W;
        for (long k = 0; k < rows; k++) {
            const float *src = cost + (i0 + k) * m;
            float *dst = dsk + origin + k;
            for (long j = 0; j < m; j++) dst[(j + k) * W] = src[j];
        }
        float *r = rAll + s * stripSize + origin, *gq = gAll + s * stripSize + origin;
        vf prev1 = inf, prev2 = inf;
        for (long t = 0; t < m + W - 1; t++) {
            vf up = shift_up(prev1, above[t]), left = prev1, diag = shift_up(prev2, above[t - 1]);
            vf lo = __builtin_elementwise_min(__builtin_elementwise_min(up, left), diag);
            vf loSafe = vselect(lo == inf, splat(0.0f), lo);
            vf sum = vexp((loSafe - up) * invGamma) + vexp((loSafe - left) * invGamma) + vexp((loSafe - diag) * invGamma);
            vf soft = loSafe - g * vlog1to6(sum);
            vf rv = load(dsk + origin + t * W) + soft, gv = soft;
            if (t < W - 1 || t >= m || rows < W) {
                vi ok = valid_lanes(t, m, rows);
                rv = vselect(ok, rv, inf);
                gv = vselect(ok, gv, minusBig);
            }
            store(r + t * W, rv);
            store(gq + t * W, gv);
            prev2 = prev1;
            prev1 = rv;
        }
        above[-1] = INFINITY;
        if (rows == W) for (long j = 0; j < m; j++) above[j] = r[(j + W - 1) * W + W - 1];
        if (s == strips - 1) value = r[(m - 1 + rows - 1) * W + rows - 1];
    }
    if (!gradient) goto done;
    float *belowE = edgeE + W, *belowG = edgeG + W;
    for (long s = strips - 1; s >= 0; s--) {
        const long i0 = W * s, rows = n - i0 < W ? n - i0 : W;
        const float *r = rAll + s * stripSize + origin, *gq = gAll + s * stripSize + origin;
        vf next1 = splat(0.0f), next2 = splat(0.0f);
        vf gNext1 = load(gq + (m + W - 1) * W), gNext2 = load(gq + (m + W) * W);
        const long cornerStep = s == strips - 1 ? m - 1 + rows - 1 : -1;
        for (long t = m + W - 2; t >= 0; t--) {
            vf rp = load(r + t * W);
            // Lane 31 (column t - 31) has its lower neighbours in the row below the strip: columns t - 31, t - 30.
            vf gDown = shift_down(gNext1, belowG[t - W + 1]), gDiag = shift_down(gNext2, belowG[t - W + 2]);
            vf eDown = shift_down(next1, belowE[t - W + 1]), eDiag = shift_down(next2, belowE[t - W + 2]);
            vf e = eDown * vexp((gDown - rp) * invGamma) + next1 * vexp((gNext1 - rp) * invGamma)
                 + eDiag * vexp((gDiag - rp) * invGamma);
            if (t < W - 1 || t >= m || rows < W) e = vselect(valid_lanes(t, m, rows), e, splat(0.0f));
            if (t == cornerStep) e[rows - 1] = 1.0f;  // every path ends at (n-1, m-1)
            store(esk + origin + t * W, e);
            next2 = next1;
            next1 = e;
            gNext2 = gNext1;
            gNext1 = load(gq + t * W);
        }
        for (long k = 0; k < rows; k++) {
            float *dst = gradient + (i0 + k) * m;
            const float *src = esk + origin + k;
            for (long j = 0; j < m; j++) dst[j] = src[(j + k) * W];
        }
        for (long j = 0; j < m; j++) { belowE[j] = esk[origin + j * W]; belowG[j] = gq[j * W]; }
    }
done:
    free(rAll); free(gAll); free(dsk); free(esk); free(edgeR); free(edgeE); free(edgeG);
    return value;
}
