/*
 * linear_ce.cu — fused linear + softmax cross-entropy on the GPU:
 * s4j_cuda_linear_ce, the algorithm and semantics of the CPU version
 * (linear_ce.c) with the N x V logits never held: tiles of up to 4096 rows x
 * block_v classes (32 MiB at the defaults, 0.8% of the logits at N = 8192,
 * V = 128,256), computed by our GEMM, reduced with a running max and sum
 * (pass 1), then recomputed and turned into the gradient (pass 2), which
 * the GEMM multiplies into dX and dW and column sums add into db.
 *
 * Everything stays on the device and on one stream: the mean's divisor, the
 * weights' total and the per-row statistics live in the workspace, so a
 * call never waits. float32 inputs (FP32 or TF32 GEMMs) or bfloat16 inputs
 * (bf16 tensor cores; the gradient tile is rounded to bf16 for the two
 * gradient GEMMs); dX, dW, db and all statistics are float32 (dW and dX are
 * accumulated over tiles in float32, row statistics and losses in double).
 */
#include <cuda_bf16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "block_reduce.cuh"
#include "ce_options.h"
#include "ce_row.h"
#include "cuda_internal.h"
#include "softmax4j.h"

#define THREADS 256
#ifndef S4J_LCE_ROW_BLOCK // the CPU emulator's tests set it small to cover several row blocks
#define S4J_LCE_ROW_BLOCK 4096
#endif
#define ROW_BLOCK S4J_LCE_ROW_BLOCK
#define AUTO_CLASS_BLOCK 2048

// ---------------------------------------------------------------------------
// workspace

static int64_t round_up256(int64_t x) { return (x + 255) / 256 * 256; }

// Per-row statistics and the two scalars, in the workspace's first bytes.
struct Rows {
    double *divisor, *w_total,
        *w_max; // sum of the weights of the counted rows; of all classes; max |w_k|
    double *s, *smooth, *w_seen, *loss; // per row: sum_k exp(z_k - m), sum_k w_k (m - z_k) and
                                        // sum_k w_k over the classes so far, loss
    float *m, *zy, *log_sum;            // per row: running max, target logit, log of s
};

struct Layout {
    int64_t nb, vb;                               // tile rows and classes
    int64_t rows_bytes, tile_bytes, tile16_bytes; // statistics, float tile, bf16 tile
    int64_t total() const { return rows_bytes + tile_bytes + tile16_bytes; }
};

static Layout layout(int64_t n, int64_t v, int64_t block_v, int32_t dtype) {
    Layout l;
    l.nb = n < ROW_BLOCK ? n : ROW_BLOCK;
    l.vb = block_v > 0 ? block_v : AUTO_CLASS_BLOCK;
    if (l.vb > v) l.vb = v;
    l.rows_bytes = 256 + round_up256(n * (4 * 8 + 3 * 4));
    l.tile_bytes = round_up256(l.nb * l.vb * 4);
    l.tile16_bytes = dtype == S4J_BF16 ? round_up256(l.nb * l.vb * 2) : 0;
    return l;
}

static Rows rows_at(char *p, int64_t n) {
    Rows r;
    r.divisor = (double *)p;
    r.w_total = (double *)p + 1;
    r.w_max = (double *)p + 2;
    p += 256;
    r.s = (double *)p;
    r.smooth = r.s + n;
    r.w_seen = r.smooth + n;
    r.loss = r.w_seen + n;
    r.m = (float *)(r.loss + n);
    r.zy = r.m + n;
    r.log_sum = r.zy + n;
    return r;
}

int64_t s4j_cuda_linear_ce_workspace_size(int64_t n, int64_t v, int64_t block_v, int32_t dtype) {
    if (n < 1 || v < 1 || block_v < 0) return 0;
    return layout(n, v, block_v, dtype).total();
}

// ---------------------------------------------------------------------------
// kernels

struct LceArgs {
    int64_t n, v;
    const int32_t *targets;
    const float *w; // class weights or NULL
    int32_t ignore_index;
    s4j_ce_consts k; // k.w_total, k.w_max and the mean's divisor of k.scale: consts() on the device
    float cap;
    int mean;
    Rows rows;
};

// a.k completed with what prologue_kernel left in the workspace.
__device__ __forceinline__ s4j_ce_consts consts(const LceArgs &a) {
    s4j_ce_consts k = a.k;
    k.w_total = *a.rows.w_total;
    k.w_max = *a.rows.w_max;
    if (a.mean) k.scale /= *a.rows.divisor;
    return k;
}

