/*
 * sparse.c — s4j_csr_matmul: CSR rows times a dense matrix, the forward
 * product (X W) and, on the transposed batch, the sparse update (X^T G) of
 * training on sparse features. W is D x C row-major so that each stored
 * entry of X reads one contiguous row of C floats: the per-ISA row kernel
 * (csr_row) keeps a block of C's row in registers while the entries stream
 * by, and both passes are the same kernel. s4j_csr_sgd_step fuses a whole
 * step (forward, cross-entropy, bias and the update of the used rows of W)
 * into one call that needs no transposed batch.
 */
#include "ce_options.h"
#include "internal.h"

// The checks of the contract in softmax4j.h, before anything is written: the
// first bad row, or -1.
static int64_t first_bad_row(int64_t m, int64_t k, const int64_t *row_ptr, const int32_t *col_idx,
                             const int32_t *c_rows, int64_t c_row_count) {
    if (row_ptr[0] != 0) return 0;
    const int64_t nnz = row_ptr[m];
    for (int64_t i = 0; i < m; i++) {
        const int64_t p0 = row_ptr[i], p1 = row_ptr[i + 1];
        // p1 <= nnz before the row's columns are read: a later, decreasing
        // offset would be caught only after reading beyond col_idx
        if (p1 < p0 || p1 > nnz) return i;
        int64_t prev = -1;
        for (int64_t p = p0; p < p1; p++) {
            if (col_idx[p] <= prev || col_idx[p] >= k) return i;
            prev = col_idx[p];
        }
        if (c_rows &&
            (c_rows[i] < 0 || c_rows[i] >= c_row_count || (i > 0 && c_rows[i] <= c_rows[i - 1])))
            return i;
    }
    return -1;
}

typedef struct {
    const s4j_kernel_table *kt;
    int64_t m, n, ldb, ldc, ntasks;
    const int64_t *row_ptr;
    const int32_t *col_idx, *c_rows;
    const float *values, *b, *bias;
    float alpha, beta;
    float *c;
} csr_job;

