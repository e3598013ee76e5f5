/*
 * softmax_ce.c — softmax, log-softmax and fused softmax cross-entropy over
 * rows: argument checks, the per-row bookkeeping (targets, class weights,
 * label smoothing, z-loss, reductions) and the split of rows over threads.
 * The passes over the data are the ISA's row kernels (softmax_ce_*.c).
 *
 * Fusion: per row, one pass computes max and sum(exp) online, a second
 * pass writes the gradient (softmax - target) * scale and the smoothing
 * sum. The logits are read from memory once (the second read hits the
 * cache: a row of 128k floats is 512 KiB) and the gradient written once:
 * 8 bytes per float32 element, against 20+ for softmax, log, gather and a
 * separate backward.
 *
 * Determinism: rows are cut into chunks that depend only on n and c, and
 * chunk sums are added in chunk order, so the loss is bit-identical for any
 * thread count.
 */
#include <math.h>

#include "ce_options.h"
#include "internal.h"

#define MAX_CHUNKS 256
#define MIN_CHUNK_ELEMS 16384 // below this a chunk is not worth a thread

// Rows per chunk: at least MIN_CHUNK_ELEMS elements, at most MAX_CHUNKS.
static int64_t chunk_rows(int64_t n, int64_t c) {
    int64_t rows = (MIN_CHUNK_ELEMS + c - 1) / c;
    int64_t by_count = (n + MAX_CHUNKS - 1) / MAX_CHUNKS;
    if (rows < by_count) rows = by_count;
    return rows < 1 ? 1 : rows;
}

// ---------------------------------------------------------------------------
// softmax / log-softmax

typedef struct {
    const s4j_kernel_table *k;
    int64_t n, c, rows_per_chunk;
    const float *x;
    float *y;
    int log;
} softmax_job;

static void softmax_chunk(void *arg, int64_t chunk, int slot) {
    const softmax_job *j = arg;
    int64_t r0 = chunk * j->rows_per_chunk;
    int64_t r1 = r0 + j->rows_per_chunk < j->n ? r0 + j->rows_per_chunk : j->n;
    for (int64_t r = r0; r < r1; r++) {
        const float *x = j->x + r * j->c;
        float *y = j->y + r * j->c;
        float max, sum;
        j->k->row_stats(x, S4J_F32, j->c, &max, &sum);
        if (j->log) {
            j->k->row_log_softmax(x, j->c, max, logf(sum), y);
        } else {
            s4j_row_grad g = {.max = max, .a = 1.0f / sum, .b = 0.0f, .w = NULL};
            j->k->row_finish(x, S4J_F32, j->c, &g, y, 0);
        }
    }
}

int s4j_softmax(int64_t n, int64_t c, const float *x, float *y, int32_t log) {
    if (n < 0 || (n > 0 && (c < 1 || !x || !y))) return S4J_ERR_ARGUMENT;
    if (n == 0) return S4J_OK;
    softmax_job j = {s4j_active_kernels(), n, c, chunk_rows(n, c), x, y, log};
    s4j_parallel_for((n + j.rows_per_chunk - 1) / j.rows_per_chunk, INT32_MAX, softmax_chunk, &j);
    return S4J_OK;
}

// ---------------------------------------------------------------------------
// fused softmax cross-entropy

typedef struct {
    const s4j_kernel_table *k;
    int64_t n, c, rows_per_chunk;
    int32_t dtype;
    const char *logits;
    const int32_t *targets;
    const float *w;
    int32_t ignore_index;
    s4j_ce_consts cst; // smoothing, z-loss, gradient scale, class weights' sum and max
    float *row_loss, *row_lse;
    int32_t *row_argmax;
    char *dlogits;
    float *scratch;         // per-slot rows of exp values (cached path), or NULL
    int64_t scratch_stride; // floats per slot
    int stream;             // write gradients with non-temporal stores
    double chunk_sum[MAX_CHUNKS];
} ce_job;

// Scratch per thread for one row of exp values, in floats (64-byte multiple).
static int64_t scratch_floats(int64_t c) { return (c + 15) / 16 * 16; }

// Gradients above this size bypass the caches: they are not read again soon,
// and streaming stores skip reading every line before writing it.
#define STREAM_BYTES (8LL << 20)

int64_t s4j_softmax_ce_workspace_size(int64_t c) {
    if (c <= S4J_SMALL_ROW || c > S4J_CACHED_ROW) return 0;
    return (int64_t)s4j_num_threads() * scratch_floats(c) * 4;
}

