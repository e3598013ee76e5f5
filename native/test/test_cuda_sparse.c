/*
 * test_cuda_sparse.c — s4j_cuda_csr_matmul against a double-precision loop
 * (as test_sparse.c does for the CPU kernel): random CSR shapes (empty,
 * sparse and dense rows, widths around the warp and the 128-thread block),
 * alpha/beta/bias, a scatter into rows of a larger C, NaN in C with
 * beta = 0 and in B's row padding, more rows than the grid has blocks;
 * everything of C that is no output (rows not scattered to, row padding, a
 * guard after C) must keep its sentinel, and a launch repeated gives the
 * same bits. The size and pointer errors come first: they are caught before
 * any CUDA call, so they need no device. Without a GPU the rest is skipped
 * (exit 77). Then s4j_cuda_csr_sgd_step against the CPU's s4j_csr_sgd_step
 * (which test_sparse.c checks against a double step): loss, argmax, bias and
 * weights, untouched weight rows bit for bit. S4J_TEST_SEED=<n> reproduces a
 * run; S4J_TEST_SMALL=1 keeps every path with smaller shapes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_cuda_util.h"

#define SENTINEL 1234.5f // what is no output of C keeps it
#define GUARD 16         // floats after C

static uint64_t seed;
static void *stream; // every other call runs on it, the rest on the default stream

typedef struct {
    int64_t m, k, nnz;
    int64_t *row_ptr;
    int32_t *col;
    float *val;
} csr;

// A random m x k CSR matrix: each row empty, sparse or (now and then) dense;
// sparse_only: at most 2 entries a row (for a huge m).
static csr random_csr(int64_t m, int64_t k, int sparse_only) {
    const int64_t cap = sparse_only ? 2 * m : m * k;
    csr a = {m, k, 0, malloc(sizeof(int64_t) * (size_t)(m + 1)), NULL, NULL};
    a.col = malloc(sizeof(int32_t) * (size_t)(cap + 1));
    a.val = malloc(sizeof(float) * (size_t)(cap + 1));
    a.row_ptr[0] = 0;
    for (int64_t i = 0; i < m; i++) {
        if (sparse_only) {
            const int64_t e = (int64_t)(rnd() % 3), j0 = (int64_t)(rnd() % (uint64_t)k);
            for (int64_t q = 0; q < e && j0 + q < k; q++) {
                a.col[a.nnz] = (int32_t)(j0 + q);
                a.val[a.nnz++] = rnd_sym();
            }
        } else {
            const int kind = (int)(rnd() % 8);
            const double density = kind == 0 ? 0.0 : kind == 1 ? 1.0 : rnd_unit() * 0.3;
            for (int64_t j = 0; j < k; j++)
                if (rnd_unit() < density) {
                    a.col[a.nnz] = (int32_t)j;
                    a.val[a.nnz++] = rnd_sym();
                }
        }
        a.row_ptr[i + 1] = a.nnz;
    }
    return a;
}

static void one(int64_t m, int64_t n, int64_t k, float alpha, float beta, int with_bias,
                int scatter, int sparse_only) {
    csr a = random_csr(m, k, sparse_only);
    const int64_t ldb = n + (int64_t)(rnd() % 3), ldc = n + (int64_t)(rnd() % 3);
    // scatter: C has more rows than A, A's rows go to an increasing subset
    const int64_t crows = scatter ? m + (int64_t)(rnd() % 5) : m;
    int32_t *c_rows = malloc(sizeof(int32_t) * (size_t)(m + 1));
    char *is_out = calloc((size_t)(crows + 1), 1);
    for (int64_t i = 0, next = 0; i < m; i++) {
        while (scatter && (crows - next) > (m - i) && rnd() % 2) next++;
        c_rows[i] = (int32_t)next++;
        is_out[c_rows[i]] = 1;
    }
    float *b = malloc(sizeof(float) * (size_t)(k * ldb + 1));
    float *bias = malloc(sizeof(float) * (size_t)(n + 1));
    for (int64_t i = 0; i < k * ldb; i++) b[i] = i % ldb < n ? rnd_sym() : NAN; // padding unread
    for (int64_t j = 0; j < n; j++) bias[j] = rnd_sym();
    // C's image: the output rows (NaN when beta == 0: not to be read), the
    // rest (other rows, row padding, the guard) sentinels
    const int64_t n_img = crows * ldc + GUARD;
    float *img = malloc(sizeof(float) * (size_t)n_img),
          *got = malloc(sizeof(float) * (size_t)n_img);
    for (int64_t i = 0; i < n_img; i++) {
        const int64_t row = i / ldc;
        img[i] =
            row < crows && is_out[row] && i % ldc < n ? (beta == 0.0f ? NAN : rnd_sym()) : SENTINEL;
    }

    // with k = 0 no entry can exist: col_idx, values and B are not needed
    int64_t *dptr = dev(a.row_ptr, 8 * (m + 1));
    int32_t *dcol = k ? dev(a.col, 4 * (a.nnz + 1)) : NULL, *drows = dev(c_rows, 4 * (m + 1));
    float *dval = k ? dev(a.val, 4 * (a.nnz + 1)) : NULL, *db = k ? dev(b, 4 * k * ldb) : NULL;
    float *dbias = dev(bias, 4 * (n + 1)), *dc = dev(img, 4 * n_img);
    void *st = rnd() % 2 ? stream : NULL;
    int rc =
        s4j_cuda_csr_matmul(m, n, k, dptr, dcol, dval, alpha, db, ldb, with_bias ? dbias : NULL,
                            beta, dc, ldc, scatter ? drows : NULL, crows, st);
    if (rc == S4J_OK) rc = s4j_cuda_stream_synchronize(st); // errors of the execution
    CHECK(rc == S4J_OK, "m=%ld n=%ld k=%ld: status %d (%s)", (long)m, (long)n, (long)k, rc,
          s4j_cuda_last_error());
    s4j_cuda_memcpy(got, dc, 4 * n_img, 1, NULL);

    int bad = 0;
    for (int64_t i = 0; i < m; i++) {
        const int64_t r = c_rows[i], e = a.row_ptr[i + 1] - a.row_ptr[i];
        for (int64_t j = 0; j < n; j++) {
            double acc = 0, mag = 0;
            for (int64_t p = a.row_ptr[i]; p < a.row_ptr[i + 1]; p++) {
                const double x = (double)a.val[p] * b[(int64_t)a.col[p] * ldb + j];
                acc += x;
                mag += fabs(x);
            }
            const double old = beta == 0.0f ? 0.0 : img[r * ldc + j];
            const double want = alpha * acc + beta * old + (with_bias ? bias[j] : 0.0);
            // float sums in entry order: |err| <= (e + 2) eps (sum|v b| + the rest)
            const double tol = (double)(e + 2) * 1.2e-7 * (fabs(alpha) * mag + fabs(old) + 1.0);
            const float g = got[r * ldc + j];
            if (!(fabs(g - want) <= tol) && bad++ < 3)
                CHECK(0,
                      "seed %llu m=%ld n=%ld k=%ld ldb=%ld ldc=%ld alpha=%g beta=%g bias=%d "
                      "scatter=%d: C[%ld,%ld] = %.9g, want %.9g (tolerance %.3g)",
                      (unsigned long long)seed, (long)m, (long)n, (long)k, (long)ldb, (long)ldc,
                      alpha, beta, with_bias, scatter, (long)r, (long)j, g, want, tol);
        }
    }
    for (int64_t i = 0; i < n_img; i++)
        if (img[i] == SENTINEL && got[i] != SENTINEL && bad++ < 3)
            CHECK(0, "seed %llu m=%ld n=%ld scatter=%d: C image [%ld] (no output) = %g",
                  (unsigned long long)seed, (long)m, (long)n, scatter, (long)i, got[i]);
    if (bad > 3) fprintf(stderr, "  ... %d wrong elements in all\n", bad);

    // deterministic: the same launch (beta == 0: C only written) gives the same bits
    if (beta == 0.0f && rc == S4J_OK) {
        float *again = malloc(sizeof(float) * (size_t)n_img);
        s4j_cuda_csr_matmul(m, n, k, dptr, dcol, dval, alpha, db, ldb, with_bias ? dbias : NULL,
                            beta, dc, ldc, scatter ? drows : NULL, crows, NULL);
        s4j_cuda_memcpy(again, dc, 4 * n_img, 1, NULL);
        CHECK(memcmp(again, got, 4 * (size_t)n_img) == 0, "seed %llu m=%ld n=%ld: a rerun differs",
              (unsigned long long)seed, (long)m, (long)n);
        free(again);
    }
    s4j_cuda_free(dptr);
    s4j_cuda_free(dcol);
    s4j_cuda_free(drows);
    s4j_cuda_free(dval);
    s4j_cuda_free(db);
    s4j_cuda_free(dbias);
    s4j_cuda_free(dc);
    free(a.row_ptr);
    free(a.col);
    free(a.val);
    free(c_rows);
    free(is_out);
    free(b);
    free(bias);
    free(img);
    free(got);
}

static void shapes(int small) {
    static const int64_t widths[] = {1,  2,  7,  8,  9,  10,  15,  16,  17,  31,
                                     32, 33, 58, 63, 64, 100, 127, 128, 129, 300};
    for (int t = 0; t < (small ? 60 : 300); t++) {
        const int64_t m = (int64_t)(rnd() % 40), k = 1 + (int64_t)(rnd() % 60);
        const int64_t n = widths[rnd() % (sizeof widths / sizeof *widths)];
        const float alpha = rnd() % 3 ? 1.0f : rnd_sym() * 3;
        const float beta = rnd() % 3 == 0 ? 0.0f : rnd() % 2 ? 1.0f : rnd_sym();
        one(m, n, k, alpha, beta, (int)(rnd() % 2), (int)(rnd() % 2), 0);
    }
    // the two products of a step on sparse features: X W (few classes) and
    // W -= lr X^T G scattered into W's rows
    one(small ? 200 : 700, 58, small ? 1000 : 3000, 1.0f, 0.0f, 1, 0, 0);
    one(small ? 300 : 900, 129, small ? 200 : 500, -0.1f, 1.0f, 0, 1, 0);
    // more rows than one launch has blocks (65535 * 16 on the GPU)
    if (!small) one(1100000, 3, 50, 1.0f, 0.5f, 1, 1, 1);
}

// One training step on the GPU against the same step on the CPU.
static void one_step(int64_t m, int64_t c, int64_t k, int reduction, int with_bias) {
    csr a = random_csr(m, k, 0);
    const int64_t ldv = c + (int64_t)(rnd() % 3);
    const float scale = 0.5f + (float)rnd_unit(), lr = 0.1f + (float)rnd_unit();
    float *v = malloc(sizeof(float) * (size_t)(k * ldv + 1)),
          *v_cpu = malloc(sizeof(float) * (size_t)(k * ldv + 1)),
          *v_gpu = malloc(sizeof(float) * (size_t)(k * ldv + 1));
    float bias[512], bias_cpu[512], bias_gpu[512], loss_cpu = NAN, loss_gpu = NAN;
    int32_t *y = malloc(sizeof(int32_t) * (size_t)(m + 1)),
            *am_cpu = malloc(sizeof(int32_t) * (size_t)(m + 1)),
            *am_gpu = malloc(sizeof(int32_t) * (size_t)(m + 1));
    float *z = malloc(sizeof(float) * (size_t)(m * c + 1));
    for (int64_t i = 0; i < k * ldv; i++) v[i] = v_cpu[i] = 2 * rnd_sym();
    for (int64_t j = 0; j < c; j++) bias[j] = bias_cpu[j] = rnd_sym();
    for (int64_t i = 0; i < m; i++) y[i] = rnd() % 9 == 0 ? -100 : (int32_t)(rnd() % (uint64_t)c);
    const s4j_ce_options *opt = CE_OPTS(NULL, -100, reduction, 0, 0, 1, 0);
    int rc = s4j_csr_sgd_step(m, c, k, a.row_ptr, a.col, a.val, y, opt, scale, -lr / scale, lr,
                              v_cpu, ldv, with_bias ? bias_cpu : NULL, z, &loss_cpu, am_cpu, NULL);
    CHECK(rc == S4J_OK, "CPU step: status %d", rc);

    int64_t *dptr = dev(a.row_ptr, 8 * (m + 1));
    int32_t *dcol = dev(a.col, 4 * (a.nnz + 1)), *dy = dev(y, 4 * (m + 1)), *dam = dev(NULL, 4 * m);
    float *dval = dev(a.val, 4 * (a.nnz + 1)), *dv = dev(v, 4 * k * ldv), *dbias = dev(bias, 4 * c);
    float *dz = dev(NULL, 4 * m * c), *dloss = dev(NULL, 4);
    const int64_t work_bytes = s4j_cuda_softmax_ce_workspace_size(m);
    void *work = dev(NULL, work_bytes > 0 ? work_bytes : 1);
    rc = s4j_cuda_csr_sgd_step(m, c, k, dptr, dcol, dval, dy, opt, scale, -lr / scale, lr, dv, ldv,
                               with_bias ? dbias : NULL, dz, dloss, dam, work, work_bytes, stream);
    if (rc == S4J_OK) rc = s4j_cuda_stream_synchronize(stream);
    CHECK(rc == S4J_OK, "m=%ld c=%ld k=%ld: step status %d (%s)", (long)m, (long)c, (long)k, rc,
          s4j_cuda_last_error());
    s4j_cuda_memcpy(v_gpu, dv, 4 * k * ldv, 1, NULL);
    s4j_cuda_memcpy(bias_gpu, dbias, 4 * c, 1, NULL);
    s4j_cuda_memcpy(&loss_gpu, dloss, 4, 1, NULL);
    s4j_cuda_memcpy(am_gpu, dam, 4 * m, 1, NULL);

    int bad = 0;
    CHECK(fabs(loss_gpu - loss_cpu) <= 1e-5 * (1 + fabs(loss_cpu)),
          "seed %llu m=%ld c=%ld: loss %.8g, CPU %.8g", (unsigned long long)seed, (long)m, (long)c,
          loss_gpu, loss_cpu);
    for (int64_t i = 0; i < m && bad < 3; i++) {
        // the argmax of the logits in double (ties within float rounding either way)
        double best = -INFINITY, at_gpu = 0;
        for (int64_t j = 0; j < c; j++) {
            double acc = 0;
            for (int64_t p = a.row_ptr[i]; p < a.row_ptr[i + 1]; p++)
                acc += (double)a.val[p] * v[(int64_t)a.col[p] * ldv + j];
            const double zj = scale * acc + (with_bias ? bias[j] : 0.0);
            if (zj > best) best = zj;
            if (j == am_gpu[i]) at_gpu = zj;
        }
        if (!(am_gpu[i] >= 0 && am_gpu[i] < c && at_gpu >= best - 1e-5 * (1 + fabs(best))) &&
            bad++ < 3)
            CHECK(0, "seed %llu m=%ld c=%ld: argmax of row %ld is %d", (unsigned long long)seed,
                  (long)m, (long)c, (long)i, am_gpu[i]);
    }
    for (int64_t j = 0; j < c && with_bias && bad < 3; j++)
        if (!(fabs(bias_gpu[j] - bias_cpu[j]) <= 1e-5 * (1 + fabs(bias[j]))) && bad++ < 3)
            CHECK(0, "seed %llu m=%ld c=%ld: bias[%ld] %.8g, CPU %.8g", (unsigned long long)seed,
                  (long)m, (long)c, (long)j, bias_gpu[j], bias_cpu[j]);
    for (int64_t i = 0; i < k * ldv && bad < 3; i++) {
        // rows the batch does not use (and the row padding) keep their bits
        const int ok = v_cpu[i] == v[i] ? v_gpu[i] == v[i]
                                        : fabs(v_gpu[i] - v_cpu[i]) <= 2e-5 * (1 + fabs(v[i]));
        if (!ok && bad++ < 3)
            CHECK(0, "seed %llu m=%ld c=%ld k=%ld: V[%ld] %.8g, CPU %.8g (was %.8g)",
                  (unsigned long long)seed, (long)m, (long)c, (long)k, (long)i, v_gpu[i], v_cpu[i],
                  v[i]);
    }
    s4j_cuda_free(dptr);
    s4j_cuda_free(dcol);
    s4j_cuda_free(dy);
    s4j_cuda_free(dam);
    s4j_cuda_free(dval);
    s4j_cuda_free(dv);
    s4j_cuda_free(dbias);
    s4j_cuda_free(dz);
    s4j_cuda_free(dloss);
    s4j_cuda_free(work);
    free(a.row_ptr);
    free(a.col);
    free(a.val);
    free(v);
    free(v_cpu);
    free(v_gpu);
    free(y);
    free(am_cpu);
    free(am_gpu);
    free(z);
}

static void steps(int small) {
    static const int64_t widths[] = {1, 2, 17, 32, 58, 100, 129, 300};
    for (int t = 0; t < (small ? 30 : 150); t++) {
        const int64_t m = 1 + (int64_t)(rnd() % 40), k = 1 + (int64_t)(rnd() % 60);
        const int64_t c = widths[rnd() % (sizeof widths / sizeof *widths)];
        one_step(m, c, k, rnd() % 3 ? S4J_REDUCE_MEAN : S4J_REDUCE_SUM, (int)(rnd() % 4 != 0));
    }
}

// Caught before any CUDA call (the pointers are host memory, never used).
static void errors(void) {
    int64_t ptr[4] = {0, 2, 3, 5};
    int32_t col[5] = {0, 3, 1, 2, 4}, rows[3] = {0, 2, 4};
    float val[5] = {1, 2, 3, 4, 5}, b[10] = {0}, c[8] = {0};
#define CSR(m, n, k, ptr, col, val, b, ldb, c, ldc, rows, nrows) \
    s4j_cuda_csr_matmul(m, n, k, ptr, col, val, 1.0f, b, ldb, NULL, 0.0f, c, ldc, rows, nrows, NULL)
    CHECK(CSR(-1, 2, 5, ptr, col, val, b, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "m < 0");
    CHECK(CSR(3, -1, 5, ptr, col, val, b, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "n < 0");
    CHECK(CSR(3, 2, -1, ptr, col, val, b, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "k < 0");
    CHECK(CSR(3, 2, 5, ptr, col, val, b, 1, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "ldb < n");
    CHECK(CSR(3, 2, 5, ptr, col, val, b, 2, c, 1, NULL, 0) == S4J_ERR_ARGUMENT, "ldc < n");
    CHECK(CSR(3, 2, 5, NULL, col, val, b, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "row_ptr NULL");
    CHECK(CSR(3, 2, 5, ptr, NULL, val, b, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "col_idx NULL");
    CHECK(CSR(3, 2, 5, ptr, col, NULL, b, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "values NULL");
    CHECK(CSR(3, 2, 5, ptr, col, val, NULL, 2, c, 2, NULL, 0) == S4J_ERR_ARGUMENT, "b NULL");
    CHECK(CSR(3, 2, 5, ptr, col, val, b, 2, NULL, 2, NULL, 0) == S4J_ERR_ARGUMENT, "c NULL");
    CHECK(CSR(3, 2, 5, ptr, col, val, b, 2, c, 2, rows, -1) == S4J_ERR_ARGUMENT, "c_row_count < 0");
    CHECK(CSR(0, 2, 5, ptr, NULL, NULL, NULL, 2, NULL, 2, NULL, 0) == S4J_OK,
          "m = 0 needs no arrays");
    CHECK(CSR(3, 0, 5, ptr, NULL, NULL, NULL, 0, NULL, 0, NULL, 0) == S4J_OK,
          "n = 0 needs no arrays");
#undef CSR
    int32_t y[3] = {0, 1, 0};
    float loss;
    const s4j_ce_options *none = CE_OPTS(NULL, -100, S4J_REDUCE_NONE, 0, 0, 1, 0);
    const s4j_ce_options *mean = CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0, 0, 1, 0);
    CHECK(s4j_cuda_csr_sgd_step(3, 2, 5, ptr, col, val, y, none, 1, -1, 1, b, 2, NULL, c, &loss,
                                NULL, NULL, 0, NULL) == S4J_ERR_ARGUMENT,
          "step: reduction NONE");
    CHECK(s4j_cuda_csr_sgd_step(3, 2, 5, ptr, col, val, y, mean, 1, -1, 1, b, 1, NULL, c, &loss,
                                NULL, NULL, 0, NULL) == S4J_ERR_ARGUMENT,
          "step: ldv < c");
    CHECK(s4j_cuda_csr_sgd_step(3, 2, 5, ptr, col, val, y, mean, 1, -1, 1, NULL, 2, NULL, c, &loss,
                                NULL, NULL, 0, NULL) == S4J_ERR_ARGUMENT,
          "step: v NULL");
    CHECK(s4j_cuda_csr_sgd_step(3, 2, 5, ptr, col, val, y,
                                CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0, 0, 1, 2), 1, -1, 1, b, 2,
                                NULL, c, &loss, NULL, NULL, 0, NULL) == S4J_ERR_ARGUMENT,
          "step: soft-capping is not part of it");
}

int main(void) {
    errors(); // the argument checks need no device
    int small;
    if (!cuda_test_start("CUDA sparse tests", &seed, &small)) return cuda_test_skip();
    CHECK(s4j_cuda_stream_create(&stream) == S4J_OK, "stream: %s", s4j_cuda_last_error());
    shapes(small);
    // k = 0: no entries, B unused: C = beta C + bias
    one(5, 9, 0, 1.0f, 0.5f, 1, 1, 0);
    steps(small);
    CHECK(s4j_cuda_stream_destroy(stream) == S4J_OK, "stream destroy: %s", s4j_cuda_last_error());
    return cuda_test_end();
}
