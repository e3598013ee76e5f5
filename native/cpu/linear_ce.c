/*
 * linear_ce.c — fused linear + softmax cross-entropy for large vocabularies:
 * loss(softmax(cap(X W^T + b)), targets) and its gradients dX, dW, db,
 * without the N x V logits. Memory beyond the inputs and outputs is a few
 * tiles of rows x classes and per-row statistics, independent of N x V, or
 * (row-chunked) one chunk of rows x V, at most 64 MiB by default.
 *
 * Two passes over the vocabulary, tile by tile (row block x class block):
 *  1. logits tile = X_r W_b^T + b_b (our SGEMM), soft-capped; each row's
 *     running max and sum of exp (the online log-sum-exp), its target logit
 *     and, for label smoothing, sum_k w_k (max - z_k), rescaled with the max
 *     as the sum of exp is (every term >= 0: no cancellation, where
 *     W max - sum_k w_k z_k lost everything next to logits near 1e38);
 *  2. the same tile recomputed, turned into the gradient with the now known
 *     log-sum-exp (the cross-entropy kernels' row pass), then
 *     dX_r += G W_b, dW_b += G^T X_r, db_b += column sums of G.
 * Class blocks are the outer loop of pass 2, so each dW block is finished
 * (reduced over all rows) before the next one starts.
 *
 * Work: four GEMMs of N V D against three for the materialised path (the
 * logits are computed twice); traffic: X and W are re-read per tile, the
 * N x V logits never touch memory.
 *
 * Row-chunked plan, where a chunk of rows x all V logits fits a small
 * budget (the automatic choice: min(1/4 of the N x V logits, 64 MiB), at
 * least MIN_CHUNK_ROWS rows; or forced by block_v = -rows): per chunk, the
 * logits by one GEMM, the cross-entropy kernel's gradient in place
 * (softmax_ce.c), dX of the chunk by a second GEMM, dW and db accumulated
 * by a third -- three GEMMs like the materialised path, with the logits
 * chunk in cache instead of 8 N V bytes through memory. Not for
 * soft-capping (its derivative needs the capped logits beside the
 * gradient).
 */
#include <math.h>

#include "ce_options.h"
#include "internal.h"

#define ROW_BLOCK 256
#define AUTO_CLASS_BLOCK 1024
#define ROWS_PER_TASK 8
// Row chunks: at least 256 rows, within min(64 MiB, 1/4 of the N x V logits).
// Fewer rows lose to the GEMMs' fixed costs: each chunk packs W twice and
// reads and writes dW once (2048 x 1024 x 32768 on Zen 4: 40 rows 0.6x the
// materialised time, 512 rows 1.0-1.1x; NOTES.md).
#define MIN_CHUNK_ROWS 256
#define CHUNK_BUDGET_BYTES (64 << 20)

typedef struct {
    int64_t nb, vb, v0; // tile rows and classes, first class of the tile
    int64_t r0;         // first row of the tile
    int64_t v;          // all classes
} tile_t;

static int64_t round_up64(int64_t x) { return (x + 63) / 64 * 64; }

// The workspace: the logits tile (the gradient overwrites it), per-thread
// copies of one capped row (soft-capping's derivative needs the logits the
// gradient replaces), the per-row statistics and the GEMMs' packing area.
// Sizes (default tiles, N=2048, D=1024): ~2.3 MiB, 0.9% of N x V logits at
// V=32768.
typedef struct {
    int64_t nb, vb;
    int chunked; // row-chunked: nb rows x all v classes per chunk
    int64_t tile_bytes, row_copy_bytes, rows_bytes, gemm_bytes, ce_bytes;
    int threads;
} lce_layout;

// Rows per chunk of the row-chunked plan, or 0 for the tiled one.
static int64_t chunk_rows(int64_t n, int64_t v, int64_t block_v, int capped) {
    if (capped || block_v > 0) return 0;
    if (block_v < 0) return block_v <= -n ? n : -block_v;
    int64_t rows = CHUNK_BUDGET_BYTES / (v * 4); // within 64 MiB
    if (rows > n / 4) rows = n / 4;              // and 1/4 of the logits
    return rows >= MIN_CHUNK_ROWS ? rows : 0;
}

