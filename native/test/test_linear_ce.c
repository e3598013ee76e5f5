/*
 * test_linear_ce.c — s4j_linear_ce against a materialised double-precision
 * reference (logits, softmax cross-entropy, gradients by the chain rule) on
 * small random shapes: classes not a multiple of the block, every option,
 * ignore-heavy batches, soft-capping, extreme values; both ISAs; error codes.
 * S4J_TEST_SEED=<n> reproduces a run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_util.h"

typedef struct {
    int64_t n, d, v, block_v;
    int reduction;
    double eps, zc, cap, scale;
    int weighted, biased, ignore_mode;
    int huge; // biases at and near +-FLT_MAX: logits there
} lce_case;

// A float result against the reference's double rounded to float (inf only
// where the exact value is beyond float range), NaN == NaN.
static int close_f(float got, double want, double rtol, double atol) {
    want = (float)want;
    if (isnan(want) || isinf(want)) return isnan(want) ? isnan(got) : got == want;
    return fabs(got - want) <= rtol * fabs(want) + atol;
}

// Normwise |got - want| <= tol |want| + atol sqrt(len)
static int close_norm(const float *got, const double *want, int64_t len, double tol, double atol) {
    double num = 0, den = 0;
    for (int64_t i = 0; i < len; i++) {
        if (isnan(got[i]) != isnan(want[i])) return 0;
        if (isnan(want[i])) continue;
        if (isinf((float)want[i]) || isinf(got[i])) {
            if (got[i] != (float)want[i]) return 0;
            continue;
        }
        num += (got[i] - want[i]) * (got[i] - want[i]);
        den += want[i] * want[i];
    }
    return sqrt(num) <= tol * sqrt(den) + atol * sqrt((double)len);
}

static void run(const lce_case *t, float spread) {
    const int64_t n = t->n, d = t->d, v = t->v;
    float *x = malloc(sizeof(float) * n * d), *w = malloc(sizeof(float) * v * d);
    float *b = t->biased ? malloc(sizeof(float) * v) : NULL,
          *cw = t->weighted ? malloc(sizeof(float) * v) : NULL;
    int32_t *y = malloc(sizeof(int32_t) * n);
    for (int64_t i = 0; i < n * d; i++) x[i] = (float)(rnd_unit() - 0.5);
    for (int64_t i = 0; i < v * d; i++) w[i] = (float)(spread * (rnd_unit() - 0.5));
    for (int64_t k = 0; k < v && b; k++) b[k] = (float)(rnd_unit() - 0.5);
    const float big[] = {3.40282347e38f, -3.40282347e38f, 3.4e38f, 1e38f, -2e38f, 0.0f};
    for (int64_t k = 0; k < v && b && t->huge; k++)
        if (rnd() % 2) b[k] = big[rnd() % 6];
    for (int64_t k = 0; k < v && cw; k++) cw[k] = (float)(0.25 + rnd_unit());
    for (int64_t r = 0; r < n; r++) {
        y[r] = (int32_t)(rnd() % (uint64_t)v);
        if (t->ignore_mode == 2 || (t->ignore_mode == 1 && rnd() % 3 == 0)) y[r] = -100;
    }
    // reference: materialised logits in double
    double *z = malloc(sizeof(double) * n * v), *g = malloc(sizeof(double) * n * v);
    double *rdx = calloc((size_t)(n * d), sizeof(double)),
           *rdw = calloc((size_t)(v * d), sizeof(double));
    double *rdb = calloc((size_t)v, sizeof(double)), *rrow = malloc(sizeof(double) * n);
    double *rtol = malloc(sizeof(double) * n); // absolute row-loss tolerance
    double wsum = 0, divisor = 0, total = 0;
    for (int64_t k = 0; k < v; k++) wsum += cw ? cw[k] : 1.0;
    for (int64_t r = 0; r < n; r++)
        if (y[r] != -100) divisor += cw ? cw[y[r]] : 1.0;
    double scale = t->reduction == S4J_REDUCE_MEAN ? t->scale / divisor : t->scale;
    for (int64_t r = 0; r < n; r++) {
        double m = -INFINITY, s = 0;
        for (int64_t k = 0; k < v; k++) {
            double u = (b ? b[k] : 0.0);
            for (int64_t p = 0; p < d; p++) u += (double)x[r * d + p] * w[k * d + p];
            z[r * v + k] = t->cap > 0 ? t->cap * tanh(u / t->cap) : u;
            m = fmax(m, z[r * v + k]);
        }
        for (int64_t k = 0; k < v; k++) s += exp(z[r * v + k] - m);
        // lse - z_k as (m - z_k) + log s: next to logits near 1e38 even
        // double loses log s in m + log s
        double ls = log(s), lse = m + ls;
        if (y[r] == -100) {
            rrow[r] = 0;
            for (int64_t k = 0; k < v; k++) g[r * v + k] = 0;
            continue;
        }
        double wy = cw ? cw[y[r]] : 1.0, li = (1 - t->eps) * wy * ((m - z[r * v + y[r]]) + ls);
        double sm = 0;
        for (int64_t k = 0; k < v; k++) sm += (cw ? cw[k] : 1.0) * ((m - z[r * v + k]) + ls);
        li += t->eps / v * sm + t->zc * lse * lse;
        rrow[r] = li;
        // a loss is a difference of logits, each some ulps of its size off
        // in float (GEMM): logits of several hundred (spread 200) leave ~1e-4
        // (the huge ones, biases of 1e38 and more, are exact)
        double zmax = 0;
        for (int64_t k = 0; k < v; k++) zmax = fmax(zmax, fabs(z[r * v + k]));
        rtol[r] = 1e-5 + 1e-6 * (zmax < 1e30 ? zmax : 0);
        total += li;
        double A = (1 - t->eps) * wy + t->eps * wsum / v + 2 * t->zc * lse;
        for (int64_t k = 0; k < v; k++) {
            double p = exp(z[r * v + k] - m) / s;
            double gk = scale * (p * A - t->eps * (cw ? cw[k] : 1.0) / v -
                                 (k == y[r] ? (1 - t->eps) * wy : 0));
            if (t->cap > 0) gk *= 1 - (z[r * v + k] / t->cap) * (z[r * v + k] / t->cap);
            g[r * v + k] = gk;
        }
    }
    double rloss = t->reduction == S4J_REDUCE_MEAN ? total / divisor : total;
    for (int64_t r = 0; r < n; r++)
        for (int64_t k = 0; k < v; k++) {
            double gk = g[r * v + k];
            rdb[k] += gk;
            for (int64_t p = 0; p < d; p++) {
                rdx[r * d + p] += gk * w[k * d + p];
                rdw[k * d + p] += gk * x[r * d + p];
            }
        }

    int64_t wb = s4j_linear_ce_workspace_size(n, d, v, t->block_v, (float)t->cap);
    void *work = aligned_alloc(64, (size_t)(wb + 63) / 64 * 64);
    float *dx = malloc(sizeof(float) * n * d), *dw = malloc(sizeof(float) * v * d),
          *db = malloc(sizeof(float) * v);
    float *row = malloc(sizeof(float) * n), loss = NAN;
    memset(dx, 0xff, sizeof(float) * n * d); // NaN: must be fully written
    memset(dw, 0xff, sizeof(float) * v * d);
    memset(db, 0xff, sizeof(float) * v);
    int rc = s4j_linear_ce(n, d, v, x, w, b, y,
                           CE_OPTS(cw, -100, t->reduction, (float)t->eps, (float)t->zc,
                                   (float)t->scale, (float)t->cap),
                           t->block_v, &loss, row, NULL, dx, dw, db, work, wb, NULL);
    char label[200];
    snprintf(label, sizeof label,
             "isa=%d n=%ld d=%ld v=%ld bv=%ld red=%d eps=%.1f z=%g cap=%g w=%d b=%d ign=%d huge=%d",
             s4j_isa(), (long)n, (long)d, (long)v, (long)t->block_v, t->reduction, t->eps, t->zc,
             t->cap, t->weighted, t->biased, t->ignore_mode, t->huge);
    CHECK(rc == S4J_OK, "%s: status %d", label, rc);
    CHECK(close_f(loss, rloss, 1e-5, 1e-5), "%s: loss %.7g vs %.7g", label, loss, rloss);
    for (int64_t r = 0; r < n; r++)
        CHECK(close_f(row[r], rrow[r], 1e-5, y[r] == -100 ? 1e-5 : rtol[r]),
              "%s: row %ld loss %.7g vs %.7g", label, (long)r, row[r], rrow[r]);
    double atol = 2e-7 * (double)(n + 1) * fabs(t->scale); // ~n ulps where a sum of n rows is 0
    CHECK(close_norm(dx, rdx, n * d, 1e-4, atol), "%s: dX", label);
    CHECK(close_norm(dw, rdw, v * d, 1e-4, atol), "%s: dW", label);
    CHECK(close_norm(db, rdb, v, 1e-4, atol), "%s: db", label);
    // forward only agrees on the loss
    float loss2 = NAN;
    rc = s4j_linear_ce(n, d, v, x, w, b, y,
                       CE_OPTS(cw, -100, t->reduction, (float)t->eps, (float)t->zc, (float)t->scale,
                               (float)t->cap),
                       t->block_v, &loss2, row, NULL, NULL, NULL, NULL, work, wb, NULL);
    CHECK(rc == S4J_OK && memcmp(&loss, &loss2, 4) == 0, "%s: forward-only loss %g vs %g", label,
          loss2, loss);
    free(x);
    free(w);
    free(b);
    free(cw);
    free(y);
    free(z);
    free(g);
    free(rdx);
    free(rdw);
    free(rdb);
    free(rrow);
    free(rtol);
    free(work);
    free(dx);
    free(dw);
    free(db);
    free(row);
}

static void errors(void) {
    float x[4] = {0}, w[6] = {0}, loss;
    int32_t y[2] = {0, 3};
    int64_t bad = -1, wb = s4j_linear_ce_workspace_size(2, 2, 3, 0, 0);
    void *work = aligned_alloc(64, (size_t)(wb + 63) / 64 * 64);
    CHECK(s4j_linear_ce(2, 2, 3, x, w, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), 0, &loss, NULL,
                        NULL, NULL, NULL, NULL, work, wb, &bad) == S4J_ERR_TARGET &&
              bad == 1,
          "bad target");
    y[1] = 1;
    CHECK(s4j_linear_ce(2, 2, 3, x, w, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), 0, &loss, NULL,
                        NULL, NULL, NULL, NULL, work, wb - 64, NULL) == S4J_ERR_ARGUMENT,
          "small workspace");
    CHECK(s4j_linear_ce(2, 2, 3, x, w, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, -1), 0, &loss, NULL,
                        NULL, NULL, NULL, NULL, work, wb, NULL) == S4J_ERR_ARGUMENT,
          "softcap < 0");
    CHECK(s4j_linear_ce(2, 2, 3, x, w, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 2), -1, &loss, NULL,
                        NULL, NULL, NULL, NULL, work, wb, NULL) == S4J_ERR_ARGUMENT,
          "row chunks with softcap");
    CHECK(s4j_linear_ce(2, 0, 3, x, w, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), 0, &loss, NULL,
                        NULL, NULL, NULL, NULL, work, wb, NULL) == S4J_ERR_ARGUMENT,
          "d = 0");
    CHECK(s4j_linear_ce(2, 2, 3, x, w, NULL, y, CE_OPTS(NULL, -100, 0, 0, 0, 1, 0), 0, &loss, NULL,
                        NULL, NULL, NULL, NULL, work, wb, NULL) == S4J_ERR_ARGUMENT,
          "NONE without row_loss");
    free(work);
}

// block_v: automatic (0), tiles of 37 or 74 classes, or row chunks of 1 to 40 rows.
static int64_t random_plan(void) {
    switch (rnd() % 4) {
    case 0:
        return 0;
    case 1:
        return 37;
    case 2:
        return 74;
    default:
        return -1 - (int64_t)(rnd() % 40);
    }
}

// The automatic plan's row chunks: 1/4 of 2000 x 100 logits is 500 rows;
// and forced chunks whose last one has few rows (the GEMMs' skinny path,
// whose packing area grows with d: the workspace must cover it).
static void automatic_chunks(void) {
    for (int it = 0; it < 4; it++) {
        lce_case t = {2000,
                      1 + (int64_t)(rnd() % 16),
                      100,
                      0,
                      it % 3,
                      it % 2 ? 0.1 : 0.0,
                      it / 2 ? 1e-3 : 0.0,
                      0.0,
                      1.0,
                      it % 2,
                      1,
                      it % 2,
                      0};
        if (t.reduction == S4J_REDUCE_MEAN && t.ignore_mode == 2) t.ignore_mode = 1;
        run(&t, 4.0f);
    }
    lce_case last = {45, 6000, 50, -20, S4J_REDUCE_MEAN, 0.0, 0.0, 0.0, 1.0, 0, 1, 0, 0};
    run(&last, 4.0f);
}

// A mean over a batch whose every row is ignored: NaN loss, zero
// gradients, on both plans (the row chunks' scale is 1/0).
static void all_ignored_mean(void) {
    const int64_t n = 300, d = 3, v = 20;
    float x[300 * 3], w[20 * 3], dx[300 * 3], dw[20 * 3], db[20], loss = 0.0f;
    int32_t y[300];
    for (int64_t i = 0; i < n * d; i++) x[i] = (float)rnd_unit();
    for (int64_t i = 0; i < v * d; i++) w[i] = (float)rnd_unit();
    for (int64_t i = 0; i < n; i++) y[i] = -100;
    const int64_t plans[2] = {0, -64};
    for (int p = 0; p < 2; p++) {
        int64_t wb = s4j_linear_ce_workspace_size(n, d, v, plans[p], 0.0f);
        void *work = aligned_alloc(64, (size_t)(wb + 63) / 64 * 64);
        memset(dx, 0x7f, sizeof dx); // poisoned
        memset(dw, 0x7f, sizeof dw);
        memset(db, 0x7f, sizeof db);
        int rc = s4j_linear_ce(n, d, v, x, w, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), plans[p],
                               &loss, NULL, NULL, dx, dw, db, work, wb, NULL);
        int zeros = 1;
        for (int64_t i = 0; i < n * d; i++) zeros &= dx[i] == 0.0f;
        for (int64_t i = 0; i < v * d; i++) zeros &= dw[i] == 0.0f;
        for (int64_t i = 0; i < v; i++) zeros &= db[i] == 0.0f;
        CHECK(rc == S4J_OK && isnan(loss) && zeros, "all ignored, mean, plan %ld: rc %d loss %g",
              (long)plans[p], rc, loss);
        free(work);
    }
}

// A soft-cap from 1 to FLT_MAX, log-uniform: caps near the logits saturate,
// huge ones leave them (almost) unchanged; every ISA must agree on both.
static double random_cap(void) {
    return (double)(float)pow(10.0, rnd_unit() * log10(3.4028234e38));
}

// The case that exposed 1 - 2/(exp(2u) + 1) on the SIMD paths: caps far
// above the logits zeroed them (loss ln 5 instead of 1.5969).
static void large_caps(void) {
    const double caps[] = {1e3, 1e6, 1e10, 1e20, 3.4028234e38};
    for (int i = 0; i < 5; i++) {
        lce_case t = {4, 3, 5, 0, S4J_REDUCE_MEAN, 0.0, 0.0, caps[i], 1.0, 0, 1, 0, 0};
        run(&t, 4.0f);
    }
}

// Biases at and near +-FLT_MAX put logits there: with smoothing, z-loss and
// class weights the float intermediates overflowed (sum_k w_k z_k) or lost
// log s next to the logits (p = exp(z - lse) with lse = m + log s rounded
// to m: twice the gradient of two equal top logits) where the exact results
// are finite (FUZZING.md). The soft-cap 1e30 saturates the huge logits
// (a cap near them would leave differences of capped values, ~1 ulp of
// 1e38 off in float: not what this tests).
static void huge_logits(void) {
    for (int it = 0; it < 48; it++) {
        lce_case t = {1 + (int64_t)(rnd() % 20),
                      1 + (int64_t)(rnd() % 8),
                      1 + (int64_t)(rnd() % 60),
                      it / 12 % 2 ? (int64_t)(rnd() % 3) * 17 : random_plan(),
                      it % 3,
                      it / 3 % 2 ? 0.1 : 0.0,
                      it / 6 % 2 ? 1e-3 : 0.0,
                      it / 12 % 2 ? (double)1e30f : 0.0,
                      1.0,
                      it / 24 % 2,
                      1,
                      (int)(rnd() % 2),
                      1};
        run(&t, 4.0f);
    }
}

int main(void) {
    const char *env = getenv("S4J_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)clock();
    printf("seed %llu (S4J_TEST_SEED=%llu reproduces)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    errors();
    for (int isa = S4J_ISA_SCALAR; isa <= S4J_ISA_AVX512; isa++) {
        if (s4j_set_isa(isa) != S4J_OK) continue;
        large_caps();
        huge_logits();
        automatic_chunks();
        all_ignored_mean();
        for (int it = 0; it < 40; it++) {
            lce_case t = {1 + (int64_t)(rnd() % 300),
                          1 + (int64_t)(rnd() % 40),
                          1 + (int64_t)(rnd() % 300),
                          random_plan(),
                          (int)(rnd() % 3),
                          rnd() % 2 ? 0.0 : 0.1,
                          rnd() % 2 ? 0.0 : 1e-3,
                          rnd() % 2 ? 0.0 : random_cap(),
                          rnd() % 2 ? 1.0 : 0.5,
                          (int)(rnd() % 2),
                          (int)(rnd() % 2),
                          (int)(rnd() % 3),
                          0};
            if (t.reduction == S4J_REDUCE_MEAN && t.ignore_mode == 2) t.ignore_mode = 1;
            if (t.cap > 0.0 && t.block_v < 0) t.block_v = 0; // no row chunks with soft-capping
            run(&t, it % 4 == 0 ? 200.0f : 4.0f);            // large logits now and then
        }
    }
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
