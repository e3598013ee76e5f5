/*
 * internal.h — what the portable framework and the per-ISA kernel files
 * share: the dispatch table, the thread pool, and scalar element
 * conversions. Not part of the ABI.
 */
#ifndef S4J_INTERNAL_H
#define S4J_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "ce_row.h"
#include "softmax4j.h"

#define S4J_VERSION "0.1.0"

// ---------------------------------------------------------------------------
// Element conversions (scalar, exact IEEE round-to-nearest-even)

static inline float s4j_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t s4j_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u); // round to nearest, ties to even
    return (uint16_t)(u >> 16);
}

static inline float s4j_f16_to_f32(uint16_t h) {
    _Float16 v;
    memcpy(&v, &h, sizeof v);
    return (float)v;
}

static inline uint16_t s4j_f32_to_f16(float f) {
    _Float16 v = (_Float16)f; // gcc: round to nearest even
    uint16_t h;
    memcpy(&h, &v, sizeof h);
    return h;
}

static inline float s4j_load_elem(const void *x, int32_t dtype, int64_t i) {
    switch (dtype) {
    case S4J_BF16:
        return s4j_bf16_to_f32(((const uint16_t *)x)[i]);
    case S4J_F16:
        return s4j_f16_to_f32(((const uint16_t *)x)[i]);
    default:
        return ((const float *)x)[i];
    }
}

static inline void s4j_store_elem(void *y, int32_t dtype, int64_t i, float v) {
    switch (dtype) {
    case S4J_BF16:
        ((uint16_t *)y)[i] = s4j_f32_to_bf16(v);
        break;
    case S4J_F16:
        ((uint16_t *)y)[i] = s4j_f32_to_f16(v);
        break;
    default:
        ((float *)y)[i] = v;
    }
}

// The pass over the targets that both cross-entropies make before writing
// anything: S4J_ERR_TARGET (with *err_row) for a target outside [0, c) that
// is not ignore_index; else S4J_OK and, in *divisor, the mean's divisor (the
// summed class weights of the rows not ignored).
static inline int s4j_check_targets(int64_t n, int64_t c, const int32_t *targets,
                                    int32_t ignore_index, const float *class_weight,
                                    double *divisor, int64_t *err_row) {
    double sum = 0.0;
    for (int64_t r = 0; r < n; r++) {
        int32_t y = targets[r];
        if (y == ignore_index) continue;
        if (y < 0 || y >= c) {
            if (err_row) *err_row = r;
            return S4J_ERR_TARGET;
        }
        sum += class_weight ? (double)class_weight[y] : 1.0;
    }
    *divisor = sum;
    return S4J_OK;
}

static inline int64_t s4j_dtype_size(int32_t dtype) { return dtype == S4J_F32 ? 4 : 2; }

// ---------------------------------------------------------------------------
// Row kernels: the per-ISA pieces of softmax and softmax cross-entropy.
// A row is c elements of `dtype` at x.

// The gradient (or probabilities) to write in the second pass over a row:
//   out[k] = a * exp(x[k] - max) - b * (w ? w[k] : 1)
// followed by the portable code's fix-up of the target element.
typedef struct {
    float max;      // row maximum (from row_stats)
    float a;        // scale * A_i / sum: multiplies exp(x - max)
    float b;        // scale * eps / c: subtracted from every class
    const float *w; // class weights multiplying b, or NULL
} s4j_row_grad;