// The GEMMs' packing area for tiles of up to nb rows x vb classes: the
// largest of the three products over full and partial (last) tiles, since
// few rows take the skinny path, whose area grows with k instead.
static int64_t gemm_area(int64_t n, int64_t nb, int64_t d, int64_t v, int64_t vb, int threads) {
    const int64_t rows[2] = {nb, n - (n - 1) / nb * nb}, classes[2] = {vb, v - (v - 1) / vb * vb};
    int64_t most = 0;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            const int64_t r = rows[i], c = classes[k];
            const int64_t g[3] = {s4j_sgemm_work_bytes(r, c, d, threads),  // logits
                                  s4j_sgemm_work_bytes(r, d, c, threads),  // dX += G W
                                  s4j_sgemm_work_bytes(c, d, r, threads)}; // dW += G^T X
            for (int q = 0; q < 3; q++) most = g[q] > most ? g[q] : most;
        }
    return most;
}

static lce_layout layout(int64_t n, int64_t d, int64_t v, int64_t block_v, int capped,
                         int threads) {
    lce_layout l = {0};
    l.threads = threads;
    const int64_t rows = chunk_rows(n, v, block_v, capped);
    if (rows > 0) {
        l.chunked = 1;
        l.nb = rows;
        l.vb = v;
        l.tile_bytes = round_up64(rows * v * 4);
        l.ce_bytes = round_up64(s4j_softmax_ce_workspace_size(v));
        l.gemm_bytes = gemm_area(n, rows, d, v, v, threads);
        return l;
    }
    l.nb = n < ROW_BLOCK ? n : ROW_BLOCK;
    l.vb = block_v > 0 ? block_v : AUTO_CLASS_BLOCK;
    if (l.vb > v) l.vb = v;
    l.tile_bytes = round_up64(l.nb * l.vb * 4);
    l.row_copy_bytes = capped ? round_up64(l.vb * 4) : 0;
    l.rows_bytes = round_up64(n * (int64_t)(8 + 8 + 4 + 4 + 4)); // s, smooth, m, z_y, log_sum
    l.gemm_bytes = gemm_area(n, l.nb, d, v, l.vb, threads);
    return l;
}

static int64_t total_bytes(const lce_layout *l) {
    return l->tile_bytes + l->threads * l->row_copy_bytes + l->rows_bytes + l->gemm_bytes +
           l->ce_bytes;
}

int64_t s4j_linear_ce_workspace_size(int64_t n, int64_t d, int64_t v, int64_t block_v,
                                     float softcap) {
    if (n < 1 || d < 1 || v < 1) return 0;
    lce_layout l = layout(n, d, v, block_v, softcap > 0.0f, s4j_num_threads());
    return total_bytes(&l);
}

// ---------------------------------------------------------------------------
// per-row work on a tile, split over threads

typedef struct {
    const s4j_kernel_table *k;
    tile_t t;
    float *z;       // logits tile, overwritten by the gradient in pass 2
    char *row_copy; // per slot: one capped logits row (soft-capping only)
    int64_t row_copy_bytes;
    const int32_t *targets;
    const float *w;
    int32_t ignore_index;
    s4j_ce_consts cst; // smoothing, z-loss, gradient scale, class weights' sum and max
    float cap;
    double w_seen, w_tile;   // class weights of the tiles before this one, of this one
    float *m, *zy, *log_sum; // per row
    double *s, *smooth;      // per row: sum_k exp(z_k - m), sum_k w_k (m - z_k) so far
} lce_job;

// Pass 1: cap the tile's rows and fold them into the running statistics.
static void stats_task(void *arg, int64_t task, int slot) {
    const lce_job *j = arg;
    const tile_t *t = &j->t;
    int64_t i1 = (task + 1) * ROWS_PER_TASK < t->nb ? (task + 1) * ROWS_PER_TASK : t->nb;
    for (int64_t i = task * ROWS_PER_TASK; i < i1; i++) {
        const int64_t r = t->r0 + i;
        float *row = j->z + i * t->vb;
        if (j->cap > 0.0f) j->k->row_softcap_f32(row, t->vb, j->cap);
        float mb, sb;
        j->k->row_stats(row, S4J_F32, t->vb, &mb, &sb);
        // online log-sum-exp over class blocks (m starts at -FLT_MAX, s at 0)
        const float m_old = j->m[r], m = mb > m_old ? mb : m_old;
        j->s[r] = j->s[r] * expf(m_old - m) + (double)sb * expf(mb - m);
        j->m[r] = m;
        int32_t y = j->targets[r];
        if (y != j->ignore_index && y >= t->v0 && y < t->v0 + t->vb) j->zy[r] = row[y - t->v0];
        if (j->cst.eps != 0.0) { // the same for sum_k w_k (m - z_k): the tile's relative to mb
            s4j_row_grad g = {.max = mb, .a = 0.0f, .b = 0.0f, .w = j->w ? j->w + t->v0 : NULL};
            double tile = j->k->row_finish(row, S4J_F32, t->vb, &g, NULL, 1);
            j->smooth[r] += j->w_seen * ((double)m - m_old) + tile + j->w_tile * ((double)m - mb);
        }
    }
}

