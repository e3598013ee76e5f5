/*
 * softmax_ce_avx2.c — AVX2/FMA/F16C row kernels for softmax and softmax
 * cross-entropy (contracts in internal.h). The only file of the softmax
 * family compiled with -mavx2 -mfma -mf16c; chosen at run time.
 *
 * Per row: pass 1 reads the row once and keeps, per lane, a running max and
 * a running sum of exp(x - max) (rescaled once per 32-element block, so the
 * cost is ~1.1 exp per element); pass 2 re-reads the row (now in cache)
 * and writes a * exp(x - max) - b * w. Partial rows go through an 8-wide
 * staging buffer, so every element is handled by the same vector code.
 * bf16/f16 are widened to float32 on load and rounded once on store.
 */
#include <immintrin.h>
#include <math.h>

#include "internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))

// ---------------------------------------------------------------------------
// exp

// exp(x) for x <= 88, with ~1 ulp error: x = n ln2 + r, |r| <= ln2/2,
// exp(r) by the Cephes minimax polynomial, 2^n built in the exponent bits.
// Results below FLT_MIN (x < -87.33) flush to 0, so -inf gives exactly 0;
// NaN stays NaN (max/min take the constant first: on NaN they return the
// second operand).
ALWAYS_INLINE __m256 exp256(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.3365478515625f);
    const __m256 hi = _mm256_set1_ps(88.0f);
    __m256 xc = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(xc, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    // r = x - n ln2 in two steps (ln2 = C1 + C2, C1 exact in few bits)
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), xc);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n: n in [-126, 127] after the clamp, so the biased exponent is valid
    __m256i e =
        _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    __m256 y = _mm256_mul_ps(p, _mm256_castsi256_ps(e));
    // flush what would be subnormal (and -inf) to exactly 0
    return _mm256_andnot_ps(_mm256_cmp_ps(x, lo, _CMP_LT_OQ), y);
}

// ---------------------------------------------------------------------------
// loads and stores of 8 elements of any dtype, as float32

ALWAYS_INLINE __m256 load8(const void *x, int32_t dtype, int64_t i) {
    switch (dtype) {
    case S4J_BF16: {
        __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)x + i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
    }
    case S4J_F16:
        return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)x + i)));
    default:
        return _mm256_loadu_ps((const float *)x + i);
    }
}

// Round to bf16, nearest-even; NaN stays a (quiet) NaN.
ALWAYS_INLINE __m128i f32_to_bf16_8(__m256 v) {
    __m256i u = _mm256_castps_si256(v);
    __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    __m256i r = _mm256_srli_epi32(
        _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7fff)), lsb), 16);
    __m256i nan = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
    r = _mm256_blendv_epi8(r, nan, _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q)));
    // pack 8 x u32 (each < 2^16) to 8 x u16; packus works per 128-bit lane
    __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);
    return _mm256_castsi256_si128(packed);
}

ALWAYS_INLINE void store8(void *y, int32_t dtype, int64_t i, __m256 v) {
    switch (dtype) {
    case S4J_BF16:
        _mm_storeu_si128((__m128i *)((uint16_t *)y + i), f32_to_bf16_8(v));
        break;
    case S4J_F16:
        _mm_storeu_si128((__m128i *)((uint16_t *)y + i),
                         _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT));
        break;
    default:
        _mm256_storeu_ps((float *)y + i, v);
    }
}

// The last rem < 8 elements, padded with `pad`. float32 uses masked loads
// and stores (small rows, e.g. 10 classes, are mostly tail); 16-bit types
// go through a staging buffer.
ALWAYS_INLINE __m256i tail_mask(int64_t rem) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

ALWAYS_INLINE __m256 load_tail(const void *x, int32_t dtype, int64_t i, int64_t rem, float pad) {
    if (dtype == S4J_F32) {
        __m256i m = tail_mask(rem);
        return _mm256_blendv_ps(_mm256_set1_ps(pad), _mm256_maskload_ps((const float *)x + i, m),
                                _mm256_castsi256_ps(m));
    }
    float buf[8];
    for (int k = 0; k < 8; k++) buf[k] = k < rem ? s4j_load_elem(x, dtype, i + k) : pad;
    return _mm256_loadu_ps(buf);
}

