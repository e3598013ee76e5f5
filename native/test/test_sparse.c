/*
 * test_sparse.c — s4j_csr_matmul against a double-precision loop: random
 * CSR shapes (empty rows, dense rows, widths around the vector blocks),
 * alpha/beta/bias, a scatter into rows of a larger C, NaN in C with
 * beta = 0, every ISA and several thread counts; then each broken rule of
 * the contract, with nothing written. The same for s4j_csr_sgd_step, the
 * fused training step, against a double-precision step (forward, softmax
 * cross-entropy, bias and weight-row updates). S4J_TEST_SEED=<n> reproduces
 * a run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_util.h"

typedef struct {
    int64_t m, k, nnz;
    int64_t *row_ptr;
    int32_t *col;
    float *val;
} csr;

// A random m x k CSR matrix: each row empty, sparse or (now and then) dense.
static csr random_csr(int64_t m, int64_t k) {
    csr a = {m, k, 0, malloc(sizeof(int64_t) * (size_t)(m + 1)), NULL, NULL};
    a.col = malloc(sizeof(int32_t) * (size_t)(m * k + 1));
    a.val = malloc(sizeof(float) * (size_t)(m * k + 1));
    a.row_ptr[0] = 0;
    for (int64_t i = 0; i < m; i++) {
        const int kind = (int)(rnd() % 8);
        const double density = kind == 0 ? 0.0 : kind == 1 ? 1.0 : rnd_unit() * 0.3;
        for (int64_t j = 0; j < k; j++)
            if (rnd_unit() < density) {
                a.col[a.nnz] = (int32_t)j;
                a.val[a.nnz++] = rnd_sym();
            }
        a.row_ptr[i + 1] = a.nnz;
    }
    return a;
}

static void free_csr(csr *a) {
    free(a->row_ptr);
    free(a->col);
    free(a->val);
}

static void one(int64_t m, int64_t n, int64_t k, float alpha, float beta, int with_bias,
                int scatter) {
    csr a = random_csr(m, k);
    const int64_t ldb = n + (int64_t)(rnd() % 3), ldc = n + (int64_t)(rnd() % 3);
    // scatter: C has more rows than A, A's rows go to an increasing subset
    const int64_t crows = scatter ? m + (int64_t)(rnd() % 5) : m;
    int32_t *c_rows = NULL;
    if (scatter) {
        c_rows = malloc(sizeof(int32_t) * (size_t)(m + 1));
        int64_t next = 0;
        for (int64_t i = 0; i < m; i++) {
            while ((crows - next) > (m - i) && rnd() % 2) next++;
            c_rows[i] = (int32_t)next++;
        }
    }
    float *b = malloc(sizeof(float) * (size_t)(k * ldb + 1));
    float *bias = malloc(sizeof(float) * (size_t)(n + 1));
    float *c = malloc(sizeof(float) * (size_t)(crows * ldc + 1));
    float *c0 = malloc(sizeof(float) * (size_t)(crows * ldc + 1));
    for (int64_t i = 0; i < k * ldb; i++) b[i] = rnd_sym();
    for (int64_t j = 0; j < n; j++) bias[j] = rnd_sym();
    for (int64_t i = 0; i < crows * ldc; i++) c0[i] = c[i] = beta == 0.0f ? NAN : rnd_sym();
    int64_t err = -7;
    int rc = s4j_csr_matmul(m, n, k, a.row_ptr, a.col, a.val, alpha, b, ldb,
                            with_bias ? bias : NULL, beta, c, ldc, c_rows, crows, &err);
    CHECK(rc == S4J_OK && err == -7, "status %d err_row %ld", rc, (long)err);
    int bad = 0;
    char *written = calloc((size_t)(crows * ldc + 1), 1);
    for (int64_t i = 0; i < m && bad < 3; i++) {
        const int64_t r = c_rows ? c_rows[i] : i;
        for (int64_t j = 0; j < n && bad < 3; j++) {
            double acc = 0, mag = 0;
            for (int64_t p = a.row_ptr[i]; p < a.row_ptr[i + 1]; p++) {
                acc += (double)a.val[p] * b[(int64_t)a.col[p] * ldb + j];
                mag += fabs((double)a.val[p] * b[(int64_t)a.col[p] * ldb + j]);
            }
            const double old = beta == 0.0f ? 0.0 : c0[r * ldc + j];
            const double want =
                alpha * acc + (beta == 0.0f ? 0.0 : beta * old) + (with_bias ? bias[j] : 0.0);
            // float sums in entry order: |err| <= nnz eps sum|v b| (+ rounding of the rest)
            const double nnz = (double)(a.row_ptr[i + 1] - a.row_ptr[i]);
            const double tol = (nnz + 2) * 1.2e-7 * (fabs(alpha) * mag + fabs(old) + 1.0);
            written[r * ldc + j] = 1;
            if (!(fabs(c[r * ldc + j] - want) <= tol)) {
                bad++;
                CHECK(0,
                      "isa=%d m=%ld n=%ld k=%ld alpha=%g beta=%g bias=%d scatter=%d: "
                      "C[%ld,%ld]=%.8g want %.8g",
                      s4j_isa(), (long)m, (long)n, (long)k, alpha, beta, with_bias, scatter,
                      (long)r, (long)j, c[r * ldc + j], want);
            }
        }
    }
    // rows not scattered to and the padding between rows are untouched
    for (int64_t i = 0; i < crows * ldc && bad < 3; i++)
        if (!written[i] && !(c[i] == c0[i] || (isnan(c[i]) && isnan(c0[i])))) {
            bad++;
            CHECK(0, "isa=%d m=%ld n=%ld: C[%ld] (not an output) changed", s4j_isa(), (long)m,
                  (long)n, (long)i);
        }
    free(written);
    free(b);
    free(bias);
    free(c);
    free(c0);
    free(c_rows);
    free_csr(&a);
}

static void random_shapes(int count) {
    static const int64_t widths[] = {1,  2,  7,  8,  9,  10, 15, 16,  17,
                                     31, 32, 33, 58, 63, 64, 65, 100, 129};
    for (int t = 0; t < count; t++) {
        const int64_t m = (int64_t)(rnd() % 40), k = 1 + (int64_t)(rnd() % 60);
        const int64_t n = widths[rnd() % (sizeof widths / sizeof *widths)];
        const float alpha = rnd() % 3 ? 1.0f : rnd_sym() * 3;
        const float beta = rnd() % 3 == 0 ? 0.0f : rnd() % 2 ? 1.0f : rnd_sym();
        one(m, n, k, alpha, beta, (int)(rnd() % 2), (int)(rnd() % 2));
    }
    // enough work for several tasks, so that the threads split the rows
    one(700, 58, 3000, 1.0f, 0.0f, 1, 0);
    one(900, 129, 500, -0.1f, 1.0f, 0, 1);
}

// Each rule of the contract, broken once: S4J_ERR_ARGUMENT, the row named,
// nothing written.
static void errors(void) {
    int64_t ptr[4] = {0, 2, 3, 5};
    int32_t col[5] = {0, 3, 1, 2, 4};
    float val[5] = {1, 2, 3, 4, 5}, b[5 * 2] = {0}, c[4 * 2];
    int32_t rows[3] = {0, 2, 4};
    int64_t err;
#define EXPECT_BAD(row, ...)                                                                   \
    do {                                                                                       \
        for (int q = 0; q < 8; q++) c[q] = 42.0f;                                              \
        err = -1;                                                                              \
        int rc_ = s4j_csr_matmul(__VA_ARGS__);                                                 \
        int untouched_ = 1;                                                                    \
        for (int q = 0; q < 8; q++) untouched_ &= c[q] == 42.0f;                               \
        CHECK(rc_ == S4J_ERR_ARGUMENT && err == (row) && untouched_,                           \
              "line %d: status %d err_row %ld (want row %ld), C %s", __LINE__, rc_, (long)err, \
              (long)(row), untouched_ ? "untouched" : "written");                              \
    } while (0)
    CHECK(s4j_csr_matmul(3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err) == S4J_OK,
          "valid");
    col[4] = 5; // beyond k
    EXPECT_BAD(2, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    col[4] = -1; // negative
    EXPECT_BAD(2, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    col[4] = 4;
    col[1] = 0; // repeated within row 0
    EXPECT_BAD(0, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    col[1] = 3;
    col[3] = 4, col[4] = 2; // unsorted in row 2
    EXPECT_BAD(2, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    col[3] = 2, col[4] = 4;
    ptr[2] = 1; // row 1 ends before it starts... row_ptr[2] < row_ptr[1]
    ptr[1] = 2;
    ptr[2] = 1;
    EXPECT_BAD(1, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    ptr[2] = 3;
    ptr[1] = 7; // beyond the entries, decreasing only at the next row: caught before reading
    EXPECT_BAD(0, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    ptr[1] = 2;
    ptr[0] = 1; // does not start at 0
    EXPECT_BAD(0, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err);
    ptr[0] = 0;
    rows[2] = 2; // scatter rows not increasing
    EXPECT_BAD(2, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, rows, 3, &err);
    rows[2] = 3; // beyond C's rows
    EXPECT_BAD(2, 3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, rows, 3, &err);
    CHECK(s4j_csr_matmul(3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, rows, 4, &err) == S4J_OK,
          "valid scatter");
    CHECK(s4j_csr_matmul(-1, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err) ==
              S4J_ERR_ARGUMENT,
          "m < 0");
    CHECK(s4j_csr_matmul(3, 2, 5, ptr, col, val, 1, b, 1, NULL, 0, c, 2, NULL, 0, &err) ==
              S4J_ERR_ARGUMENT,
          "ldb < n");
    CHECK(s4j_csr_matmul(3, 2, 5, ptr, col, val, 1, b, 2, NULL, 0, c, 1, NULL, 0, &err) ==
              S4J_ERR_ARGUMENT,
          "ldc < n");
    CHECK(s4j_csr_matmul(3, 2, 5, NULL, col, val, 1, b, 2, NULL, 0, c, 2, NULL, 0, &err) ==
              S4J_ERR_ARGUMENT,
          "row_ptr NULL");
    CHECK(s4j_csr_matmul(0, 2, 5, ptr, NULL, NULL, 1, NULL, 2, NULL, 0, NULL, 2, NULL, 0, &err) ==
              S4J_OK,
          "m = 0 needs no arrays");
#undef EXPECT_BAD
}

// One fused step against the same step in double: k x c weights V (row
// stride ldv), m rows of targets (some ignored), MEAN or SUM.
static void one_step(int64_t m, int64_t c, int64_t k, int reduction, int with_bias) {
    csr a = random_csr(m, k);
    const int64_t ldv = c + (int64_t)(rnd() % 3);
    const float scale = rnd() % 2 ? 1.0f : 0.5f + (float)rnd_unit(), lr = 0.1f + (float)rnd_unit();
    const float alpha = -lr / scale, bias_lr = with_bias ? lr : 0.0f;
    float *v = malloc(sizeof(float) * (size_t)(k * ldv + 1)),
          *v0 = malloc(sizeof(float) * (size_t)(k * ldv + 1));
    float *bias = malloc(sizeof(float) * (size_t)(c + 1)),
          *bias0 = malloc(sizeof(float) * (size_t)(c + 1));
    float *z = malloc(sizeof(float) * (size_t)(m * c + 1));
    int32_t *y = malloc(sizeof(int32_t) * (size_t)(m + 1)),
            *argmax = malloc(sizeof(int32_t) * (size_t)(m + 1));
    for (int64_t i = 0; i < k * ldv; i++) v0[i] = v[i] = 2 * rnd_sym();
    for (int64_t j = 0; j < c; j++) bias0[j] = bias[j] = rnd_sym();
    for (int64_t i = 0; i < m; i++) y[i] = rnd() % 9 == 0 ? -100 : (int32_t)(rnd() % (uint64_t)c);
    for (int64_t i = 0; i < m * c; i++) z[i] = NAN; // scratch: fully written
    float loss = NAN;
    int64_t err = -7;
    int rc = s4j_csr_sgd_step(m, c, k, a.row_ptr, a.col, a.val, y,
                              CE_OPTS(NULL, -100, reduction, 0, 0, 1, 0), scale, alpha, bias_lr, v,
                              ldv, with_bias ? bias : NULL, z, &loss, argmax, &err);
    CHECK(rc == S4J_OK && err == -7, "step: status %d err_row %ld", rc, (long)err);
    // the step in double, with bounds that a correct float step cannot break
    // (as SparseStepTest's): |dz| <= zb = (e + 3) u (|scale| sum|x v| + |b|), a
    // probability errs by <= 2 zb p, a gradient element by 2 zb p / d + 16 ulp
    const double u = 0x1p-24;
    double *g = calloc((size_t)(m * c + 1), sizeof(double)),
           *gb = calloc((size_t)(m * c + 1), sizeof(double)), total = 0, divisor = 0, lb = 0;
    for (int64_t i = 0; i < m; i++) divisor += y[i] != -100;
    const double d = reduction == S4J_REDUCE_MEAN ? (divisor > 0 ? divisor : 1) : 1.0;
    int bad = 0;
    for (int64_t i = 0; i < m; i++) {
        double *gi = g + i * c, max = -INFINITY, sum = 0, zb = 0;
        const double e = (double)(a.row_ptr[i + 1] - a.row_ptr[i]);
        for (int64_t j = 0; j < c; j++) {
            double acc = 0, mg = 0;
            for (int64_t p = a.row_ptr[i]; p < a.row_ptr[i + 1]; p++) {
                acc += (double)a.val[p] * v0[(int64_t)a.col[p] * ldv + j];
                mg += fabs((double)a.val[p] * v0[(int64_t)a.col[p] * ldv + j]);
            }
            const double b = with_bias ? bias0[j] : 0.0;
            gi[j] = scale * acc + b;
            if ((e + 3) * u * (fabs(scale) * mg + fabs(b)) > zb)
                zb = (e + 3) * u * (fabs(scale) * mg + fabs(b));
            if (gi[j] > max) max = gi[j];
        }
        if (gi[argmax[i]] < max - 2 * zb - 1e-30 && bad++ < 3)
            CHECK(0, "isa=%d m=%ld c=%ld: argmax of row %ld is %d", s4j_isa(), (long)m, (long)c,
                  (long)i, argmax[i]);
        for (int64_t j = 0; j < c; j++) sum += exp(gi[j] - max);
        const double lse = max + log(sum);
        if (y[i] == -100) {
            for (int64_t j = 0; j < c; j++) gi[j] = 0;
            continue;
        }
        total += lse - gi[y[i]];
        lb += 2 * zb + 16 * u * (fabs(lse) + fabs(gi[y[i]]));
        for (int64_t j = 0; j < c; j++) {
            const double pj = exp(gi[j] - lse);
            gi[j] = (pj - (j == y[i])) / d;
            gb[i * c + j] = (2 * zb * pj + 16 * u * (pj + (j == y[i]))) / d;
        }
    }
    if (reduction == S4J_REDUCE_MEAN) total /= divisor, lb /= d;
    CHECK(isnan(total) ? isnan(loss) : fabs(loss - total) <= lb + (m + 2) * u * fabs(total) + 1e-30,
          "isa=%d m=%ld c=%ld: loss %.8g want %.8g", s4j_isa(), (long)m, (long)c, loss, total);
    for (int64_t j = 0; j < c && with_bias && bad < 3; j++) {
        double sum = 0, mg = 0, err = 0;
        for (int64_t i = 0; i < m; i++)
            sum += g[i * c + j], mg += fabs(g[i * c + j]), err += gb[i * c + j];
        const double want = bias0[j] - (double)bias_lr * sum;
        const double tol = bias_lr * err + (m + 3) * u * (fabs(bias0[j]) + bias_lr * mg) + 1e-30;
        if (!(fabs(bias[j] - want) <= tol) && bad++ < 3)
            CHECK(0, "isa=%d m=%ld c=%ld: bias[%ld]=%.8g want %.8g", s4j_isa(), (long)m, (long)c,
                  (long)j, bias[j], want);
    }
    // V: the rows the batch uses get alpha X^T G; every other value is untouched
    double *dv = calloc((size_t)(k * ldv + 1), sizeof(double)),
           *mag = calloc((size_t)(k * ldv + 1), sizeof(double)),
           *bound = calloc((size_t)(k * ldv + 1), sizeof(double));
    int *count = calloc((size_t)(k * ldv + 1), sizeof(int));
    for (int64_t i = 0; i < m; i++)
        for (int64_t p = a.row_ptr[i]; p < a.row_ptr[i + 1]; p++)
            for (int64_t j = 0; j < c; j++) {
                const int64_t q = (int64_t)a.col[p] * ldv + j;
                const double w = (double)alpha * a.val[p];
                dv[q] += w * g[i * c + j];
                mag[q] += fabs(w * g[i * c + j]);
                bound[q] += fabs(w) * gb[i * c + j];
                count[q]++;
            }
    for (int64_t r = 0; r < k && bad < 3; r++)
        for (int64_t j = 0; j < ldv && bad < 3; j++) {
            const int64_t q = r * ldv + j;
            const double want = v0[q] + dv[q];
            const int ok = count[q] == 0
                               ? v[q] == v0[q]
                               : fabs(v[q] - want) <=
                                     bound[q] + (count[q] + 3) * u * (fabs(v0[q]) + mag[q]) + 1e-30;
            if (!ok && bad++ < 3)
                CHECK(0, "isa=%d m=%ld c=%ld k=%ld: V[%ld,%ld]=%.8g want %.8g", s4j_isa(), (long)m,
                      (long)c, (long)k, (long)r, (long)j, v[q], want);
        }
    free(bound);
    free(count);
    free(gb);
    free(dv);
    free(mag);
    free(g);
    free(v);
    free(v0);
    free(bias);
    free(bias0);
    free(z);
    free(y);
    free(argmax);
    free_csr(&a);
}

static void random_steps(int count) {
    static const int64_t widths[] = {1, 2, 3, 10, 16, 17, 58, 64, 65, 100, 129, 200};
    for (int t = 0; t < count; t++) {
        const int64_t m = 1 + (int64_t)(rnd() % 40), k = 1 + (int64_t)(rnd() % 60);
        const int64_t c = widths[rnd() % (sizeof widths / sizeof *widths)];
        one_step(m, c, k, rnd() % 3 ? S4J_REDUCE_MEAN : S4J_REDUCE_SUM, (int)(rnd() % 4 != 0));
    }
    // enough work to split the update over threads by slices of classes
    one_step(64, 300, 400, S4J_REDUCE_MEAN, 1);
}

// The step's rules: the row of a bad batch or target named; V, bias and the
// logits unchanged.
static void step_errors(void) {
    int64_t ptr[3] = {0, 2, 3};
    int32_t col[3] = {0, 2, 1}, y[2] = {1, 0};
    float val[3] = {1, 2, 3}, v[3 * 2], bias[2], z[2 * 2], loss;
    int64_t err;
    const s4j_ce_options *mean = CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0, 0, 1, 0);
#define EXPECT_STEP(code, row, opts, ...)                                                        \
    do {                                                                                         \
        for (int q = 0; q < 6; q++) v[q] = 42.0f;                                                \
        for (int q = 0; q < 4; q++) z[q] = 42.0f;                                                \
        bias[0] = bias[1] = 42.0f;                                                               \
        err = -1;                                                                                \
        int rc_ = s4j_csr_sgd_step(2, 2, 3, __VA_ARGS__, y, opts, 1, -0.1f, 0.1f, v, 2, bias, z, \
                                   &loss, NULL, &err);                                           \
        int same_ = bias[0] == 42.0f && bias[1] == 42.0f;                                        \
        for (int q = 0; q < 6; q++) same_ &= v[q] == 42.0f;                                      \
        for (int q = 0; q < 4; q++) same_ &= z[q] == 42.0f;                                      \
        CHECK(rc_ == (code) && (row < 0 || err == (row)) && same_,                               \
              "line %d: status %d err_row %ld, outputs %s", __LINE__, rc_, (long)err,            \
              same_ ? "untouched" : "written");                                                  \
    } while (0)
    CHECK(s4j_csr_sgd_step(2, 2, 3, ptr, col, val, y, mean, 1, -0.1f, 0.1f, v, 2, bias, z, &loss,
                           NULL, &err) == S4J_OK,
          "valid step");
    col[2] = 3; // beyond k
    EXPECT_STEP(S4J_ERR_ARGUMENT, 1, mean, ptr, col, val);
    col[2] = 1;
    col[1] = 0; // repeated in row 0
    EXPECT_STEP(S4J_ERR_ARGUMENT, 0, mean, ptr, col, val);
    col[1] = 2;
    y[1] = 2; // a target beyond the classes
    EXPECT_STEP(S4J_ERR_TARGET, 1, mean, ptr, col, val);
    y[1] = 0;
    EXPECT_STEP(S4J_ERR_ARGUMENT, -1, CE_OPTS(NULL, -100, S4J_REDUCE_NONE, 0, 0, 1, 0), ptr, col,
                val);
    EXPECT_STEP(S4J_ERR_ARGUMENT, -1, CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0, 0, 1, 2), ptr, col,
                val);
    CHECK(s4j_csr_sgd_step(2, 2, 3, ptr, col, val, y, mean, 1, -0.1f, 0.1f, v, 1, bias, z, &loss,
                           NULL, &err) == S4J_ERR_ARGUMENT,
          "ldv < c");
#undef EXPECT_STEP
}

int main(void) {
    const char *env = getenv("S4J_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)clock();
    printf("seed %llu (S4J_TEST_SEED=%llu reproduces)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    errors();
    step_errors();
    for (int isa = S4J_ISA_SCALAR; isa <= S4J_ISA_AVX512; isa++) {
        if (s4j_set_isa(isa) != S4J_OK) {
            printf("isa %d not supported here: skipped\n", isa);
            continue;
        }
        for (int threads = 1; threads <= 4; threads *= 2) {
            s4j_set_num_threads(threads);
            random_shapes(200);
            random_steps(100);
        }
    }
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