// One block: the mean's divisor and the total of the class weights.
__global__ void prologue_kernel(LceArgs a) {
    double d = 0.0, t = 0.0, m = 0.0;
    for (int64_t r = threadIdx.x; r < a.n; r += THREADS)
        d += target_weight(a.targets[r], a.v, a.w, a.ignore_index);
    for (int64_t k = threadIdx.x; a.w && k < a.v; k += THREADS) {
        t += a.w[k];
        m = fmax(m, fabs((double)a.w[k]));
    }
    auto add = [](double x, double y) { return x + y; };
    d = block_reduce<THREADS>(d, add, 0.0);
    t = block_reduce<THREADS>(t, add, 0.0);
    m = block_reduce<THREADS>(
        m, [](double x, double y) { return fmax(x, y); }, 0.0);
    if (threadIdx.x == 0) {
        *a.rows.divisor = d;
        *a.rows.w_total = a.w ? t : (double)a.v;
        *a.rows.w_max = a.w ? m : 1.0;
    }
}

__global__ void init_rows_kernel(LceArgs a) {
    for (int64_t r = blockIdx.x * (int64_t)THREADS + threadIdx.x; r < a.n;
         r += (int64_t)gridDim.x * THREADS) {
        a.rows.m[r] = -FLT_MAX;
        a.rows.s[r] = 0.0;
        a.rows.zy[r] = 0.0f;
        a.rows.smooth[r] = 0.0;
        a.rows.w_seen[r] = 0.0;
    }
}

__device__ __forceinline__ float capped(float u, float cap) {
    return cap > 0.0f ? cap * tanhf(u / cap) : u;
}

// Pass 1, one block per row of the tile z (rows r0.., classes v0.. v0+vb):
// folds the capped row into the row's running max and sum, picks up its
// target logit and, for label smoothing, folds sum_k w_k (max - z_k) in the
// same way (every term >= 0: no cancellation next to logits near 1e38).
__global__ void stats_kernel(LceArgs a, const float *__restrict__ z, int64_t r0, int64_t v0,
                             int64_t vb) {
    const int64_t i = blockIdx.x, r = r0 + i;
    const float *row = z + i * vb;
    Stats st = {-FLT_MAX, 0.0f};
    for (int64_t k = threadIdx.x; k < vb; k += THREADS) accumulate(st, capped(row[k], a.cap));
    st = block_reduce<THREADS>(st, combine, Stats{-FLT_MAX, 0.0f});
    const bool smoothing = a.k.eps != 0.0;
    float tile = 0.0f; // sum_k w_k (st.m - z_k) S, S = S4J_SMOOTH_SCALE: no overflow (ce_row.h)
    double w_tile = 0.0;
    if (smoothing) {
        const float sc = S4J_SMOOTH_SCALE, ms = st.m * sc;
        for (int64_t k = threadIdx.x; k < vb; k += THREADS) {
            const float wk = a.w ? a.w[v0 + k] : 1.0f;
            tile += wk * fmaf(-capped(row[k], a.cap), sc, ms);
            w_tile += wk;
        }
        tile = block_reduce<THREADS>(
            tile, [](float p, float q) { return p + q; }, 0.0f);
        w_tile = block_reduce<THREADS>(
            w_tile, [](double p, double q) { return p + q; }, 0.0);
    }
    if (threadIdx.x == 0) {
        const float m_old = a.rows.m[r], m = fmaxf(st.m, m_old);
        a.rows.s[r] = a.rows.s[r] * expf(m_old - m) + (double)st.s * expf(st.m - m);
        a.rows.m[r] = m;
        const int32_t y = a.targets[r];
        if (y != a.ignore_index && y >= v0 && y < v0 + vb)
            a.rows.zy[r] = capped(row[y - v0], a.cap);
        if (smoothing) {
            a.rows.smooth[r] += a.rows.w_seen[r] * ((double)m - m_old) + tile * S4J_SMOOTH_UNSCALE +
                                w_tile * ((double)m - st.m);
            a.rows.w_seen[r] += w_tile;
        }
    }
}

// After pass 1: each row's log-sum-exp and loss.
__global__ void finish_rows_kernel(LceArgs a, float *row_loss, float *row_lse) {
    const s4j_ce_consts k = consts(a);
    for (int64_t r = blockIdx.x * (int64_t)THREADS + threadIdx.x; r < a.n;
         r += (int64_t)gridDim.x * THREADS) {
        const float log_sum = logf((float)a.rows.s[r]), max = a.rows.m[r];
        a.rows.log_sum[r] = log_sum;
        if (row_lse) row_lse[r] = max + log_sum;
        const int32_t y = a.targets[r];
        double li = 0.0;
        if (y != a.ignore_index)
            li = s4j_ce_loss_of(&k, target_weight(y, a.v, a.w, a.ignore_index), max, a.rows.zy[r],
                                log_sum, a.rows.smooth[r]);
        if (row_loss) row_loss[r] = (float)li;
        a.rows.loss[r] = li;
    }
}