ALWAYS_INLINE void store_tail(void *y, int32_t dtype, int64_t i, int64_t rem, __m256 v) {
    if (dtype == S4J_F32) {
        _mm256_maskstore_ps((float *)y + i, tail_mask(rem), v);
        return;
    }
    float buf[8];
    _mm256_storeu_ps(buf, v);
    for (int k = 0; k < rem; k++) s4j_store_elem(y, dtype, i + k, buf[k]);
}

ALWAYS_INLINE float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

ALWAYS_INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---------------------------------------------------------------------------
// pass 1: online max and sum of exp(x - max)

// Folds the block max bm into lane state (m, s) and returns the new m. The
// max is clamped to >= -FLT_MAX so that masked (-inf) lanes compute
// exp(-inf) = 0 rather than exp(-inf - -inf) = NaN.
ALWAYS_INLINE __m256 rescale(__m256 *m, __m256 *s, __m256 bm) {
    __m256 m_new = _mm256_max_ps(bm, *m); // NaN in bm is dropped; s catches it
    *s = _mm256_mul_ps(*s, exp256(_mm256_sub_ps(*m, m_new)));
    *m = m_new;
    return m_new;
}

ALWAYS_INLINE void stats_impl(const void *x, int32_t dtype, int64_t c, float *max_out,
                              float *sum_out) {
    if (c <= 64) {
        // Short rows (10 classes...): max, then sum of exp, both from L1; no
        // rescaling and no double folding, which would cost more than the row.
        __m256 m = _mm256_set1_ps(-3.40282347e38f), s = _mm256_setzero_ps();
        for (int64_t i = 0; i < c; i += 8)
            m = _mm256_max_ps(
                c - i >= 8 ? load8(x, dtype, i) : load_tail(x, dtype, i, c - i, -INFINITY), m);
        const float mx = hmax(m);
        const __m256 vm = _mm256_set1_ps(mx);
        for (int64_t i = 0; i < c; i += 8) {
            __m256 v = c - i >= 8 ? load8(x, dtype, i) : load_tail(x, dtype, i, c - i, -INFINITY);
            s = _mm256_add_ps(s, exp256(_mm256_sub_ps(v, vm)));
        }
        *max_out = mx;
        *sum_out = hsum(s);
        return;
    }
    __m256 m = _mm256_set1_ps(-3.40282347e38f);
    __m256 s = _mm256_setzero_ps();
    // Every 4096 elements the float lane sums are folded into double ones
    // (rescaled to the current max), so long rows keep float32 accuracy.
    __m256d sd_lo = _mm256_setzero_pd(), sd_hi = _mm256_setzero_pd();
    __m256 m_d = m; // the max sd_* are relative to
    int64_t i = 0;
    while (i < c) {
        int64_t end = i + 4096 < c ? i + 4096 : c;
        // 4 vectors per step: one rescale exp per 32 elements, and four
        // independent exp chains to hide their latency.
        for (; i + 32 <= end; i += 32) {
            __m256 v0 = load8(x, dtype, i), v1 = load8(x, dtype, i + 8);
            __m256 v2 = load8(x, dtype, i + 16), v3 = load8(x, dtype, i + 24);
            __m256 bm = _mm256_max_ps(_mm256_max_ps(v0, v1), _mm256_max_ps(v2, v3));
            __m256 mn = rescale(&m, &s, bm);
            __m256 e0 = exp256(_mm256_sub_ps(v0, mn)), e1 = exp256(_mm256_sub_ps(v1, mn));
            __m256 e2 = exp256(_mm256_sub_ps(v2, mn)), e3 = exp256(_mm256_sub_ps(v3, mn));
            s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(e0, e1), _mm256_add_ps(e2, e3)));
        }
        for (; i < end; i += 8) {
            __m256 v =
                i + 8 <= end ? load8(x, dtype, i) : load_tail(x, dtype, i, end - i, -INFINITY);
            __m256 mn = rescale(&m, &s, v);
            s = _mm256_add_ps(s, exp256(_mm256_sub_ps(v, mn)));
        }
        // sd = sd * exp(m_d - m) + s, in double
        __m256 f = exp256(_mm256_sub_ps(m_d, m));
        sd_lo = _mm256_fmadd_pd(sd_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(f)),
                                _mm256_cvtps_pd(_mm256_castps256_ps128(s)));
        sd_hi = _mm256_fmadd_pd(sd_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)),
                                _mm256_cvtps_pd(_mm256_extractf128_ps(s, 1)));
        s = _mm256_setzero_ps();
        m_d = m;
    }
    // Combine the lanes.
    float mx = hmax(m);
    __m256 f = exp256(_mm256_sub_ps(m, _mm256_set1_ps(mx)));
    __m256d t = _mm256_add_pd(_mm256_mul_pd(sd_lo, _mm256_cvtps_pd(_mm256_castps256_ps128(f))),
                              _mm256_mul_pd(sd_hi, _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1))));
    __m128d t2 = _mm_add_pd(_mm256_castpd256_pd128(t), _mm256_extractf128_pd(t, 1));
    *max_out = mx;
    *sum_out = (float)(_mm_cvtsd_f64(t2) + _mm_cvtsd_f64(_mm_unpackhi_pd(t2, t2)));
}

