/*
 * softmax_ce_scalar.c — portable row kernels for softmax and softmax
 * cross-entropy (see internal.h for their contracts). Compiled for
 * baseline x86-64 and used when the CPU lacks AVX2, or when S4J_ISA=scalar.
 * Same passes as the AVX2 file: one online max/sum pass, one output pass.
 */
#include <math.h>

#include "internal.h"

// ---------------------------------------------------------------------------
// pass 1: online max and sum of exp(x - max)

void s4j_row_stats_scalar(const void *x, int32_t dtype, int64_t c, float *max_out, float *sum_out) {
    // Start at -FLT_MAX rather than -inf so that exp(x - m) and the rescale
    // exp(m_old - m) never see -inf - -inf (NaN) on masked entries.
    // The sum is kept in double: one sequential float sum over 100k terms
    // would lose ~1e-5 of it.
    float m = -3.40282347e38f;
    double s = 0.0;
    for (int64_t k = 0; k < c; k++) {
        float v = s4j_load_elem(x, dtype, k);
        if (v > m) { // NaN never enters here, it poisons s below instead
            s *= expf(m - v);
            m = v;
        }
        s += expf(v - m);
    }
    *max_out = m;
    *sum_out = (float)s;
}

// ---------------------------------------------------------------------------
// pass 2: gradient (or probabilities) and the label-smoothing sum

double s4j_row_finish_scalar(const void *x, int32_t dtype, int64_t c, const s4j_row_grad *g,
                             void *out, int want_smooth) {
    double smooth = 0.0;
    for (int64_t k = 0; k < c; k++) {
        float v = s4j_load_elem(x, dtype, k);
        float w = g->w ? g->w[k] : 1.0f;
        if (want_smooth) smooth += w * ((double)g->max - v); // double: max - v may pass FLT_MAX
        if (out) s4j_store_elem(out, dtype, k, g->a * expf(v - g->max) - g->b * w);
    }
    return smooth;
}

void s4j_row_log_softmax_scalar(const float *x, int64_t c, float max, float log_sum, float *y) {
    for (int64_t k = 0; k < c; k++) y[k] = (x[k] - max) - log_sum;
}

int64_t s4j_row_find_scalar(const void *x, int32_t dtype, int64_t c, float value) {
    int want_nan = isnan(value);
    for (int64_t k = 0; k < c; k++) {
        float v = s4j_load_elem(x, dtype, k);
        if (want_nan ? isnan(v) : v == value) return k;
    }
    return -1;
}

void s4j_row_softcap_f32_scalar(float *x, int64_t c, float cap) {
    for (int64_t k = 0; k < c; k++) x[k] = cap * tanhf(x[k] / cap);
}
