/*
 * softmax_ce_avx512.c — AVX-512F versions of the cached-row trio (contracts
 * in internal.h: row max; exp + sum; scale), the part of softmax
 * cross-entropy that is compute-bound: one exp per element over rows of up
 * to 64k float32 that sit in L2. 16 lanes and masked tails; everything else
 * of the AVX-512 level is the AVX2 code. The only softmax file compiled with
 * -mavx512f.
 */
#include <immintrin.h>
#include <math.h>

#include "internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// exp(x) for x <= 88, ~1 ulp: the AVX2 file's method, 16 lanes (x = n ln2
// + r, Cephes polynomial for exp(r); below FLT_MIN -> 0, so -inf -> 0; NaN
// stays NaN). 2^n is applied by vscalefps, one instruction where AVX2 builds
// the exponent bits and multiplies (four): the same bits, since both scale
// by an exact power of two, and 3 of ~24 vector ops less per 16 elements of
// the compute-bound exp pass (NOTES.md, fused CE on Zen 4).
ALWAYS_INLINE __m512 exp512(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.3365478515625f);
    __m512 xc = _mm512_min_ps(_mm512_set1_ps(88.0f), _mm512_max_ps(lo, x));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(xc, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), xc);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512 y = _mm512_scalef_ps(p, n);
    return _mm512_maskz_mov_ps(~_mm512_cmp_ps_mask(x, lo, _CMP_LT_OQ), y);
}

ALWAYS_INLINE __mmask16 tail16(int64_t rem) {
    return rem >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << rem) - 1);
}

float s4j_row_max_f32_avx512(const float *x, int64_t c) {
    __m512 m0 = _mm512_set1_ps(-3.40282347e38f), m1 = m0;
    int64_t i = 0;
    for (; i + 32 <= c; i += 32) { // two accumulators for the max latency
        m0 = _mm512_max_ps(_mm512_loadu_ps(x + i), m0);
        m1 = _mm512_max_ps(_mm512_loadu_ps(x + i + 16), m1);
    }
    for (; i < c; i += 16) // masked lanes keep m0 (NaN is dropped: second operand)
        m0 = _mm512_mask_max_ps(m0, tail16(c - i), _mm512_maskz_loadu_ps(tail16(c - i), x + i), m0);
    return _mm512_reduce_max_ps(_mm512_max_ps(m0, m1));
}

double s4j_row_exp_f32_avx512(const float *x, int64_t c, float max, float *out, const float *w,
                              double *smooth, const float *next) {
    const __m512 m = _mm512_set1_ps(max);
    // smoothing terms as w (max S - x S), S = S4J_SMOOTH_SCALE: no overflow (ce_row.h)
    const __m512 sc = _mm512_set1_ps(S4J_SMOOTH_SCALE), ms = _mm512_set1_ps(max * S4J_SMOOTH_SCALE);
    double sum = 0.0, sm = 0.0;
    int64_t i = 0;
    while (i < c) { // float partial sums flushed to double every 4096 elements
        int64_t end = i + 4096 < c ? i + 4096 : c;
        __m512 s0 = _mm512_setzero_ps(), s1 = s0, t0 = s0;
        for (; i + 32 <= end; i += 32) {
            if (next) { // the two lines of the next row at the same offset
                _mm_prefetch((const char *)(next + i), _MM_HINT_T1);
                _mm_prefetch((const char *)(next + i + 16), _MM_HINT_T1);
            }
            __m512 v0 = _mm512_loadu_ps(x + i), v1 = _mm512_loadu_ps(x + i + 16);
            if (smooth) {
                __m512 w0 = w ? _mm512_loadu_ps(w + i) : _mm512_set1_ps(1.0f);
                __m512 w1 = w ? _mm512_loadu_ps(w + i + 16) : _mm512_set1_ps(1.0f);
                t0 = _mm512_fmadd_ps(w0, _mm512_fnmadd_ps(v0, sc, ms), t0);
                t0 = _mm512_fmadd_ps(w1, _mm512_fnmadd_ps(v1, sc, ms), t0);
            }
            __m512 e0 = exp512(_mm512_sub_ps(v0, m)), e1 = exp512(_mm512_sub_ps(v1, m));
            _mm512_storeu_ps(out + i, e0);
            _mm512_storeu_ps(out + i + 16, e1);
            s0 = _mm512_add_ps(s0, e0);
            s1 = _mm512_add_ps(s1, e1);
        }
        for (; i < end; i += 16) {
            const __mmask16 k = tail16(end - i);
            __m512 v =
                _mm512_mask_loadu_ps(m, k, x + i); // padding: max, so exp = 1, w(max-max) = 0
            if (smooth) {
                __m512 wv = w ? _mm512_maskz_loadu_ps(k, w + i) : _mm512_set1_ps(1.0f);
                t0 = _mm512_fmadd_ps(wv, _mm512_fnmadd_ps(v, sc, ms), t0);
            }
            __m512 e = exp512(_mm512_sub_ps(v, m));
            _mm512_mask_storeu_ps(out + i, k, e);
            s0 = _mm512_add_ps(s0, _mm512_maskz_mov_ps(k, e));
        }
        sum += _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
        sm += _mm512_reduce_add_ps(t0);
    }
    if (smooth) *smooth = sm * S4J_SMOOTH_UNSCALE;
    return sum;
}

void s4j_row_scale_f32_avx512(const float *e, float *out, int64_t c, float a, float b,
                              const float *w, int stream) {
    const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b);
    int64_t i = 0;
    if (stream) { // masked head up to 64-byte alignment, then streaming stores
        int64_t head = (int64_t)(((64 - ((uintptr_t)out & 63)) & 63) / 4);
        if (head > c) head = c;
        if (head > 0) {
            const __mmask16 k = tail16(head);
            __m512 bw = w ? _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(k, w)) : vb;
            _mm512_mask_storeu_ps(out, k, _mm512_fmsub_ps(va, _mm512_maskz_loadu_ps(k, e), bw));
        }
        for (i = head; i + 16 <= c; i += 16) {
            __m512 bw = w ? _mm512_mul_ps(vb, _mm512_loadu_ps(w + i)) : vb;
            _mm512_stream_ps(out + i, _mm512_fmsub_ps(va, _mm512_loadu_ps(e + i), bw));
        }
        _mm_sfence();
    }
    for (; i < c; i += 16) {
        const __mmask16 k = tail16(c - i);
        __m512 bw = w ? _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(k, w + i)) : vb;
        _mm512_mask_storeu_ps(out + i, k, _mm512_fmsub_ps(va, _mm512_maskz_loadu_ps(k, e + i), bw));
    }
}