void s4j_row_stats_avx2(const void *x, int32_t dtype, int64_t c, float *max, float *sum) {
    switch (dtype) { // one specialised copy per dtype
    case S4J_BF16:
        stats_impl(x, S4J_BF16, c, max, sum);
        break;
    case S4J_F16:
        stats_impl(x, S4J_F16, c, max, sum);
        break;
    default:
        stats_impl(x, S4J_F32, c, max, sum);
    }
}

// ---------------------------------------------------------------------------
// pass 2: out = a exp(x - max) - b w, and sum w (max - x)

ALWAYS_INLINE __m256 grad8(__m256 v, __m256 mx, __m256 a, __m256 bw) {
    return _mm256_fmsub_ps(a, exp256(_mm256_sub_ps(v, mx)), bw);
}

ALWAYS_INLINE double finish_impl(const void *x, int32_t dtype, int64_t c, const s4j_row_grad *g,
                                 void *out, int want_smooth, int weighted) {
    const __m256 mx = _mm256_set1_ps(g->max), a = _mm256_set1_ps(g->a), b = _mm256_set1_ps(g->b);
    // smoothing terms as w (max S - x S), S = S4J_SMOOTH_SCALE: no overflow (ce_row.h)
    const __m256 sc = _mm256_set1_ps(S4J_SMOOTH_SCALE),
                 ms = _mm256_set1_ps(g->max * S4J_SMOOTH_SCALE);
    __m256 sm0 = _mm256_setzero_ps(), sm1 = _mm256_setzero_ps();
    double smooth = 0.0;
    int64_t i = 0;
    // Two vectors per step; smoothing partial sums are flushed to double
    // every 4096 elements so that long rows keep float32 accuracy.
    while (i + 16 <= c) {
        int64_t end = i + 4096 < c ? i + 4096 : c;
        for (; i + 16 <= end; i += 16) {
            __m256 v0 = load8(x, dtype, i), v1 = load8(x, dtype, i + 8);
            __m256 w0 = weighted ? _mm256_loadu_ps(g->w + i) : _mm256_set1_ps(1.0f);
            __m256 w1 = weighted ? _mm256_loadu_ps(g->w + i + 8) : _mm256_set1_ps(1.0f);
            if (want_smooth) {
                sm0 = _mm256_fmadd_ps(w0, _mm256_fnmadd_ps(v0, sc, ms), sm0);
                sm1 = _mm256_fmadd_ps(w1, _mm256_fnmadd_ps(v1, sc, ms), sm1);
            }
            if (out) {
                __m256 bw0 = weighted ? _mm256_mul_ps(b, w0) : b;
                __m256 bw1 = weighted ? _mm256_mul_ps(b, w1) : b;
                store8(out, dtype, i, grad8(v0, mx, a, bw0));
                store8(out, dtype, i + 8, grad8(v1, mx, a, bw1));
            }
        }
        if (want_smooth) {
            smooth += hsum(_mm256_add_ps(sm0, sm1));
            sm0 = sm1 = _mm256_setzero_ps();
        }
    }
    for (; i < c; i += 8) {
        int64_t rem = c - i < 8 ? c - i : 8;
        // pad with max: contributes w (max - max) = 0 to the smoothing sum
        __m256 v = rem == 8 ? load8(x, dtype, i) : load_tail(x, dtype, i, rem, g->max);
        __m256 w = _mm256_set1_ps(1.0f);
        if (weighted)
            w = rem == 8 ? _mm256_loadu_ps(g->w + i) : load_tail(g->w, S4J_F32, i, rem, 0.0f);
        if (want_smooth) smooth += hsum(_mm256_mul_ps(w, _mm256_fnmadd_ps(v, sc, ms)));
        if (out) {
            __m256 r = grad8(v, mx, a, weighted ? _mm256_mul_ps(b, w) : b);
            if (rem == 8)
                store8(out, dtype, i, r);
            else
                store_tail(out, dtype, i, rem, r);
        }
    }
    return smooth * S4J_SMOOTH_UNSCALE;
}