// First index of the row maximum, PyTorch-style: the first NaN if there is
// one (the sum is then NaN), the first +inf if there is one (the sum is
// then NaN too: inf - inf), else the first element equal to max.
static int32_t find_argmax(const s4j_kernel_table *k, const void *x, int32_t dtype, int64_t c,
                           float max, float sum) {
    int64_t at = -1;
    if (isnan(sum)) {
        at = k->row_find(x, dtype, c, NAN);
        if (at < 0) at = k->row_find(x, dtype, c, INFINITY);
    } else {
        at = k->row_find(x, dtype, c, max);
    }
    return at < 0 ? 0 : (int32_t)at; // all -inf: 0, as torch.argmax
}

void s4j_row_grad_wide(const void *x, int32_t dtype, const float *e, int64_t c, float max,
                       const s4j_ce_coef *g, const float *w, int32_t y, void *out) {
    for (int64_t k = 0; k < c; k++) {
        double ek = e ? e[k] : expf(s4j_load_elem(x, dtype, k) - max);
        double v = g->a * ek - g->b * (w ? w[k] : 1.0f) - (k == y ? g->d : 0.0);
        s4j_store_elem(out, dtype, k, (float)v);
    }
}

// What a row needs besides its logits (loss and gradient: ce_row.h).
typedef struct {
    int32_t y;
    int ignored;
    float x_y, w_y;
} row_terms;

// Read before any gradient is written: dlogits may be the logits buffer.
static inline row_terms terms_of(const ce_job *j, const void *x, int64_t r) {
    row_terms t = {.y = j->targets[r]};
    t.ignored = t.y == j->ignore_index;
    t.x_y = t.ignored ? 0.0f : s4j_load_elem(x, j->dtype, t.y);
    t.w_y = t.ignored ? 0.0f : j->w ? j->w[t.y] : 1.0f;
    return t;
}

static s4j_ce_coef coef_of(const ce_job *j, const row_terms *t, float max, float log_sum,
                           double sum) {
    return s4j_ce_coef_of(&j->cst, t->w_y, (double)max + log_sum, sum);
}

// The row's outputs besides the gradient; returns loss_i (0 when ignored).
static double finish_row(const ce_job *j, int64_t r, const row_terms *t, float max, float log_sum,
                         double smooth, void *dx) {
    if (j->row_lse) j->row_lse[r] = max + log_sum;
    if (t->ignored) {
        if (dx) memset(dx, 0, (size_t)(s4j_dtype_size(j->dtype) * j->c));
        if (j->row_loss) j->row_loss[r] = 0.0f;
        return 0.0;
    }
    double loss = s4j_ce_loss_of(&j->cst, t->w_y, max, t->x_y, log_sum, smooth);
    if (j->row_loss) j->row_loss[r] = (float)loss;
    return loss;
}

// Row r of a chunk ending at row r1, through the long-row kernels; returns loss_i.
static double one_row(ce_job *j, int64_t r, int64_t r1, int slot) {
    const int64_t c = j->c, bytes = s4j_dtype_size(j->dtype) * c;
    const void *x = j->logits + r * bytes;
    void *dx = j->dlogits ? j->dlogits + r * bytes : NULL;
    const row_terms t = terms_of(j, x, r);
    void *grad = t.ignored ? NULL : dx;
    const int want_smooth = !t.ignored && j->cst.eps != 0.0;

    float max, log_sum;
    double smooth = 0.0;
    if (j->k->row_exp_f32 && grad && j->dtype == S4J_F32 && c <= S4J_CACHED_ROW &&
        (j->scratch || !(grad == x && j->row_argmax))) {
        // exp once per element, the costly part of a cached row: into the
        // thread's scratch row, or else into the gradient itself. (In place
        // without scratch, the logits would be gone before an argmax search.)
        float *e = j->scratch ? j->scratch + slot * j->scratch_stride : grad;
        max = j->k->row_max_f32(x, c);
        const float *next = r + 1 < r1 ? (const float *)(j->logits + (r + 1) * bytes) : NULL;
        double sum = j->k->row_exp_f32(x, c, max, e, j->w, want_smooth ? &smooth : NULL, next);
        log_sum = logf((float)sum);
        if (j->row_argmax) j->row_argmax[r] = find_argmax(j->k, x, S4J_F32, c, max, (float)sum);
        const s4j_ce_coef g = coef_of(j, &t, max, log_sum, sum);
        if (g.fits) {
            const float e_y = e[t.y];
            j->k->row_scale_f32(e, grad, c, (float)g.a, (float)g.b, j->w, j->stream);
            ((float *)grad)[t.y] = (float)(g.a * e_y - g.b * t.w_y - g.d);
        } else {
            s4j_row_grad_wide(NULL, S4J_F32, e, c, max, &g, j->w, t.y, grad);
        }
    } else {
        float sum;
        j->k->row_stats(x, j->dtype, c, &max, &sum);
        log_sum = logf(sum);
        if (j->row_argmax) j->row_argmax[r] = find_argmax(j->k, x, j->dtype, c, max, sum);
        const s4j_ce_coef g = coef_of(j, &t, max, log_sum, sum);
        s4j_row_grad rg = {.max = max, .a = (float)g.a, .b = (float)g.b, .w = j->w};
        void *fast = g.fits ? grad : NULL; // else the smoothing sum first, then in double
        if (fast || want_smooth) smooth = j->k->row_finish(x, j->dtype, c, &rg, fast, want_smooth);
        if (fast) // the target's extra term, on the value the vector pass wrote
            s4j_store_elem(grad, j->dtype, t.y,
                           (float)(g.a * expf(t.x_y - max) - g.b * t.w_y - g.d));
        else if (grad)
            s4j_row_grad_wide(x, j->dtype, NULL, c, max, &g, j->w, t.y, grad);
    }
    return finish_row(j, r, &t, max, log_sum, smooth, dx);
}