// Short rows (c <= S4J_SMALL_ROW, e.g. the 10 classes of Fashion-MNIST),
// S4J_ROWS rows at once with one row per vector lane: a row of 10 floats
// fills no vector, and per row the reductions, the log and the call cost
// more than the arithmetic. The caller transposes the rows into a
// class-major tile, xt[k * S4J_ROWS + lane] (float32, unused lanes filled
// with 0), and back from the gradient tile gt. Per lane:
//   max, sum = sum_k exp(x[k] - max), log_sum = log(sum), argmax (PyTorch's:
//   first NaN, else first +inf, else first max), smooth = sum_k w[k] (max - x[k]),
//   a = scale (a0 + a1 lse) / sum in double (s4j_ce_coef_of's, ce_row.h) and
//   gt[k] = a exp(x[k] - max) - b w[k] - [k == target] d where |a| <= S4J_CE_FIT;
//   lanes where it is not are set in `wide`, their gradient left to the caller.
//   (The caller makes sure that b and d fit.)
#define S4J_SMALL_ROW 32
#define S4J_ROWS 8
typedef struct {
    double a0[S4J_ROWS];      // s4j_ce_a0 of each row
    float d[S4J_ROWS];        // each row's coefficient d
    int32_t target[S4J_ROWS]; // -1: no target term (ignored rows, padding)
    double a1, scale;         // 2 zc; the gradient scale
    float b;                  // coefficient b, the same for every row
    const float *w;           // class weights multiplying b, or NULL
} s4j_small_rows_args;

typedef struct {
    float max[S4J_ROWS], log_sum[S4J_ROWS];
    double smooth[S4J_ROWS];
    int32_t argmax[S4J_ROWS];
    int wide; // bit l: lane l's coefficients do not fit float (no gradient written)
} s4j_small_rows_result;

// The gradient of a row whose coefficients do not fit float (s4j_ce_coef),
// in double and rounded once: out[k] = a e_k - b w_k - [k == y] d, e_k read
// from e (float32 rows) or exp(x[k] - max) when e is NULL. out may be x or e.
void s4j_row_grad_wide(const void *x, int32_t dtype, const float *e, int64_t c, float max,
                       const s4j_ce_coef *g, const float *w, int32_t y, void *out);

// float32 rows whose row and gradient fit in L2 together (c <= S4J_CACHED_ROW)
// can compute exp once per element instead of twice: max; then
// out = exp(x - max) with the sum; then out = a * out - b * w in place.
#define S4J_CACHED_ROW 65536

typedef struct {
    // Optional (NULL: use the three long-row passes).
    // gt may be NULL (no gradient); smooth is computed when want_smooth != 0.
    void (*rows_small)(int64_t c, const float *xt, const s4j_small_rows_args *p, float *gt,
                       int want_smooth, s4j_small_rows_result *res);
    // Optional trio for float32 rows up to S4J_CACHED_ROW (NULL: not used).
    // Maximum of a row (NaN ignored: it poisons the sum of the next pass).
    float (*row_max_f32)(const float *x, int64_t c);
    // out = exp(x - max); returns the sum (double accumulated) and, when
    // smooth != NULL, stores sum_k w[k] (max - x[k]) there (as
    // S4J_SMOOTH_SCALE requires). out may be x.
    // next: the following row (or NULL), prefetched into L2 meanwhile, so
    // that its max pass does not wait for memory while this pass computes.
    double (*row_exp_f32)(const float *x, int64_t c, float max, float *out, const float *w,
                          double *smooth, const float *next);
    // out = a * e - b * (w ? w[k] : 1); e may be out. stream: write with
    // non-temporal stores (then fenced).
    void (*row_scale_f32)(const float *e, float *out, int64_t c, float a, float b, const float *w,
                          int stream);
    // Row maximum and sum of exp(x - max), reading the row once. A row
    // holding NaN gives a NaN sum; an all -inf row a sum of 0.
    void (*row_stats)(const void *x, int32_t dtype, int64_t c, float *max, float *sum);
    // Second pass: writes the gradient when out != NULL and returns
    // sum_k w[k] * (max - x[k]) (w = 1 when NULL) when want_smooth != 0
    // (formed as S4J_SMOOTH_SCALE requires, ce_row.h). out may equal x.
    double (*row_finish)(const void *x, int32_t dtype, int64_t c, const s4j_row_grad *g, void *out,
                         int want_smooth);
    // Soft-capping in place: x = cap tanh(x / cap), cap > 0.
    void (*row_softcap_f32)(float *x, int64_t c, float cap);
    // Log-softmax: y = (x - max) - log_sum, float32; y may equal x.
    void (*row_log_softmax)(const float *x, int64_t c, float max, float log_sum, float *y);
    // First index k with x[k] == value (isnan(x[k]) when value is NaN),
    // or -1.
    int64_t (*row_find)(const void *x, int32_t dtype, int64_t c, float value);

    // ---- GEMM (contracts in gemm.c) ----
    int gemm_mr, gemm_nr; // micro-tile of sgemm_ukr
    // C[mr x nr] = alpha * A_panel * B_panel + beta * C over k, where the
    // packed A panel holds k columns of mr values, the B panel k rows of nr.
    // beta == 0: C is not read.
    void (*sgemm_ukr)(int64_t k, const float *a, const float *b, float *c, int64_t ldc, float alpha,
                      float beta);
    // Register tiles of the skinny products (n <= S4J_SKINNY_N columns of
    // C); gemm.c's portable loops cut C into tiles of at most rows x cols.
    // C is addressed by (row stride rsc, column stride csc); beta == 0: C
    // is not read.
    // nt: C[i, j] = alpha dot(A[i, :], bt[j, :]) + beta C[i, j] for a rows x
    // cols tile; A row-major (lda), bt: op(B) transposed and packed, row
    // stride k.
    int skinny_nt_rows, skinny_nt_cols;
    void (*sgemm_skinny_nt_tile)(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                 int64_t lda, const float *bt, float beta, float *c, int64_t rsc,
                                 int64_t csc);
    // tn: C[i, j] = alpha sum_p A[p, i] bp[p, j] + beta C[i, j]; A stored
    // k x m (lda), op(A) = A^T; bp: op(B) packed k x (row stride ldbp).
    int skinny_tn_rows, skinny_tn_cols;
    void (*sgemm_skinny_tn_tile)(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                 int64_t lda, const float *bp, int64_t ldbp, float beta, float *c,
                                 int64_t rsc, int64_t csc);

    // ---- sparse rows (contract in sparse.c) ----
    // c[j] = alpha sum_p val[p] b[col[p] * ldb + j] + (beta == 0 ? 0 : beta c[j])
    //        + (bias ? bias[j] : 0) for j < n; summed in float in p order.
    void (*csr_row)(int64_t n, int64_t nnz, const int32_t *col, const float *val, const float *b,
                    int64_t ldb, float alpha, float beta, const float *bias, float *c);
} s4j_kernel_table;