double s4j_row_finish_avx2(const void *x, int32_t dtype, int64_t c, const s4j_row_grad *g,
                           void *out, int want_smooth) {
    // Specialise the common cases; the rest share one generic copy.
    if (!g->w && dtype == S4J_F32) {
        if (out && !want_smooth) return finish_impl(x, S4J_F32, c, g, out, 0, 0);
        if (out) return finish_impl(x, S4J_F32, c, g, out, 1, 0);
    }
    switch (dtype) {
    case S4J_BF16:
        return finish_impl(x, S4J_BF16, c, g, out, want_smooth, g->w != NULL);
    case S4J_F16:
        return finish_impl(x, S4J_F16, c, g, out, want_smooth, g->w != NULL);
    default:
        return finish_impl(x, S4J_F32, c, g, out, want_smooth, g->w != NULL);
    }
}

// ---------------------------------------------------------------------------
// short rows: everything in registers

// S4J_ROWS = 8 short rows, one per lane of a vector (contract in
// internal.h). Each class k is one vector load from the tile, so max, exp,
// sum, argmax and gradient are plain vertical operations: ~15 ns per row
// of 10 classes instead of ~70 with one row per call.
void s4j_rows_small_avx2(int64_t c, const float *xt, const s4j_small_rows_args *p, float *gt,
                         int want_smooth, s4j_small_rows_result *res) {
    __m256 m = _mm256_set1_ps(-3.40282347e38f);
    for (int64_t k = 0; k < c; k++)
        m = _mm256_max_ps(_mm256_loadu_ps(xt + 8 * k), m); // NaN dropped; the sum catches it
    // exp values go to the gradient tile (or a local one) and are scaled there
    float local[S4J_SMALL_ROW * 8];
    float *e = gt ? gt : local;
    __m256 s = _mm256_setzero_ps();
    for (int64_t k = 0; k < c; k++) {
        __m256 ek = exp256(_mm256_sub_ps(_mm256_loadu_ps(xt + 8 * k), m));
        _mm256_storeu_ps(e + 8 * k, ek);
        s = _mm256_add_ps(s, ek);
    }
    float sum[8];
    _mm256_storeu_ps(sum, s);
    _mm256_storeu_ps(res->max, m);
    int nan_lanes = _mm256_movemask_ps(_mm256_cmp_ps(s, s, _CMP_UNORD_Q));
    for (int l = 0; l < 8; l++) res->log_sum[l] = logf(sum[l]);

    // argmax per lane: first NaN, then first +inf (only where the sum is
    // NaN: both make it so), else the first element equal to the max
    __m256i am = _mm256_set1_epi32(-1);
    __m256 open = _mm256_castsi256_ps(_mm256_set1_epi32(-1)); // lanes still searching
    for (int pass = nan_lanes ? 0 : 2; pass < 3; pass++) {
        __m256 in_pass = pass < 2 ? _mm256_and_ps(open, _mm256_cmp_ps(s, s, _CMP_UNORD_Q)) : open;
        for (int64_t k = 0; k < c; k++) {
            __m256 v = _mm256_loadu_ps(xt + 8 * k);
            __m256 hit = pass == 0   ? _mm256_cmp_ps(v, v, _CMP_UNORD_Q)
                         : pass == 1 ? _mm256_cmp_ps(v, _mm256_set1_ps(INFINITY), _CMP_EQ_OQ)
                                     : _mm256_cmp_ps(v, m, _CMP_EQ_OQ);
            hit = _mm256_and_ps(hit, in_pass);
            am = _mm256_blendv_epi8(am, _mm256_set1_epi32((int)k), _mm256_castps_si256(hit));
            in_pass = _mm256_andnot_ps(hit, in_pass);
            open = _mm256_andnot_ps(hit, open);
        }
    }
    am = _mm256_max_epi32(am, _mm256_setzero_si256()); // none found (all -inf): 0
    _mm256_storeu_si256((__m256i *)res->argmax, am);

    if (want_smooth) {
        const __m256 sc = _mm256_set1_ps(S4J_SMOOTH_SCALE), ms = _mm256_mul_ps(m, sc);
        __m256 acc = _mm256_setzero_ps();
        for (int64_t k = 0; k < c; k++) {
            __m256 t = _mm256_fnmadd_ps(_mm256_loadu_ps(xt + 8 * k), sc, ms); // (max - x) S
            acc = p->w ? _mm256_fmadd_ps(_mm256_set1_ps(p->w[k]), t, acc) : _mm256_add_ps(acc, t);
        }
        float sm[8];
        _mm256_storeu_ps(sm, acc);
        for (int l = 0; l < 8; l++) res->smooth[l] = sm[l] * S4J_SMOOTH_UNSCALE;
    }

    res->wide = 0;
    if (gt) {
        // a = scale ((a0 + a1 lse) / sum), lse = max + log_sum, in double (ce_row.h)
        const __m256 ls = _mm256_loadu_ps(res->log_sum);
        const __m256d a1 = _mm256_set1_pd(p->a1), scale = _mm256_set1_pd(p->scale);
        const __m256d fit = _mm256_set1_pd(S4J_CE_FIT),
                      abs = _mm256_castsi256_pd(_mm256_set1_epi64x(INT64_MAX));
        __m128 a_half[2];
        for (int h = 0; h < 2; h++) {
            __m128 mh = h ? _mm256_extractf128_ps(m, 1) : _mm256_castps256_ps128(m);
            __m128 lh = h ? _mm256_extractf128_ps(ls, 1) : _mm256_castps256_ps128(ls);
            __m128 sh = h ? _mm256_extractf128_ps(s, 1) : _mm256_castps256_ps128(s);
            __m256d lse = _mm256_add_pd(_mm256_cvtps_pd(mh), _mm256_cvtps_pd(lh));
            __m256d A = _mm256_add_pd(_mm256_loadu_pd(p->a0 + 4 * h), _mm256_mul_pd(a1, lse));
            __m256d a = _mm256_mul_pd(scale, _mm256_div_pd(A, _mm256_cvtps_pd(sh)));
            __m256d ok = _mm256_cmp_pd(_mm256_and_pd(a, abs), fit, _CMP_LE_OQ); // NaN: not ok
            res->wide |= (~_mm256_movemask_pd(ok) & 15) << (4 * h);
            a_half[h] = _mm256_cvtpd_ps(_mm256_and_pd(a, ok));
        }
        const __m256 va = _mm256_set_m128(a_half[1], a_half[0]), vd = _mm256_loadu_ps(p->d);
        __m256i target = _mm256_loadu_si256((const __m256i *)p->target);
        for (int64_t k = 0; k < c; k++) {
            __m256 bw = _mm256_set1_ps(p->w ? p->b * p->w[k] : p->b);
            __m256 g = _mm256_fmsub_ps(va, _mm256_loadu_ps(gt + 8 * k), bw);
            __m256 at_y =
                _mm256_castsi256_ps(_mm256_cmpeq_epi32(target, _mm256_set1_epi32((int)k)));
            _mm256_storeu_ps(gt + 8 * k, _mm256_sub_ps(g, _mm256_and_ps(at_y, vd)));
        }
    }
}