// *loss = the row losses added in a fixed order (divided by the divisor for the mean).
__global__ void reduce_loss_kernel(LceArgs a, float *loss) {
    double t = 0.0;
    for (int64_t r = threadIdx.x; r < a.n; r += THREADS) t += a.rows.loss[r];
    t = block_reduce<THREADS>(
        t, [](double x, double y) { return x + y; }, 0.0);
    if (threadIdx.x == 0) *loss = (float)(a.mean ? t / *a.rows.divisor : t);
}

// Pass 2, one block per row of the tile: the logits become the gradient
// d(grad_scale loss)/dz (the formula of softmax_ce.cu, ce_row.h, with the
// row's max and sum from pass 1), times the soft-cap's derivative
// 1 - (z_capped / cap)^2; a bf16 copy for the bf16 GEMMs when g16 is given.
__global__ void grad_kernel(LceArgs a, float *__restrict__ z, __nv_bfloat16 *__restrict__ g16,
                            int64_t r0, int64_t v0, int64_t vb) {
    const int64_t i = blockIdx.x, r = r0 + i;
    float *row = z + i * vb;
    __nv_bfloat16 *row16 = g16 ? g16 + i * vb : nullptr;
    const int32_t y = a.targets[r];
    if (y == a.ignore_index) {
        for (int64_t k = threadIdx.x; k < vb; k += THREADS) {
            row[k] = 0.0f;
            if (row16) row16[k] = __float2bfloat16_rn(0.0f);
        }
        return;
    }
    const double w_y = target_weight(y, a.v, a.w, a.ignore_index); // NaN when out of range
    const s4j_ce_consts kc = consts(a);
    const float max = a.rows.m[r];
    const s4j_ce_coef c = s4j_ce_coef_of(&kc, w_y, (double)max + a.rows.log_sum[r], a.rows.s[r]);
    const float ga = (float)c.a, gb = (float)c.b, gd = (float)c.d;
    for (int64_t k = threadIdx.x; k < vb; k += THREADS) {
        const float u = capped(row[k], a.cap), wk = a.w ? a.w[v0 + k] : 1.0f;
        float g;
        if (c.fits)
            g = ga * expf(u - max) - gb * wk - (v0 + k == y ? gd : 0.0f);
        else
            g = (float)(c.a * expf(u - max) - c.b * wk -
                        (v0 + k == y ? c.d : 0.0)); // beyond float range
        if (a.cap > 0.0f) {
            const float q = u / a.cap;
            g *= 1.0f - q * q;
        }
        row[k] = g;
        if (row16) row16[k] = __float2bfloat16_rn(g);
    }
}

// ---------------------------------------------------------------------------
// launcher

static unsigned row_blocks(int64_t n) {
    int64_t b = (n + THREADS - 1) / THREADS;
    return (unsigned)(b < 4096 ? b : 4096); // grid-stride loops cover the rest
}

// C = A op(B) (+ C when accumulate) in the inputs' type: float32 (FP32 or
// TF32) or bf16; a and b are element offsets into float or bf16 arrays.
static int gemm(int32_t dtype, int32_t math, int ta, int tb, int64_t m, int64_t n, int64_t k,
                const void *a, int64_t lda, const void *b, int64_t ldb, int accumulate, float *c,
                int64_t ldc, cudaStream_t s) {
    const float beta = accumulate ? 1.0f : 0.0f;
    if (dtype == S4J_BF16)
        return s4j_cuda_gemm_bf16(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, beta, c, ldc, s);
    return s4j_cuda_sgemm(ta, tb, m, n, k, 1.0f, (const float *)a, lda, (const float *)b, ldb, beta,
                          c, ldc, math, s);
}

static const void *offset(const void *p, int32_t dtype, int64_t elems) {
    return (const char *)p + elems * (dtype == S4J_BF16 ? 2 : 4);
}

