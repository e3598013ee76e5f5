/*
 * bench_baselines.c — what softmax4j's kernels are measured against, in C:
 *  - bench_copy: memcpy of a buffer slice, the memory-bandwidth ceiling
 *    (Java runs one slice per thread; glibc's memcpy streams large copies
 *    with non-temporal stores);
 *  - bench_naive_ce: softmax cross-entropy forward+backward as textbooks
 *    write it, one pass per step: softmax into P, log into L, gather the
 *    loss, then the gradient (P - onehot) / n. Max-subtracted, so it gives
 *    the same numbers; scalar expf/logf, -O3 -mavx2 as any C would be built.
 *    Traffic: ~24 bytes per element (read X, write P, read P, write L, read
 *    P, write G) against the fused kernel's 8.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

void bench_copy(const void *src, void *dst, int64_t bytes) { memcpy(dst, src, (size_t)bytes); }

float bench_naive_ce(int64_t n, int64_t c, const float *x, const int32_t *y, float *p,
                     float *logp, float *grad) {
    for (int64_t i = 0; i < n; i++) { // pass 1: softmax
        const float *xi = x + i * c;
        float *pi = p + i * c;
        float m = -INFINITY, s = 0.0f;
        for (int64_t k = 0; k < c; k++) m = xi[k] > m ? xi[k] : m;
        for (int64_t k = 0; k < c; k++) s += (pi[k] = expf(xi[k] - m));
        for (int64_t k = 0; k < c; k++) pi[k] /= s;
    }
    for (int64_t i = 0; i < n * c; i++) logp[i] = logf(p[i]); // pass 2: log
    double loss = 0.0;                                           // pass 3: gather
    for (int64_t i = 0; i < n; i++) loss -= logp[i * c + y[i]];
    for (int64_t i = 0; i < n; i++) { // backward
        for (int64_t k = 0; k < c; k++) grad[i * c + k] = p[i * c + k] / (float)n;
        grad[i * c + y[i]] -= 1.0f / (float)n;
    }
    return (float)(loss / (double)n);
}