// ---------------------------------------------------------------------------
// medium float32 rows: exp once per element (max; exp + sum; scale)

float s4j_row_max_f32_avx2(const float *x, int64_t c) {
    // four accumulators: max has a 2-cycle latency and 2 ports
    __m256 m0 = _mm256_set1_ps(-3.40282347e38f), m1 = m0, m2 = m0, m3 = m0;
    int64_t i = 0;
    for (; i + 32 <= c; i += 32) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + i), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + i + 8), m1);
        m2 = _mm256_max_ps(_mm256_loadu_ps(x + i + 16), m2);
        m3 = _mm256_max_ps(_mm256_loadu_ps(x + i + 24), m3);
    }
    for (; i < c; i += 8)
        m0 = _mm256_max_ps(
            c - i >= 8 ? _mm256_loadu_ps(x + i) : load_tail(x, S4J_F32, i, c - i, -INFINITY), m0);
    return hmax(_mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3)));
}

double s4j_row_exp_f32_avx2(const float *x, int64_t c, float max, float *out, const float *w,
                            double *smooth, const float *next) {
    const __m256 m = _mm256_set1_ps(max);
    const __m256 sc = _mm256_set1_ps(S4J_SMOOTH_SCALE), ms = _mm256_set1_ps(max * S4J_SMOOTH_SCALE);
    double sum = 0.0, sm = 0.0;
    int64_t i = 0;
    // float partial sums flushed to double every 4096 elements
    while (i < c) {
        int64_t end = i + 4096 < c ? i + 4096 : c;
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, t0 = s0;
        for (; i + 16 <= end; i += 16) {
            if (next) _mm_prefetch((const char *)(next + i), _MM_HINT_T1); // one line per step
            __m256 v0 = _mm256_loadu_ps(x + i), v1 = _mm256_loadu_ps(x + i + 8);
            if (smooth) {
                __m256 w0 = w ? _mm256_loadu_ps(w + i) : _mm256_set1_ps(1.0f);
                __m256 w1 = w ? _mm256_loadu_ps(w + i + 8) : _mm256_set1_ps(1.0f);
                t0 = _mm256_fmadd_ps(w0, _mm256_fnmadd_ps(v0, sc, ms), t0); // w (max - x) S
                t0 = _mm256_fmadd_ps(w1, _mm256_fnmadd_ps(v1, sc, ms), t0);
            }
            __m256 e0 = exp256(_mm256_sub_ps(v0, m)), e1 = exp256(_mm256_sub_ps(v1, m));
            _mm256_storeu_ps(out + i, e0);
            _mm256_storeu_ps(out + i + 8, e1);
            s0 = _mm256_add_ps(s0, e0);
            s1 = _mm256_add_ps(s1, e1);
        }
        for (; i < end; i += 8) {
            int64_t rem = end - i < 8 ? end - i : 8;
            __m256 v = rem == 8 ? _mm256_loadu_ps(x + i) : load_tail(x, S4J_F32, i, rem, max);
            if (smooth) {
                __m256 wv =
                    w ? (rem == 8 ? _mm256_loadu_ps(w + i) : load_tail(w, S4J_F32, i, rem, 0.0f))
                      : _mm256_set1_ps(1.0f);
                t0 = _mm256_fmadd_ps(wv, _mm256_fnmadd_ps(v, sc, ms), t0); // padding: max - max = 0
            }
            __m256 e = exp256(_mm256_sub_ps(v, m));
            if (rem == 8)
                _mm256_storeu_ps(out + i, e);
            else
                store_tail(out, S4J_F32, i, rem, e);
            // padding lanes hold exp(0) = 1: drop them from the sum
            s0 = _mm256_add_ps(s0, _mm256_and_ps(e, _mm256_castsi256_ps(tail_mask(rem))));
        }
        sum += hsum(_mm256_add_ps(s0, s1));
        sm += hsum(t0);
    }
    if (smooth) *smooth = sm * S4J_SMOOTH_UNSCALE;
    return sum;
}