int s4j_cuda_linear_ce(int64_t n, int64_t d, int64_t v, int32_t dtype, const void *x, const void *w,
                       const float *bias, const int32_t *targets, const s4j_ce_options *opt,
                       int64_t block_v, int32_t math, float *loss, float *row_loss, float *row_lse,
                       float *dx, float *dw, float *db, void *work, int64_t work_bytes,
                       void *stream) {
    if (n < 0 || !loss || (dtype != S4J_F32 && dtype != S4J_BF16) ||
        (math != S4J_GEMM_FP32 && math != S4J_GEMM_TF32) || !s4j_ce_options_valid(opt, 1) ||
        block_v < 0)
        return S4J_ERR_ARGUMENT;
    const int32_t reduction = opt->reduction;
    if (n > 0 &&
        (d < 1 || v < 1 || !x || !w || !targets || (reduction == S4J_REDUCE_NONE && !row_loss)))
        return S4J_ERR_ARGUMENT;
    cudaStream_t s = (cudaStream_t)stream;
    if (n == 0) {
        // NaN (all bits set) for the mean of nothing, else 0; a memset, not a copy
        // from the host's stack, so that a recorded graph can replay it
        const int bits = reduction == S4J_REDUCE_MEAN ? 0xff : 0;
        return s4j_cuda_check(cudaMemsetAsync(loss, bits, 4, s), "loss");
    }
    const Layout l = layout(n, v, block_v, dtype);
    if (!work || (uintptr_t)work % 256 != 0 || work_bytes < l.total()) return S4J_ERR_ARGUMENT;
    char *p = (char *)work;
    LceArgs a = {n,
                 v,
                 targets,
                 opt->class_weight,
                 opt->ignore_index,
                 {opt->label_smoothing, opt->z_loss, opt->grad_scale, 0.0, 0.0, v},
                 opt->softcap,
                 reduction == S4J_REDUCE_MEAN,
                 rows_at(p, n)};
    float *z = (float *)(p + l.rows_bytes);
    __nv_bfloat16 *z16 =
        dtype == S4J_BF16 ? (__nv_bfloat16 *)(p + l.rows_bytes + l.tile_bytes) : nullptr;

    prologue_kernel<<<1, THREADS, 0, s>>>(a);
    init_rows_kernel<<<row_blocks(n), THREADS, 0, s>>>(a);
    int rc = s4j_cuda_check(cudaGetLastError(), "linear_ce launch");

    // logits tile = X_r W_b^T + b_b
    auto logits = [&](int64_t r0, int64_t nb, int64_t v0, int64_t vb) {
        int e = gemm(dtype, math, 0, 1, nb, vb, d, offset(x, dtype, r0 * d), d,
                     offset(w, dtype, v0 * d), d, 0, z, vb, s);
        if (e == S4J_OK && bias) e = s4j_cuda_add_bias(nb, vb, bias + v0, z, s);
        return e;
    };

    // pass 1: statistics, row blocks outer
    for (int64_t r0 = 0; r0 < n && rc == S4J_OK; r0 += l.nb) {
        const int64_t nb = n - r0 < l.nb ? n - r0 : l.nb;
        for (int64_t v0 = 0; v0 < v && rc == S4J_OK; v0 += l.vb) {
            const int64_t vb = v - v0 < l.vb ? v - v0 : l.vb;
            rc = logits(r0, nb, v0, vb);
            if (rc == S4J_OK) {
                stats_kernel<<<(unsigned)nb, THREADS, 0, s>>>(a, z, r0, v0, vb);
                rc = s4j_cuda_check(cudaGetLastError(), "linear_ce statistics launch");
            }
        }
    }
    if (rc != S4J_OK) return rc;
    finish_rows_kernel<<<row_blocks(n), THREADS, 0, s>>>(a, row_loss, row_lse);
    reduce_loss_kernel<<<1, THREADS, 0, s>>>(a, loss);
    rc = s4j_cuda_check(cudaGetLastError(), "linear_ce loss launch");

    // pass 2: gradients, class blocks outer so that each dW block is final
    for (int64_t v0 = 0; v0 < v && rc == S4J_OK && (dx || dw || db); v0 += l.vb) {
        const int64_t vb = v - v0 < l.vb ? v - v0 : l.vb;
        for (int64_t r0 = 0; r0 < n && rc == S4J_OK; r0 += l.nb) {
            const int64_t nb = n - r0 < l.nb ? n - r0 : l.nb;
            rc = logits(r0, nb, v0, vb);
            if (rc != S4J_OK) break;
            grad_kernel<<<(unsigned)nb, THREADS, 0, s>>>(a, z, z16, r0, v0, vb);
            rc = s4j_cuda_check(cudaGetLastError(), "linear_ce gradient launch");
            const void *g = z16 ? (const void *)z16 : (const void *)z;
            if (dx && rc == S4J_OK) // dX_r (+)= G W_b
                rc = gemm(dtype, math, 0, 0, nb, d, vb, g, vb, offset(w, dtype, v0 * d), d, v0 > 0,
                          dx + r0 * d, d, s);
            if (dw && rc == S4J_OK) // dW_b (+)= G^T X_r
                rc = gemm(dtype, math, 1, 0, vb, d, nb, g, vb, offset(x, dtype, r0 * d), d, r0 > 0,
                          dw + v0 * d, d, s);
            if (db && rc == S4J_OK)
                rc = s4j_cuda_column_sums(nb, vb, 1.0f, z, r0 > 0 ? 1.0f : 0.0f, db + v0, s);
        }
    }
    return rc;
}