// Rows [r0, r1) of at most S4J_SMALL_ROW classes, S4J_ROWS at a time
// through the rows_small kernel: transposed into a class-major tile and
// back. A partial group is padded with zero rows, so every row takes the
// same arithmetic whatever the chunking (the loss stays bit-identical for
// any thread count); so is a row whose gradient coefficients do not fit
// float, which takes one_row instead. Returns the sum of loss_i.
static double small_rows(ce_job *j, int64_t r0, int64_t r1, int slot) {
    const int64_t c = j->c, bytes = s4j_dtype_size(j->dtype) * c;
    const int want_smooth = j->cst.eps != 0.0;
    float xt[S4J_SMALL_ROW * S4J_ROWS], gt[S4J_SMALL_ROW * S4J_ROWS];
    s4j_small_rows_args p = {
        .a1 = 2.0 * j->cst.zc, .scale = j->cst.scale, .b = (float)s4j_ce_b(&j->cst), .w = j->w};
    s4j_small_rows_result res;
    row_terms t[S4J_ROWS];
    double total = 0.0;
    for (int64_t g = r0; g < r1; g += S4J_ROWS) {
        const int rows = r1 - g < S4J_ROWS ? (int)(r1 - g) : S4J_ROWS;
        for (int l = 0; l < S4J_ROWS; l++) {
            if (l < rows) {
                const void *x = j->logits + (g + l) * bytes;
                t[l] = terms_of(j, x, g + l);
                if (j->dtype == S4J_F32)
                    for (int64_t k = 0; k < c; k++) xt[k * S4J_ROWS + l] = ((const float *)x)[k];
                else
                    for (int64_t k = 0; k < c; k++)
                        xt[k * S4J_ROWS + l] = s4j_load_elem(x, j->dtype, k);
            } else {
                t[l] = (row_terms){.ignored = 1};
                for (int64_t k = 0; k < c; k++) xt[k * S4J_ROWS + l] = 0.0f;
            }
            p.a0[l] = s4j_ce_a0(&j->cst, t[l].w_y);
            p.d[l] = (float)s4j_ce_d(&j->cst, t[l].w_y);
            p.target[l] = t[l].ignored ? -1 : t[l].y;
        }
        j->k->rows_small(c, xt, &p, j->dlogits ? gt : NULL, want_smooth, &res);
        for (int l = 0; l < rows; l++) {
            const int64_t r = g + l;
            void *dx = j->dlogits ? j->dlogits + r * bytes : NULL;
            if (dx && !t[l].ignored && (res.wide >> l & 1)) {
                total += one_row(j, r, r1, slot);
                continue;
            }
            if (dx && !t[l].ignored) {
                if (j->dtype == S4J_F32)
                    for (int64_t k = 0; k < c; k++) ((float *)dx)[k] = gt[k * S4J_ROWS + l];
                else
                    for (int64_t k = 0; k < c; k++)
                        s4j_store_elem(dx, j->dtype, k, gt[k * S4J_ROWS + l]);
            }
            if (j->row_argmax) j->row_argmax[r] = res.argmax[l];
            total += finish_row(j, r, &t[l], res.max[l], res.log_sum[l],
                                want_smooth ? res.smooth[l] : 0.0, dx);
        }
    }
    return total;
}