void s4j_row_scale_f32_avx2(const float *e, float *out, int64_t c, float a, float b, const float *w,
                            int stream) {
    const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b);
    int64_t i = 0;
    if (stream) { // scalar head up to 32-byte alignment, then streaming stores
        for (; i < c && ((uintptr_t)(out + i) & 31) != 0; i++)
            out[i] = a * e[i] - b * (w ? w[i] : 1.0f);
        for (; i + 8 <= c; i += 8) {
            __m256 bw = w ? _mm256_mul_ps(vb, _mm256_loadu_ps(w + i)) : vb;
            _mm256_stream_ps(out + i, _mm256_fmsub_ps(va, _mm256_loadu_ps(e + i), bw));
        }
        _mm_sfence();
    }
    for (; i + 8 <= c; i += 8) {
        __m256 bw = w ? _mm256_mul_ps(vb, _mm256_loadu_ps(w + i)) : vb;
        _mm256_storeu_ps(out + i, _mm256_fmsub_ps(va, _mm256_loadu_ps(e + i), bw));
    }
    for (; i < c; i++) out[i] = a * e[i] - b * (w ? w[i] : 1.0f);
}

// ---------------------------------------------------------------------------
// soft-capping: x = cap tanh(x / cap)

// tanh(u) = sign(u) (1 - 2 / (exp(2|u|) + 1)): exp's clamp makes it 1 for
// large |u|; the absolute error (~1e-7) is what matters for logits.
// tanh(u), accurate to ~1.5e-7 relative for every u (NaN stays NaN).
// 1 - 2 / (exp(2|u|) + 1) is right only where tanh is near 1: below |u| =
// 0.625 its ~1e-7 absolute error is a huge relative one (u = 1e-10 gave 0),
// and soft-capping multiplies it by the cap. There an odd polynomial
// u + u^3 P(u^2) takes over, P of degree 4 fitted (weighted minimax, float32
// Horner) to (tanh(u) - u) / u^3 on [0, 0.625]: 8e-8 relative.
ALWAYS_INLINE __m256 tanh256(__m256 u) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 a = _mm256_andnot_ps(sign, u); // |u|
    __m256 z = _mm256_mul_ps(a, a);
    __m256 p = _mm256_set1_ps(-5.704988260e-03f);
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(2.063908800e-02f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-5.373971537e-02f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(1.333144158e-01f));
    p = _mm256_fmadd_ps(p, z, _mm256_set1_ps(-3.333328068e-01f));
    __m256 small = _mm256_fmadd_ps(_mm256_mul_ps(a, z), p, a);
    __m256 e = exp256(_mm256_add_ps(a, a)); // clamps: huge |u| gives exactly 1 below
    __m256 one = _mm256_set1_ps(1.0f);
    __m256 large = _mm256_sub_ps(one, _mm256_div_ps(_mm256_set1_ps(2.0f), _mm256_add_ps(e, one)));
    __m256 t = _mm256_blendv_ps(large, small, _mm256_cmp_ps(a, _mm256_set1_ps(0.625f), _CMP_LT_OQ));
    return _mm256_or_ps(t, _mm256_and_ps(sign, u)); // odd: the sign of u
}