// Pass 2: the tile's rows become gradient rows (the cross-entropy formula of
// softmax_ce.c, ce_row.h, with the row's max and sum from pass 1), times the
// soft-cap's derivative.
static void grad_task(void *arg, int64_t task, int slot) {
    const lce_job *j = arg;
    const tile_t *t = &j->t;
    int64_t i1 = (task + 1) * ROWS_PER_TASK < t->nb ? (task + 1) * ROWS_PER_TASK : t->nb;
    for (int64_t i = task * ROWS_PER_TASK; i < i1; i++) {
        const int64_t r = t->r0 + i;
        float *grow = j->z + i * t->vb, *zrow = grow;
        if (j->cap > 0.0f) { // keep the capped logits for the derivative below
            j->k->row_softcap_f32(grow, t->vb, j->cap);
            zrow = (float *)(j->row_copy + slot * j->row_copy_bytes);
            memcpy(zrow, grow, (size_t)t->vb * 4);
        }
        int32_t y = j->targets[r];
        if (y == j->ignore_index) {
            memset(grow, 0, (size_t)t->vb * 4);
            continue;
        }
        const float w_y = j->w ? j->w[y] : 1.0f, max = j->m[r];
        const float *w = j->w ? j->w + t->v0 : NULL;
        const s4j_ce_coef g = s4j_ce_coef_of(&j->cst, w_y, (double)max + j->log_sum[r], j->s[r]);
        const int32_t y_here = y >= t->v0 && y < t->v0 + t->vb ? y - t->v0 : -1;
        if (g.fits) {
            const float z_y = y_here >= 0 ? zrow[y_here] : 0.0f; // zrow may be grow
            s4j_row_grad rg = {.max = max, .a = (float)g.a, .b = (float)g.b, .w = w};
            j->k->row_finish(zrow, S4J_F32, t->vb, &rg, grow, 0);
            if (y_here >= 0) // the target's element in double: p - 1 cancels (v = 1: exactly 0)
                grow[y_here] = (float)(g.a * expf(z_y - max) - g.b * w_y - g.d);
        } else {
            s4j_row_grad_wide(zrow, S4J_F32, NULL, t->vb, max, &g, w, y_here, grow);
        }
        if (j->cap > 0.0f) { // d cap tanh(u / cap) / du = 1 - tanh^2 = 1 - (z / cap)^2
            const float inv = 1.0f / j->cap;
            for (int64_t c = 0; c < t->vb; c++) {
                float q = zrow[c] * inv;
                grow[c] *= 1.0f - q * q;
            }
        }
    }
}

// logits tile = X_r W_b^T + b_b
static int logits_tile(const lce_job *j, int threads, int64_t d, const float *x, const float *w,
                       const float *bias, float *z, void *gemm, int64_t gemm_bytes) {
    const tile_t *t = &j->t;
    int rc = s4j_sgemm_on(j->k, threads, 0, 1, t->nb, t->vb, d, 1.0f, x + t->r0 * d, d,
                          w + t->v0 * d, d, 0.0f, z, t->vb, gemm, gemm_bytes);
    if (rc == S4J_OK && bias) rc = s4j_add_bias(t->nb, t->vb, bias + t->v0, z);
    return rc;
}

// ---------------------------------------------------------------------------
// the row-chunked plan