static void ce_chunk(void *arg, int64_t chunk, int slot) {
    ce_job *j = arg;
    int64_t r0 = chunk * j->rows_per_chunk;
    int64_t r1 = r0 + j->rows_per_chunk < j->n ? r0 + j->rows_per_chunk : j->n;
    // rows_small: when b and every row's d fit float (ce_row.h), as they
    // do unless |grad_scale / divisor| max_k w_k passes 1.7e38
    if (j->k->rows_small && j->c <= S4J_SMALL_ROW &&
        fabs(j->cst.scale) * j->cst.w_max <= S4J_CE_FIT) {
        j->chunk_sum[chunk] = small_rows(j, r0, r1, slot);
        return;
    }
    double total = 0.0;
    for (int64_t r = r0; r < r1; r++) total += one_row(j, r, r1, slot);
    j->chunk_sum[chunk] = total;
}

int s4j_softmax_ce(int64_t n, int64_t c, int32_t dtype, const void *logits, const int32_t *targets,
                   const s4j_ce_options *opt, float *loss, float *row_loss, float *row_lse,
                   int32_t *row_argmax, void *dlogits, int64_t *err_row, void *work,
                   int64_t work_bytes) {
    if (!loss) return S4J_ERR_ARGUMENT;
    double total;
    int rc =
        s4j_softmax_ce_on(s4j_active_kernels(), n, c, dtype, logits, targets, opt, NULL, &total,
                          row_loss, row_lse, row_argmax, dlogits, err_row, work, work_bytes);
    if (rc == S4J_OK) *loss = (float)total;
    return rc;
}

int s4j_softmax_ce_on(const s4j_kernel_table *kt, int64_t n, int64_t c, int32_t dtype,
                      const void *logits, const int32_t *targets, const s4j_ce_options *opt,
                      const double *batch_divisor, double *loss, float *row_loss, float *row_lse,
                      int32_t *row_argmax, void *dlogits, int64_t *err_row, void *work,
                      int64_t work_bytes) {
    if (n < 0 || !loss || (dtype != S4J_F32 && dtype != S4J_BF16 && dtype != S4J_F16) ||
        !s4j_ce_options_valid(opt, 0))
        return S4J_ERR_ARGUMENT;
    const float *class_weight = opt->class_weight;
    const int32_t ignore_index = opt->ignore_index, reduction = opt->reduction;
    if (n > 0 && (c < 1 || !logits || !targets || (reduction == S4J_REDUCE_NONE && !row_loss)))
        return S4J_ERR_ARGUMENT;

    // Targets first, so that a bad one leaves every output untouched; the
    // same pass gives the mean's divisor.
    double divisor;
    int rc = s4j_check_targets(n, c, targets, ignore_index, class_weight, &divisor, err_row);
    if (rc != S4J_OK) return rc;
    if (batch_divisor) divisor = *batch_divisor;
    if (n == 0) {
        *loss = reduction == S4J_REDUCE_MEAN ? NAN : 0.0;
        return S4J_OK;
    }

    ce_job *j = &(ce_job){0};
    j->k = kt;
    j->n = n;
    j->c = c;
    j->rows_per_chunk = chunk_rows(n, c);
    j->dtype = dtype;
    j->logits = logits;
    j->targets = targets;
    j->w = class_weight;
    double w_total = (double)c, w_max = 1.0;
    if (class_weight) {
        w_total = w_max = 0.0;
        for (int64_t k = 0; k < c; k++) {
            w_total += class_weight[k];
            w_max = fmax(w_max, fabs(class_weight[k]));
        }
    }
    j->ignore_index = ignore_index;
    j->cst = (s4j_ce_consts){.eps = opt->label_smoothing,
                             .zc = opt->z_loss,
                             .w_total = w_total,
                             .w_max = w_max,
                             .c = c,
                             .scale = reduction == S4J_REDUCE_MEAN ? opt->grad_scale / divisor
                                                                   : opt->grad_scale};
    j->row_loss = row_loss;
    j->row_lse = row_lse;
    j->row_argmax = row_argmax;
    j->dlogits = dlogits;
    // The workspace is used only when it has a row for every thread.
    int64_t need = s4j_softmax_ce_workspace_size(c);
    if (work && need > 0 && work_bytes >= need && (uintptr_t)work % 64 == 0 && dtype == S4J_F32) {
        j->scratch = work;
        j->scratch_stride = scratch_floats(c);
        j->stream = n * c * 4 >= STREAM_BYTES;
    }

    int64_t chunks = (n + j->rows_per_chunk - 1) / j->rows_per_chunk;
    s4j_parallel_for(chunks, j->scratch ? (int)(work_bytes / (j->scratch_stride * 4)) : INT32_MAX,
                     ce_chunk, j);
    double total = 0.0;
    for (int64_t t = 0; t < chunks; t++) total += j->chunk_sum[t];
    *loss = reduction == S4J_REDUCE_MEAN ? total / divisor : total;
    return S4J_OK;
}