#define S4J_SKINNY_N 16

// s4j_softmax_ce on a given kernel table (a caller's, fixed at its start),
// the reduced loss in double (a caller summing chunks keeps the precision);
// batch_divisor, when not NULL, replaces the rows' own divisor of the mean
// (a chunk of a batch reduces to its share of the batch's mean).
int s4j_softmax_ce_on(const s4j_kernel_table *kt, int64_t n, int64_t c, int32_t dtype,
                      const void *logits, const int32_t *targets, const s4j_ce_options *opt,
                      const double *batch_divisor, double *loss, float *row_loss, float *row_lse,
                      int32_t *row_argmax, void *dlogits, int64_t *err_row, void *work,
                      int64_t work_bytes);

// s4j_sgemm with the kernel table and thread count of a caller that has
// chosen them already (so one public call runs on one ISA throughout).
int s4j_sgemm_on(const s4j_kernel_table *kt, int threads, int32_t trans_a, int32_t trans_b,
                 int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc, void *work,
                 int64_t work_bytes);

// Workspace s4j_sgemm needs for one m x n x k problem on `threads` threads
// (s4j_sgemm_workspace_size() covers every problem).
int64_t s4j_sgemm_work_bytes(int64_t m, int64_t n, int64_t k, int threads);

// C[i*rsc + j*csc] = alpha * t[i*nr + j] + beta * C (beta == 0: not read):
// how every partial tile reaches C.
static inline void s4j_tile_update(int64_t mr, int64_t nr, const float *t, int64_t ldt, float alpha,
                                   float beta, float *c, int64_t rsc, int64_t csc) {
    for (int64_t i = 0; i < mr; i++)
        for (int64_t j = 0; j < nr; j++) {
            float *cij = c + i * rsc + j * csc;
            *cij = alpha * t[i * ldt + j] + (beta == 0.0f ? 0.0f : beta * *cij);
        }
}