// First row of task t: tasks split the rows' work (entries plus one per row
// for its store) evenly, so a few dense rows (a frequent word's column of
// X^T) do not leave one thread all the work.
static int64_t task_start(const csr_job *j, int64_t t) {
    const int64_t total = j->row_ptr[j->m] + j->m;
    const int64_t goal = (int64_t)((double)total * (double)t / (double)j->ntasks);
    int64_t lo = 0, hi = j->m; // smallest row r with row_ptr[r] + r >= goal
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        if (j->row_ptr[mid] + mid >= goal)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void csr_task(void *arg, int64_t t, int slot) {
    const csr_job *j = arg;
    const int64_t r0 = task_start(j, t), r1 = t + 1 == j->ntasks ? j->m : task_start(j, t + 1);
    for (int64_t i = r0; i < r1; i++) {
        const int64_t p0 = j->row_ptr[i];
        float *ci = j->c + (j->c_rows ? (int64_t)j->c_rows[i] : i) * j->ldc;
        j->kt->csr_row(j->n, j->row_ptr[i + 1] - p0, j->col_idx + p0, j->values + p0, j->b, j->ldb,
                       j->alpha, j->beta, j->bias, ci);
    }
}

// Runs a job whose rows are checked: tasks of >= ~256K multiply-adds, a few
// per thread so that uneven rows even out; below that one thread: at 64K,
// waking the second thread cost more than it saved (text batches of 128 rows
// ran at 0.55x the speed of 32).
static void run_csr(csr_job *j) {
    const double work = ((double)j->row_ptr[j->m] + (double)j->m) * (double)j->n;
    const int64_t tasks = (int64_t)(work / 262144.0);
    j->ntasks = tasks < 1 ? 1 : tasks > 4 * s4j_num_threads() ? 4 * s4j_num_threads() : tasks;
    if (j->ntasks > j->m) j->ntasks = j->m;
    s4j_parallel_for(j->ntasks, INT32_MAX, csr_task, j);
}

int s4j_csr_matmul(int64_t m, int64_t n, int64_t k, const int64_t *row_ptr, const int32_t *col_idx,
                   const float *values, float alpha, const float *b, int64_t ldb, const float *bias,
                   float beta, float *c, int64_t ldc, const int32_t *c_rows, int64_t c_row_count,
                   int64_t *err_row) {
    if (m < 0 || n < 0 || k < 0 || !row_ptr || ldc < n || (k > 0 && ldb < n) ||
        (c_rows && c_row_count < 0))
        return S4J_ERR_ARGUMENT;
    if (m == 0 || n == 0) return S4J_OK;
    const int64_t nnz = row_ptr[m];
    if (!c || (nnz > 0 && (!col_idx || !values || !b))) return S4J_ERR_ARGUMENT;
    const int64_t bad = first_bad_row(m, k, row_ptr, col_idx, c_rows, c_row_count);
    if (bad >= 0) {
        if (err_row) *err_row = bad;
        return S4J_ERR_ARGUMENT;
    }
    csr_job j = {.kt = s4j_active_kernels(),
                 .m = m,
                 .n = n,
                 .ldb = ldb,
                 .ldc = ldc,
                 .row_ptr = row_ptr,
                 .col_idx = col_idx,
                 .c_rows = c_rows,
                 .values = values,
                 .b = b,
                 .bias = bias,
                 .alpha = alpha,
                 .beta = beta,
                 .c = c};
    run_csr(&j);
    return S4J_OK;
}

typedef struct {
    const s4j_kernel_table *kt;
    int64_t m, c, ldv, slice;
    const int64_t *row_ptr;
    const int32_t *col_idx;
    const float *values, *g;
    float alpha;
    float *v;
} scatter_job;

// Columns [t slice, (t + 1) slice) of every row of V the batch uses, entry by
// entry in row order: slices are disjoint, so threads need no locks.
static void scatter_task(void *arg, int64_t t, int slot) {
    const scatter_job *j = arg;
    const int64_t j0 = t * j->slice, w = j->c - j0 < j->slice ? j->c - j0 : j->slice;
    const int32_t row0 = 0;
    for (int64_t i = 0; i < j->m; i++) {
        const float *gi = j->g + i * j->c + j0;
        for (int64_t p = j->row_ptr[i]; p < j->row_ptr[i + 1]; p++) {
            // V[col, :] += (alpha value) G[i, :]: the row kernel with one entry
            const float a = j->alpha * j->values[p];
            j->kt->csr_row(w, 1, &row0, &a, gi, 0, 1.0f, 1.0f, NULL,
                           j->v + (int64_t)j->col_idx[p] * j->ldv + j0);
        }
    }
}

int s4j_csr_sgd_step(int64_t m, int64_t c, int64_t k, const int64_t *row_ptr,
                     const int32_t *col_idx, const float *values, const int32_t *targets,
                     const s4j_ce_options *opt, float scale, float alpha, float bias_lr, float *v,
                     int64_t ldv, float *bias, float *logits, float *loss, int32_t *row_argmax,
                     int64_t *err_row) {
    if (m < 0 || c < 1 || k < 0 || !row_ptr || !loss || !s4j_ce_options_valid(opt, 0) ||
        opt->reduction == S4J_REDUCE_NONE || ldv < c)
        return S4J_ERR_ARGUMENT;
    const int64_t nnz = row_ptr[m];
    if (m > 0 && (!targets || !logits || (nnz > 0 && (!col_idx || !values || !v))))
        return S4J_ERR_ARGUMENT;
    // the batch's rules and its targets before anything is written
    const int64_t bad = first_bad_row(m, k, row_ptr, col_idx, NULL, 0);
    if (bad >= 0) {
        if (err_row) *err_row = bad;
        return S4J_ERR_ARGUMENT;
    }
    double divisor;
    int rc =
        s4j_check_targets(m, c, targets, opt->ignore_index, opt->class_weight, &divisor, err_row);
    if (rc != S4J_OK) return rc;
    const s4j_kernel_table *kt = s4j_active_kernels();
    if (m > 0) {
        csr_job f = {.kt = kt,
                     .m = m,
                     .n = c,
                     .ldb = ldv,
                     .ldc = c,
                     .row_ptr = row_ptr,
                     .col_idx = col_idx,
                     .values = values,
                     .b = v,
                     .bias = bias,
                     .alpha = scale,
                     .c = logits};
        run_csr(&f);
    }
    double total;
    rc = s4j_softmax_ce_on(kt, m, c, S4J_F32, logits, targets, opt, NULL, &total, NULL, NULL,
                           row_argmax, logits, err_row, NULL, 0);
    if (rc != S4J_OK) return rc;
    *loss = (float)total;
    if (m == 0) return S4J_OK;
    if (bias) s4j_column_sums(m, c, -bias_lr, logits, 1.0f, bias);
    // Slices of >= ~256K multiply-adds (as the forward's tasks), whole blocks
    // of 64 columns (the row kernel's register block).
    const double work = (double)nnz * (double)c;
    int64_t tasks = (int64_t)(work / 262144.0);
    if (tasks > s4j_num_threads()) tasks = s4j_num_threads();
    if (tasks > (c + 63) / 64) tasks = (c + 63) / 64;
    if (tasks < 1) tasks = 1;
    const int64_t slice = ((c + tasks - 1) / tasks + 63) / 64 * 64;
    scatter_job u = {.kt = kt,
                     .m = m,
                     .c = c,
                     .ldv = ldv,
                     .slice = slice,
                     .row_ptr = row_ptr,
                     .col_idx = col_idx,
                     .values = values,
                     .g = logits,
                     .alpha = alpha,
                     .v = v};
    s4j_parallel_for((c + slice - 1) / slice, INT32_MAX, scatter_task, &u);
    return S4J_OK;
}
