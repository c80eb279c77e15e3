/* Plain C reference for `refrain-bench align`: the standard DTW recurrence
 * D[i][j] = c(i,j) + min(D[i-1][j-1], D[i-1][j], D[i][j-1]), two rows of memory, costs computed on
 * the fly (squared Euclidean over `dims` floats, or XOR + popcount of 16-bit hashes). This is what
 * one core does without lanes; the benchmark compiles it with `cc -O3 -march=native`.
 *
 * Usage: dtw_reference float DIMS N M REPS | dtw_reference hamming N M REPS
 * Prints: cells_per_second checksum
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static uint64_t state = 88172645463325252ULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }

static float dtw_float(const float *a, const float *b, int n, int m, int d, float *prev, float *cur) {
    for (int j = 0; j < m; j++) {
        float c = 0;
        for (int k = 0; k < d; k++) { float t = a[k] - b[j * d + k]; c += t * t; }
        prev[j] = c + (j ? prev[j - 1] : 0);
    }
    for (int i = 1; i < n; i++) {
        const float *ai = a + i * d;
        for (int j = 0; j < m; j++) {
            float c = 0;
            for (int k = 0; k < d; k++) { float t = ai[k] - b[j * d + k]; c += t * t; }
            float best = prev[j];
            if (j) {
                if (prev[j - 1] < best) best = prev[j - 1];
                if (cur[j - 1] < best) best = cur[j - 1];
            }
            cur[j] = c + best;
        }
        float *t = prev; prev = cur; cur = t;
    }
    return prev[m - 1];
}

static uint32_t dtw_hamming(const uint16_t *a, const uint16_t *b, int n, int m, uint32_t *prev, uint32_t *cur) {
    for (int j = 0; j < m; j++) prev[j] = __builtin_popcount(a[0] ^ b[j]) + (j ? prev[j - 1] : 0);
    for (int i = 1; i < n; i++) {
        for (int j = 0; j < m; j++) {
            uint32_t c = __builtin_popcount(a[i] ^ b[j]);
            uint32_t best = prev[j];
            if (j) {
                if (prev[j - 1] < best) best = prev[j - 1];
                if (cur[j - 1] < best) best = cur[j - 1];
            }
            cur[j] = c + best;
        }
        uint32_t *t = prev; prev = cur; cur = t;
    }
    return prev[m - 1];
}

int main(int argc, char **argv) {
    if (argc < 2) return 2;
    if (!strcmp(argv[1], "float") && argc == 6) {
        int d = atoi(argv[2]), n = atoi(argv[3]), m = atoi(argv[4]), reps = atoi(argv[5]);
        float *a = malloc(sizeof(float) * n * d), *b = malloc(sizeof(float) * m * d);
        float *p = malloc(sizeof(float) * m), *c = malloc(sizeof(float) * m);
        for (int k = 0; k < n * d; k++) a[k] = (next() >> 11) * 0x1.0p-53;
        for (int k = 0; k < m * d; k++) b[k] = (next() >> 11) * 0x1.0p-53;
        double best = 1e30, sum = 0;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            sum += dtw_float(a, b, n, m, d, p, c);
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("%.6e %g\n", (double)n * m / best, sum);
        return 0;
    }
    if (!strcmp(argv[1], "hamming") && argc == 5) {
        int n = atoi(argv[2]), m = atoi(argv[3]), reps = atoi(argv[4]);
        uint16_t *a = malloc(2 * n), *b = malloc(2 * m);
        uint32_t *p = malloc(4 * m), *c = malloc(4 * m);
        for (int k = 0; k < n; k++) a[k] = (uint16_t)next();
        for (int k = 0; k < m; k++) b[k] = (uint16_t)next();
        double best = 1e30, sum = 0;
        for (int r = 0; r < reps; r++) {
            double t0 = now();
            sum += dtw_hamming(a, b, n, m, p, c);
            double t = now() - t0;
            if (t < best) best = t;
        }
        printf("%.6e %g\n", (double)n * m / best, sum);
        return 0;
    }
    return 2;
}