// The kernels of each ISA; dispatch.c fills one table per ISA with them.
#define S4J_DECLARE_KERNELS(isa)                                                                   \
    void s4j_row_stats_##isa(const void *x, int32_t dtype, int64_t c, float *max, float *sum);     \
    double s4j_row_finish_##isa(const void *x, int32_t dtype, int64_t c, const s4j_row_grad *g,    \
                                void *out, int want_smooth);                                       \
    void s4j_row_log_softmax_##isa(const float *x, int64_t c, float max, float log_sum, float *y); \
    int64_t s4j_row_find_##isa(const void *x, int32_t dtype, int64_t c, float value);              \
    void s4j_row_softcap_f32_##isa(float *x, int64_t c, float cap);                                \
    void s4j_sgemm_skinny_nt_tile_##isa(int64_t rows, int cols, int64_t k, float alpha,            \
                                        const float *a, int64_t lda, const float *bt, float beta,  \
                                        float *c, int64_t rsc, int64_t csc);                       \
    void s4j_sgemm_skinny_tn_tile_##isa(                                                           \
        int64_t rows, int cols, int64_t k, float alpha, const float *a, int64_t lda,               \
        const float *bp, int64_t ldbp, float beta, float *c, int64_t rsc, int64_t csc);
S4J_DECLARE_KERNELS(scalar)
S4J_DECLARE_KERNELS(avx2)
#define S4J_DECLARE_CSR_ROW(isa)                                                         \
    void s4j_csr_row_##isa(int64_t n, int64_t nnz, const int32_t *col, const float *val, \
                           const float *b, int64_t ldb, float alpha, float beta,         \
                           const float *bias, float *c);
S4J_DECLARE_CSR_ROW(scalar)
S4J_DECLARE_CSR_ROW(avx2)
S4J_DECLARE_CSR_ROW(avx512)
void s4j_sgemm_skinny_nt_tile_avx512(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                     int64_t lda, const float *bt, float beta, float *c,
                                     int64_t rsc, int64_t csc);
void s4j_sgemm_skinny_tn_tile_avx512(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                     int64_t lda, const float *bp, int64_t ldbp, float beta,
                                     float *c, int64_t rsc, int64_t csc);
void s4j_rows_small_avx2(int64_t c, const float *xt, const s4j_small_rows_args *p, float *gt,
                         int want_smooth, s4j_small_rows_result *res);
float s4j_row_max_f32_avx2(const float *x, int64_t c);
double s4j_row_exp_f32_avx2(const float *x, int64_t c, float max, float *out, const float *w,
                            double *smooth, const float *next);
void s4j_row_scale_f32_avx2(const float *e, float *out, int64_t c, float a, float b, const float *w,
                            int stream);
float s4j_row_max_f32_avx512(const float *x, int64_t c);
double s4j_row_exp_f32_avx512(const float *x, int64_t c, float max, float *out, const float *w,
                              double *smooth, const float *next);
void s4j_row_scale_f32_avx512(const float *e, float *out, int64_t c, float a, float b,
                              const float *w, int stream);
void s4j_sgemm_ukr_scalar_4x8(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                              float alpha, float beta);
void s4j_sgemm_ukr_avx2_6x16(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                             float alpha, float beta);
void s4j_sgemm_ukr_avx512_12x32(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                                float alpha, float beta);

// The table of the ISA in use (dispatch.c). Every public kernel reads it
// once, at its start, and passes it down: s4j_set_isa while kernels run
// changes later calls only.
const s4j_kernel_table *s4j_active_kernels(void);

// ---------------------------------------------------------------------------
// Thread pool (threads.c)

// slot: which of the job's threads runs the task, in [0, max_threads); two
// tasks running at the same time never share a slot (per-thread buffers).
typedef void (*s4j_task_fn)(void *ctx, int64_t task, int slot);

// Runs fn(ctx, t, slot) for t in [0, ntasks) on up to
// min(max_threads, s4j_num_threads()) threads, the caller included; returns
// when all are done. When another thread is already running a parallel
// job, runs everything on the caller (slot 0) instead: callers are then
// parallel already.
void s4j_parallel_for(int64_t ntasks, int max_threads, s4j_task_fn fn, void *ctx);

#endif