static int linear_ce_chunked(const lce_layout *l, int64_t n, int64_t d, int64_t v, const float *x,
                             const float *w, const float *bias, const int32_t *targets,
                             const s4j_ce_options *opt, double divisor, float *loss,
                             float *row_loss, float *row_lse, float *dx, float *dw, float *db,
                             char *work) {
    const s4j_kernel_table *k = s4j_active_kernels();
    const int threads = l->threads;
    float *z = (float *)work;
    void *ce_work = work + l->tile_bytes;
    void *gemm = (char *)ce_work + l->ce_bytes;
    // Each chunk is reduced with the whole batch's divisor (the mean's), so
    // that its loss and gradient are its share of the batch's. The gradient
    // is formed even for the loss alone: the kernel's sums then take the same
    // path, the same bits.
    double total = 0.0; // the chunks' shares in double, in chunk order
    for (int64_t r0 = 0; r0 < n; r0 += l->nb) {
        const int64_t r = n - r0 < l->nb ? n - r0 : l->nb;
        const float *xr = x + r0 * d;
        int rc = s4j_sgemm_on(k, threads, 0, 1, r, v, d, 1.0f, xr, d, w, d, 0.0f, z, v, gemm,
                              l->gemm_bytes);
        if (rc == S4J_OK && bias) rc = s4j_add_bias(r, v, bias, z);
        double chunk_loss;
        if (rc == S4J_OK)
            rc = s4j_softmax_ce_on(k, r, v, S4J_F32, z, targets + r0, opt, &divisor, &chunk_loss,
                                   row_loss ? row_loss + r0 : NULL, row_lse ? row_lse + r0 : NULL,
                                   NULL, z, NULL, ce_work, l->ce_bytes);
        if (rc == S4J_OK && dx)
            rc = s4j_sgemm_on(k, threads, 0, 0, r, d, v, 1.0f, z, v, w, d, 0.0f, dx + r0 * d, d,
                              gemm, l->gemm_bytes);
        if (rc == S4J_OK && dw)
            rc = s4j_sgemm_on(k, threads, 1, 0, v, d, r, 1.0f, z, v, xr, d, r0 == 0 ? 0.0f : 1.0f,
                              dw, d, gemm, l->gemm_bytes);
        if (rc == S4J_OK && db) rc = s4j_column_sums(r, v, 1.0f, z, r0 == 0 ? 0.0f : 1.0f, db);
        if (rc != S4J_OK) return rc;
        total += chunk_loss;
    }
    *loss = (float)total;
    return S4J_OK;
}

// ---------------------------------------------------------------------------
// entry point

