/*
 * ce_row.h — the per-row scalars of the cross-entropy (loss and gradient
 * coefficients), shared by the CPU kernels (cpu/softmax_ce.c,
 * cpu/linear_ce.c) and the CUDA ones (cuda/softmax_ce.cu, cuda/linear_ce.cu):
 * header-only, compiled by gcc as C and by nvcc as C++ (host and device).
 * Not part of the ABI.
 *
 * The rule: the per-element passes run in float (SIMD on the CPU), but every
 * per-row scalar is formed in double from the float row statistics and
 * rounded to float once, so that logits up to +-FLT_MAX never overflow an
 * intermediate. A result (loss, row loss, gradient element) is +-inf only
 * where its exact value is beyond float range, as in the double reference
 * (ReferenceKernels.java) and in PyTorch's float32 where it does not overflow
 * on the way.
 */
#ifndef S4J_CE_ROW_H
#define S4J_CE_ROW_H

#include <float.h>
#include <math.h>
#include <stdint.h>

#ifdef __CUDACC__
#define S4J_HD __host__ __device__ __forceinline__
#else
#define S4J_HD static inline
#endif

// Sums of w_k (max - x_k) are formed in float as w_k (max S - x_k S), one
// fnmadd as before, so that max - x_k (up to 2 FLT_MAX) and a few thousand
// such terms stay in float range; the kernels return them divided by S, in
// double. Differences below 2^-62 lose bits, which no loss can notice.
#define S4J_SMOOTH_SCALE 0x1p-64f
#define S4J_SMOOTH_UNSCALE 0x1p64

// What every row of one call shares.
typedef struct {
    double eps;     // label smoothing
    double zc;      // z-loss coefficient
    double scale;   // grad_scale, divided by the mean's divisor for the mean
    double w_total; // W = sum_k w_k (c when unweighted)
    double w_max;   // max_k |w_k| (1 when unweighted)
    int64_t c;      // classes
} s4j_ce_consts;

// d (scale loss_i) / d x_k = a exp(x_k - max) - b w_k - [k == y] d, with
// a = scale A / sum, A = (1 - eps) w_y + eps W / c + 2 zc lse,
// b = scale eps / c, d = scale (1 - eps) w_y (sum = sum_k exp(x_k - max)).
// fits: the float loop may use a and b (then |a e_k| and |b w_k| stay below
// FLT_MAX / 2, since e_k <= 1); else the row takes a loop in double.
typedef struct {
    double a, b, d;
    int fits;
} s4j_ce_coef;

#define S4J_CE_FIT 0x1p127 // FLT_MAX / 2, about: the largest |a|, |b| w_max, |d| that fit

// The part of A that does not depend on lse: A = a0 + 2 zc lse.
S4J_HD double s4j_ce_a0(const s4j_ce_consts *k, double w_y) {
    return (1.0 - k->eps) * w_y + k->eps * k->w_total / (double)k->c;
}

S4J_HD double s4j_ce_b(const s4j_ce_consts *k) { return k->scale * k->eps / (double)k->c; }

S4J_HD double s4j_ce_d(const s4j_ce_consts *k, double w_y) {
    return k->scale * (1.0 - k->eps) * w_y;
}

S4J_HD s4j_ce_coef s4j_ce_coef_of(const s4j_ce_consts *k, double w_y, double lse, double sum) {
    s4j_ce_coef g;
    g.a = k->scale * ((s4j_ce_a0(k, w_y) + 2.0 * k->zc * lse) / sum);
    g.b = s4j_ce_b(k);
    g.d = s4j_ce_d(k, w_y);
    g.fits = fabs(g.a) <= S4J_CE_FIT && fabs(g.b) * k->w_max <= S4J_CE_FIT &&
             fabs(g.d) <= S4J_CE_FIT; // NaN: no
    return g;
}

// loss_i = (1 - eps) w_y ((max - x_y) + log_sum) + eps / c (smooth + W log_sum)
// + zc lse^2, smooth = sum_k w_k (max - x_k), lse = max + log_sum: lse - x_k
// as (max - x_k) + log_sum, so that huge logits keep their small differences.
S4J_HD double s4j_ce_loss_of(const s4j_ce_consts *k, double w_y, float max, float x_y,
                             double log_sum, double smooth) {
    double loss = (1.0 - k->eps) * w_y * (((double)max - x_y) + log_sum);
    if (k->eps != 0.0) loss += k->eps / (double)k->c * (smooth + k->w_total * log_sum);
    if (k->zc != 0.0) {
        const double lse = (double)max + log_sum;
        loss += k->zc * lse * lse;
    }
    return loss;
}

#endif
