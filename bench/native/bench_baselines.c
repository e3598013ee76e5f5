/*
 * bench_baselines.c — what softmax4j's kernels are measured against, in C:
 *  - bench_copy: a STREAM-style copy of a buffer slice with non-temporal
 *    stores (no read-for-ownership of the destination), the memory-bandwidth
 *    ceiling; Java runs one slice per thread;
 *  - bench_naive_ce: softmax cross-entropy forward+backward as textbooks
 *    write it, one pass per step: softmax into P, log into L, gather the
 *    loss, then the gradient (P - onehot) / n. Max-subtracted, so it gives
 *    the same numbers; scalar expf/logf, -O3 -mavx2 as any C would be built.
 *    Traffic: ~24 bytes per element (read X, write P, read P, write L, read
 *    P, write G) against the fused kernel's 8.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

void bench_copy(const void *src, void *dst, int64_t bytes) {
    const char *s = src;
    char *d = dst;
    // head and tail by memcpy; the 32-byte aligned middle with streaming stores
    int64_t head = (int64_t)((32 - ((uintptr_t)d & 31)) & 31);
    if (head > bytes) head = bytes;
    memcpy(d, s, (size_t)head);
    int64_t i = head;
    for (; i + 128 <= bytes; i += 128) {
        __m256 a = _mm256_loadu_ps((const float *)(s + i)),
               b = _mm256_loadu_ps((const float *)(s + i + 32));
        __m256 c = _mm256_loadu_ps((const float *)(s + i + 64)),
               e = _mm256_loadu_ps((const float *)(s + i + 96));
        _mm256_stream_ps((float *)(d + i), a);
        _mm256_stream_ps((float *)(d + i + 32), b);
        _mm256_stream_ps((float *)(d + i + 64), c);
        _mm256_stream_ps((float *)(d + i + 96), e);
    }
    _mm_sfence();
    memcpy(d + i, s + i, (size_t)(bytes - i));
}

float bench_naive_ce(int64_t n, int64_t c, const float *x, const int32_t *y, float *p, float *logp,
                     float *grad) {
    for (int64_t i = 0; i < n; i++) { // pass 1: softmax
        const float *xi = x + i * c;
        float *pi = p + i * c;
        float m = -INFINITY, s = 0.0f;
        for (int64_t k = 0; k < c; k++) m = xi[k] > m ? xi[k] : m;
        for (int64_t k = 0; k < c; k++) s += (pi[k] = expf(xi[k] - m));
        for (int64_t k = 0; k < c; k++) pi[k] /= s;
    }
    for (int64_t i = 0; i < n * c; i++) logp[i] = logf(p[i]); // pass 2: log
    double loss = 0.0;                                        // pass 3: gather
    for (int64_t i = 0; i < n; i++) loss -= logp[i * c + y[i]];
    for (int64_t i = 0; i < n; i++) { // backward
        for (int64_t k = 0; k < c; k++) grad[i * c + k] = p[i * c + k] / (float)n;
        grad[i * c + y[i]] -= 1.0f / (float)n;
    }
    return (float)(loss / (double)n);
}