int s4j_linear_ce(int64_t n, int64_t d, int64_t v, const float *x, const float *w,
                  const float *bias, const int32_t *targets, const s4j_ce_options *opt,
                  int64_t block_v, float *loss, float *row_loss, float *row_lse, float *dx,
                  float *dw, float *db, void *work, int64_t work_bytes, int64_t *err_row) {
    if (n < 0 || !loss || !s4j_ce_options_valid(opt, 1) || (block_v < 0 && opt->softcap > 0.0f))
        return S4J_ERR_ARGUMENT;
    const float *class_weight = opt->class_weight;
    const int32_t ignore_index = opt->ignore_index, reduction = opt->reduction;
    const float label_smoothing = opt->label_smoothing, z_loss = opt->z_loss;
    const float softcap = opt->softcap, grad_scale = opt->grad_scale;
    if (n > 0 &&
        (d < 1 || v < 1 || !x || !w || !targets || (reduction == S4J_REDUCE_NONE && !row_loss)))
        return S4J_ERR_ARGUMENT;
    double divisor;
    int checked = s4j_check_targets(n, v, targets, ignore_index, class_weight, &divisor, err_row);
    if (checked != S4J_OK) return checked;
    if (n == 0) {
        *loss = reduction == S4J_REDUCE_MEAN ? NAN : 0.0f;
        return S4J_OK;
    }
    const int threads = s4j_num_threads();
    const lce_layout l = layout(n, d, v, block_v, softcap > 0.0f, threads);
    if (!work || (uintptr_t)work % 64 != 0 || work_bytes < total_bytes(&l)) return S4J_ERR_ARGUMENT;
    if (l.chunked)
        return linear_ce_chunked(&l, n, d, v, x, w, bias, targets, opt, divisor, loss, row_loss,
                                 row_lse, dx, dw, db, work);

    char *p = work;
    float *z = (float *)p;
    p += l.tile_bytes;
    lce_job j = {.k = s4j_active_kernels(),
                 .z = z,
                 .row_copy = p,
                 .row_copy_bytes = l.row_copy_bytes,
                 .targets = targets,
                 .w = class_weight,
                 .ignore_index = ignore_index,
                 .cap = softcap};
    p += threads * l.row_copy_bytes;
    j.s = (double *)p; // doubles first: 8-byte aligned for any n
    j.smooth = (double *)(p + n * 8);
    j.m = (float *)(p + n * 16);
    j.zy = (float *)(p + n * 20);
    j.log_sum = (float *)(p + n * 24);
    void *gemm = p + l.rows_bytes;
    double w_total = (double)v, w_max = 1.0;
    if (class_weight) {
        w_total = w_max = 0.0;
        for (int64_t k = 0; k < v; k++) {
            w_total += class_weight[k];
            w_max = fmax(w_max, fabs(class_weight[k]));
        }
    }
    j.cst =
        (s4j_ce_consts){.eps = label_smoothing,
                        .zc = z_loss,
                        .w_total = w_total,
                        .w_max = w_max,
                        .c = v,
                        .scale = reduction == S4J_REDUCE_MEAN ? grad_scale / divisor : grad_scale};
    for (int64_t r = 0; r < n; r++) {
        j.m[r] = -3.40282347e38f;
        j.s[r] = 0.0;
        j.zy[r] = 0.0f;
        j.smooth[r] = 0.0;
    }

    // pass 1: statistics, row blocks outer
    for (int64_t r0 = 0; r0 < n; r0 += l.nb) {
        j.w_seen = 0.0;
        for (int64_t v0 = 0; v0 < v; v0 += l.vb) {
            j.t = (tile_t){n - r0 < l.nb ? n - r0 : l.nb, v - v0 < l.vb ? v - v0 : l.vb, v0, r0, v};
            j.w_tile = (double)j.t.vb;
            if (class_weight) {
                j.w_tile = 0.0;
                for (int64_t k = v0; k < v0 + j.t.vb; k++) j.w_tile += class_weight[k];
            }
            int rc = logits_tile(&j, threads, d, x, w, bias, z, gemm, l.gemm_bytes);
            if (rc != S4J_OK) return rc;
            s4j_parallel_for((j.t.nb + ROWS_PER_TASK - 1) / ROWS_PER_TASK, threads, stats_task, &j);
            j.w_seen += j.w_tile;
        }
    }
    double total = 0.0;
    for (int64_t r = 0; r < n; r++) {
        const float log_sum = logf((float)j.s[r]), max = j.m[r];
        j.log_sum[r] = log_sum;
        if (row_lse) row_lse[r] = max + log_sum;
        const int32_t y = targets[r];
        if (y == ignore_index) {
            if (row_loss) row_loss[r] = 0.0f;
            continue;
        }
        const double li = s4j_ce_loss_of(&j.cst, class_weight ? class_weight[y] : 1.0, max, j.zy[r],
                                         log_sum, j.smooth[r]);
        if (row_loss) row_loss[r] = (float)li;
        total += li;
    }
    *loss = (float)(reduction == S4J_REDUCE_MEAN ? total / divisor : total);
    if (!dx && !dw && !db) return S4J_OK;

    // pass 2: gradients, class blocks outer so that each dW block is final
    for (int64_t v0 = 0; v0 < v; v0 += l.vb) {
        for (int64_t r0 = 0; r0 < n; r0 += l.nb) {
            j.t = (tile_t){n - r0 < l.nb ? n - r0 : l.nb, v - v0 < l.vb ? v - v0 : l.vb, v0, r0, v};
            int rc = logits_tile(&j, threads, d, x, w, bias, z, gemm, l.gemm_bytes);
            if (rc != S4J_OK) return rc;
            s4j_parallel_for((j.t.nb + ROWS_PER_TASK - 1) / ROWS_PER_TASK, threads, grad_task, &j);
            const int64_t nb = j.t.nb, vb = j.t.vb;
            if (dx && rc == S4J_OK)
                rc = s4j_sgemm_on(j.k, threads, 0, 0, nb, d, vb, 1.0f, z, vb, w + v0 * d, d,
                                  v0 == 0 ? 0.0f : 1.0f, dx + r0 * d, d, gemm, l.gemm_bytes);
            if (dw && rc == S4J_OK)
                rc = s4j_sgemm_on(j.k, threads, 1, 0, vb, d, nb, 1.0f, z, vb, x + r0 * d, d,
                                  r0 == 0 ? 0.0f : 1.0f, dw + v0 * d, d, gemm, l.gemm_bytes);
            if (db && rc == S4J_OK)
                rc = s4j_column_sums(nb, vb, 1.0f, z, r0 == 0 ? 0.0f : 1.0f, db + v0);
            if (rc != S4J_OK) return rc;
        }
    }
    return S4J_OK;
}
