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
 *  - bench_fma_avx2 / bench_fma_avx512: the FLOP ceiling, independent FMA
 *    chains on registers only (no loads), as many as cover the FMA latency
 *    on two pipes; Java runs one per thread at once and divides the FLOPs by
 *    the wall time. Zen 4 executes a 512-bit FMA as two 256-bit halves, so
 *    the two probes tell it apart from Zen 5 / Intel server cores.
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

// 12 chains x 8 or 16 lanes x 2 FLOPs per iteration; 12 covers 4-cycle FMA
// latency on 2 pipes (8 needed) with room. Returns the FLOPs done; the sum of
// the chains is written to *sink so that the loop cannot be dropped.
#define FMA_CHAINS(VEC, SET1, FMA, ADD, LANES)                                               \
    VEC a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f), a4 = SET1(1.4f), \
        a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f), a8 = SET1(1.8f), a9 = SET1(1.9f), \
        a10 = SET1(2.0f), a11 = SET1(2.1f);                                                  \
    const VEC m = SET1(0.999999f), c = SET1(1e-7f);                                          \
    for (int64_t i = 0; i < iters; i++) {                                                    \
        a0 = FMA(a0, m, c), a1 = FMA(a1, m, c), a2 = FMA(a2, m, c), a3 = FMA(a3, m, c);      \
        a4 = FMA(a4, m, c), a5 = FMA(a5, m, c), a6 = FMA(a6, m, c), a7 = FMA(a7, m, c);      \
        a8 = FMA(a8, m, c), a9 = FMA(a9, m, c), a10 = FMA(a10, m, c), a11 = FMA(a11, m, c);  \
    }                                                                                        \
    VEC s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));               \
    s = ADD(s, ADD(ADD(a8, a9), ADD(a10, a11)));                                             \
    float lanes[LANES];                                                                      \
    memcpy(lanes, &s, sizeof lanes);                                                         \
    *sink = lanes[0];                                                                        \
    return 12.0 * LANES * 2.0 * (double)iters;

double bench_fma_avx2(int64_t iters, float *sink) {
    FMA_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8)
}

__attribute__((target("avx512f"))) double bench_fma_avx512(int64_t iters, float *sink) {
    FMA_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16)
}