void s4j_row_softcap_f32_avx2(float *x, int64_t c, float cap) {
    // cap * tanh(x / cap), the division as in the scalar kernel (x * (1/cap)
    // would add a rounding)
    const __m256 vc = _mm256_set1_ps(cap);
    for (int64_t i = 0; i < c; i += 8) {
        int64_t rem = c - i < 8 ? c - i : 8;
        __m256 v = rem == 8 ? _mm256_loadu_ps(x + i) : load_tail(x, S4J_F32, i, rem, 0.0f);
        __m256 r = _mm256_mul_ps(vc, tanh256(_mm256_div_ps(v, vc)));
        if (rem == 8)
            _mm256_storeu_ps(x + i, r);
        else
            store_tail(x, S4J_F32, i, rem, r);
    }
}

// ---------------------------------------------------------------------------
// log-softmax and search

void s4j_row_log_softmax_avx2(const float *x, int64_t c, float max, float log_sum, float *y) {
    const __m256 m = _mm256_set1_ps(max), ls = _mm256_set1_ps(log_sum);
    int64_t i = 0;
    for (; i + 8 <= c; i += 8)
        _mm256_storeu_ps(y + i, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + i), m), ls));
    for (; i < c; i++) y[i] = (x[i] - max) - log_sum;
}

ALWAYS_INLINE int64_t find_impl(const void *x, int32_t dtype, int64_t c, float value) {
    const int want_nan = isnan(value);
    const __m256 t = _mm256_set1_ps(value);
    int64_t i = 0;
    for (; i + 8 <= c; i += 8) {
        __m256 v = load8(x, dtype, i);
        __m256 hit = want_nan ? _mm256_cmp_ps(v, v, _CMP_UNORD_Q) : _mm256_cmp_ps(v, t, _CMP_EQ_OQ);
        int mask = _mm256_movemask_ps(hit);
        if (mask) return i + __builtin_ctz((unsigned)mask);
    }
    for (; i < c; i++) {
        float v = s4j_load_elem(x, dtype, i);
        if (want_nan ? isnan(v) : v == value) return i;
    }
    return -1;
}

int64_t s4j_row_find_avx2(const void *x, int32_t dtype, int64_t c, float value) {
    switch (dtype) {
    case S4J_BF16:
        return find_impl(x, S4J_BF16, c, value);
    case S4J_F16:
        return find_impl(x, S4J_F16, c, value);
    default:
        return find_impl(x, S4J_F32, c, value);
    }
}
