/*
 * test_softmax_ce.c — s4j_softmax and s4j_softmax_ce against a double
 * precision reference written here, on random option combinations, both
 * ISAs and all dtypes; extreme logits; error codes; concurrent callers.
 * Runs in ctest, and under ASan/UBSan with -DS4J_SANITIZE=ON.
 * S4J_TEST_SEED=<n> reproduces a run.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_util.h"

// Without the optional workspace; run_case passes one half of the time.
#define CE(...) s4j_softmax_ce(__VA_ARGS__, NULL, 0)

// ---------------------------------------------------------------------------
// random numbers (test_util.h's generator, seeded per run)

static int rnd_int(int n) { return (int)(rnd() % (uint64_t)n); }
static float rnd_normal(void) {
    double u = rnd_unit() + 1e-300, v = rnd_unit();
    return (float)(sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v));
}

// ---------------------------------------------------------------------------
// reference, in double, on the dtype-rounded logits

typedef struct {
    int64_t n, c;
    int32_t dtype;
    const float *x; // logits as float (already representable in dtype)
    const int32_t *y;
    const float *w;
    int32_t ignore;
    int32_t reduction;
    double eps, zc, scale;
} ce_case;

static void reference(const ce_case *t, double *loss, double *row_loss, double *lse,
                      int32_t *argmax, double *grad) {
    const int64_t n = t->n, c = t->c;
    double total = 0.0, divisor = 0.0, wsum = 0.0;
    for (int64_t k = 0; k < c; k++) wsum += t->w ? t->w[k] : 1.0;
    for (int64_t r = 0; r < n; r++)
        if (t->y[r] != t->ignore) divisor += t->w ? t->w[t->y[r]] : 1.0;
    double scale = t->reduction == S4J_REDUCE_MEAN ? t->scale / divisor : t->scale;
    for (int64_t r = 0; r < n; r++) {
        const float *x = t->x + r * c;
        double m = -INFINITY;
        int32_t am = 0, has_nan = 0;
        for (int64_t k = 0; k < c; k++) {
            if (isnan(x[k]) && !has_nan) {
                has_nan = 1;
                am = (int32_t)k;
            }
            if (!has_nan && x[k] > m) {
                m = x[k];
                am = (int32_t)k;
            }
        }
        double s = 0.0;
        for (int64_t k = 0; k < c; k++) s += exp((double)x[k] - m);
        // lse - x_k is formed as (m - x_k) + log s: with logits near 1e38
        // even double loses log s next to m.
        double ls = log(s), l = m + ls;
        lse[r] = l;
        argmax[r] = am;
        int32_t y = t->y[r];
        if (y == t->ignore) {
            row_loss[r] = 0.0;
            for (int64_t k = 0; k < c; k++) grad[r * c + k] = 0.0;
            continue;
        }
        double wy = t->w ? t->w[y] : 1.0, li = (1.0 - t->eps) * wy * ((m - x[y]) + ls);
        if (t->eps != 0.0) {
            double smooth = 0.0;
            for (int64_t k = 0; k < c; k++) smooth += (t->w ? t->w[k] : 1.0) * ((m - x[k]) + ls);
            li += t->eps / c * smooth;
        }
        if (t->zc != 0.0) li += t->zc * l * l;
        row_loss[r] = li;
        total += li;
        double A = (1.0 - t->eps) * wy + t->eps * wsum / c + 2.0 * t->zc * l;
        for (int64_t k = 0; k < c; k++) {
            double p = exp((double)x[k] - m) / s;
            double g =
                p * A - t->eps * (t->w ? t->w[k] : 1.0) / c - (k == y ? (1.0 - t->eps) * wy : 0.0);
            grad[r * c + k] = scale * g;
        }
    }
    *loss = t->reduction == S4J_REDUCE_MEAN ? total / divisor : total;
}

// ---------------------------------------------------------------------------
// one run of the kernel against the reference

static const char *dtype_name(int32_t d) {
    return d == S4J_BF16 ? "bf16" : d == S4J_F16 ? "f16" : "f32";
}

// Relative error |a - b| / (atol + |b|) style comparison of a float result,
// with NaN == NaN; the reference's double rounded to float first, so that
// it is inf only where the exact value is beyond float range.
static int close_to(double got, double want, double rtol, double atol) {
    want = (float)want;
    if (isnan(want)) return isnan(got);
    if (isinf(want)) return got == want;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

static float round_to(int32_t dtype, float v) {
    uint16_t h;
    switch (dtype) {
    case S4J_BF16:
        h = s4j_f32_to_bf16(v);
        return s4j_bf16_to_f32(h);
    case S4J_F16:
        h = s4j_f32_to_f16(v);
        return s4j_f16_to_f32(h);
    default:
        return v;
    }
}

// use_work: -1 at random, 0 without, 1 with the optional workspace
static void run_case(const ce_case *t, int inplace, int use_work, const char *label) {
    const int64_t n = t->n, c = t->c, es = s4j_dtype_size(t->dtype);
    void *logits = malloc((size_t)(n * c * es + 1));
    void *dl = inplace ? logits : malloc((size_t)(n * c * es + 1));
    for (int64_t i = 0; i < n * c; i++) s4j_store_elem(logits, t->dtype, i, t->x[i]);
    if (!inplace) memset(dl, 0xff, (size_t)(n * c * es)); // poison: NaN in every dtype
    float *row_loss = malloc(sizeof(float) * (size_t)(n + 1)),
          *lse = malloc(sizeof(float) * (size_t)(n + 1));
    int32_t *am = malloc(sizeof(int32_t) * (size_t)(n + 1));
    for (int64_t r = 0; r < n; r++) {
        row_loss[r] = NAN;
        lse[r] = NAN;
        am[r] = -7;
    }
    float loss = NAN;

    // argmax off now and then: in place without it takes another path
    const int want_argmax = (int)(rnd() % 4) != 0;
    int64_t wb =
        (use_work < 0 ? (int)(rnd() & 1) : use_work) ? s4j_softmax_ce_workspace_size(c) : 0;
    void *work = wb > 0 ? aligned_alloc(64, (size_t)(wb + 63) / 64 * 64) : NULL;
    int rc = s4j_softmax_ce(
        n, c, t->dtype, logits, t->y,
        CE_OPTS(t->w, t->ignore, t->reduction, (float)t->eps, (float)t->zc, (float)t->scale, 0),
        &loss, row_loss, lse, want_argmax ? am : NULL, dl, NULL, work, wb);
    free(work);
    CHECK(rc == S4J_OK, "%s: status %d", label, rc);

    double rloss, *rrow = malloc(sizeof(double) * (size_t)(n + 1)),
                  *rlse = malloc(sizeof(double) * (size_t)(n + 1));
    int32_t *ram = malloc(sizeof(int32_t) * (size_t)(n + 1));
    double *rg = malloc(sizeof(double) * (size_t)(n * c + 1));
    reference(t, &rloss, rrow, rlse, ram, rg);

    // Gradient: normwise relative error, plus elementwise NaN and overflow
    // agreement (the reference's double rounded to the dtype: inf only where
    // the exact value is beyond its range).
    const double gtol = t->dtype == S4J_F32 ? 2e-5 : t->dtype == S4J_F16 ? 2e-3 : 1e-2;
    double num = 0.0, den = 0.0;
    int nan_mismatch = 0;
    for (int64_t i = 0; i < n * c; i++) {
        double g = s4j_load_elem(dl, t->dtype, i), want = rg[i];
        if (isnan(want) != isnan(g)) nan_mismatch++;
        if (isnan(want)) continue;
        if (isinf(round_to(t->dtype, (float)want)) || isinf(g)) {
            if (g != (double)round_to(t->dtype, (float)want)) nan_mismatch++;
            continue;
        }
        num += (g - want) * (g - want);
        den += want * want;
    }
    CHECK(nan_mismatch == 0, "%s: %d gradient entries disagree on NaN or infinity", label,
          nan_mismatch);
    // An absolute floor per element: exact zeros (c == 1) and values below
    // f16's subnormal spacing can only be matched to rounding level.
    const double gatol = 2e-7 * fabs(t->scale) * sqrt((double)(n * c));
    CHECK(sqrt(num) <= gtol * sqrt(den) + gatol, "%s: gradient rel err %.3g", label,
          sqrt(num) / sqrt(den));
    const double ltol = t->dtype == S4J_F32 ? 1e-5 : 1e-4; // inputs are exact, sums are not
    for (int64_t r = 0; r < n; r++) {
        CHECK(close_to(row_loss[r], rrow[r], ltol, 1e-6), "%s: row_loss[%ld] %.9g vs %.9g", label,
              (long)r, row_loss[r], rrow[r]);
        CHECK(close_to(lse[r], rlse[r], 1e-6, 1e-6), "%s: lse[%ld] %.9g vs %.9g", label, (long)r,
              lse[r], rlse[r]);
        if (want_argmax)
            CHECK(am[r] == ram[r], "%s: argmax[%ld] %d vs %d", label, (long)r, am[r], ram[r]);
    }
    CHECK(close_to(loss, rloss, ltol, 1e-6), "%s: loss %.9g vs %.9g", label, loss, rloss);
    free(logits);
    if (!inplace) free(dl);
    free(row_loss);
    free(lse);
    free(am);
    free(rrow);
    free(rlse);
    free(ram);
    free(rg);
}

// ---------------------------------------------------------------------------
// tests

static void random_cases(int count) {
    static const int64_t ns[] = {0, 1, 3, 17, 64};
    static const int64_t cs[] = {1, 2, 7, 8, 9, 16, 31, 33, 100, 1000, 4099};
    for (int it = 0; it < count; it++) {
        ce_case t = {0};
        t.n = ns[rnd_int(5)];
        t.c = cs[rnd_int(11)];
        t.dtype = rnd_int(3);
        t.reduction = rnd_int(3);
        t.eps = rnd_int(2) ? 0.0 : 0.1;
        t.zc = rnd_int(2) ? 0.0 : 1e-3;
        t.scale = rnd_int(2) ? 1.0 : 0.5;
        t.ignore = rnd_int(2) ? -100 : 0;
        int ignore_mode = rnd_int(3); // none, some, all
        float spread = rnd_int(2) ? 3.0f : 30.0f;
        float *x = malloc(sizeof(float) * (size_t)(t.n * t.c + 1));
        int32_t *y = malloc(sizeof(int32_t) * (size_t)(t.n + 1));
        float *w = rnd_int(2) ? malloc(sizeof(float) * (size_t)t.c) : NULL;
        for (int64_t i = 0; i < t.n * t.c; i++) x[i] = round_to(t.dtype, spread * rnd_normal());
        for (int64_t r = 0; r < t.n; r++) {
            y[r] = rnd_int((int)t.c);
            if (ignore_mode == 2 || (ignore_mode == 1 && rnd_int(3) == 0)) y[r] = t.ignore;
        }
        if (w)
            for (int64_t k = 0; k < t.c; k++) w[k] = 0.25f + (float)rnd_unit();
        t.x = x;
        t.y = y;
        t.w = w;
        int inplace = rnd_int(4) == 0;
        char label[160];
        snprintf(label, sizeof label,
                 "isa=%d n=%ld c=%ld %s red=%d eps=%.1f z=%g w=%d ign=%d/%d inplace=%d", s4j_isa(),
                 (long)t.n, (long)t.c, dtype_name(t.dtype), t.reduction, t.eps, t.zc, w != NULL,
                 t.ignore, ignore_mode, inplace);
        if (!(t.reduction == S4J_REDUCE_MEAN && t.n == 0)) run_case(&t, inplace, -1, label);
        free(x);
        free(y);
        free(w);
    }
}

// Rows of extreme but finite logits, -inf masks and one NaN row.
static void extreme_rows(void) {
    enum { C = 37 };
    const int N = 7;
    float x[7 * C];
    int32_t y[7];
    for (int r = 0; r < N; r++)
        for (int k = 0; k < C; k++) x[r * C + k] = rnd_normal();
    x[0 * C + 5] = 100.0f; // one large logit
    for (int k = 0; k < C; k++) x[1 * C + k] = -200.0f - 50.0f * (float)rnd_unit(); // all tiny
    for (int k = 0; k < C; k++) x[2 * C + k] = (k % 2 ? 1e30f : -1e30f) * (float)(1 + k % 3);
    for (int k = 0; k < C; k += 2) x[3 * C + k] = -INFINITY;                    // masked entries
    x[4 * C + 11] = NAN;                                                        // NaN row
    for (int k = 0; k < C; k++) x[5 * C + k] = 88.0f + (float)k;                // above exp's range
    for (int k = 0; k < C; k++) x[6 * C + k] = 3e38f * (k % 2 ? 1.0f : 0.999f); // near FLT_MAX
    for (int r = 0; r < N; r++) y[r] = (r * 7) % C;
    y[3] = 1; // target not masked
    for (int d = 0; d < 3; d++)
        for (int red = 0; red < 3; red++)
            for (int eps = 0; eps < 2; eps++) {
                float xr[7 * C];
                for (int i = 0; i < N * C; i++) xr[i] = round_to(d, x[i]);
                ce_case t = {N, C, d, xr, y, NULL, -100, red, eps ? 0.1 : 0.0, 0.0, 1.0};
                char label[96];
                snprintf(label, sizeof label, "extreme isa=%d %s red=%d eps=%d", s4j_isa(),
                         dtype_name(d), red, eps);
                run_case(&t, 0, -1, label);
            }
    // The NaN row poisons only itself.
    float loss, row_loss[7], g[7 * C];
    CE(N, C, S4J_F32, x, y, CE_OPTS(NULL, -100, S4J_REDUCE_NONE, 0, 0, 1, 0), &loss, row_loss, NULL,
       NULL, g, NULL);
    for (int r = 0; r < N; r++) {
        CHECK(isnan(row_loss[r]) == (r == 4), "NaN row: row %d loss %g", r, row_loss[r]);
        if (r != 4) CHECK(isfinite(row_loss[r]), "row %d loss not finite: %g", r, row_loss[r]);
    }
    for (int k = 0; k < C; k++)
        CHECK(isnan(g[4 * C + k]) && !isnan(g[3 * C + k]), "NaN row gradient");
}

// Logits at and near +-FLT_MAX (bf16: its largest finite value) with z-loss,
// label smoothing and class weights, every reduction, short (the AVX2
// 8-rows kernel), cached and long rows, in place or not. Float intermediates
// overflowed there (2 zc lse, w_k (max - x_k), max - x_y) where the exact
// results are finite: NaN gradients and infinite losses (CrossEntropyFuzzTest,
// FUZZING.md). With weights of at most 0.3 and no z-loss every row loss is
// finite; all must agree with the reference, infinities included.
static void huge_logits(void) {
    static const int64_t cs[] = {10, 37, 300, 70000};
    enum { N = 6 };
    for (int ci = 0; ci < 4; ci++)
        for (int d = 0; d < 2; d++) {
            const int64_t c = cs[ci];
            const float M = d == S4J_F32 ? 3.40282347e38f : 3.38953139e38f;
            float *x = malloc(sizeof(float) * (size_t)(N * c)),
                  *w = malloc(sizeof(float) * (size_t)c);
            int32_t y[N] = {1, 0, (int32_t)(c / 2), 0, 3, 2};
            for (int64_t i = 0; i < N * c; i++) x[i] = rnd_normal();
            x[0] = M; // one +M, target -M
            x[1] = -M;
            for (int64_t k = 0; k < c; k++) x[1 * c + k] = k % 2 ? -M : M; // +-M
            for (int64_t k = 0; k < c; k++)
                x[2 * c + k] = M * (1.0f - 2.0f * (float)k / (float)(c - 1)); // M .. -M
            for (int64_t k = 0; k < c; k++) x[3 * c + k] = -M;                // all -M but one
            x[3 * c + c - 1] = 0.5f * M;
            for (int64_t k = 0; k < c; k++) x[5 * c + k] = (float)(k % 3 - 1) * 1e38f;
            for (int64_t i = 0; i < N * c; i++) x[i] = round_to(d, x[i]);
            for (int64_t k = 0; k < c; k++) w[k] = 0.1f + 0.05f * (float)(k % 5);
            for (int weighted = 0; weighted < 2; weighted++)
                for (int zi = 0; zi < 3; zi++)
                    for (int eps = 0; eps < 2; eps++)
                        for (int red = 0; red < 3; red++) {
                            if (c > 1000 && (zi == 1 || red == 1))
                                continue; // keep the long rows quick
                            const double zs[] = {0.0, 1e-4, 1.0};
                            ce_case t = {N,
                                         c,
                                         d,
                                         x,
                                         y,
                                         weighted ? w : NULL,
                                         -100,
                                         red,
                                         eps ? 0.1 : 0.0,
                                         zs[zi],
                                         red == S4J_REDUCE_SUM && zi == 0 ? 1e-3 : 1.0};
                            char label[128];
                            snprintf(label, sizeof label,
                                     "huge isa=%d c=%ld %s w=%d z=%g eps=%d red=%d", s4j_isa(),
                                     (long)c, dtype_name(d), weighted, zs[zi], eps, red);
                            run_case(&t, (int)(rnd() % 2), -1, label);
                            if (weighted && zi == 0) { // every row loss finite
                                float loss, rl[N];
                                CE(N, c, S4J_F32, x, y,
                                   CE_OPTS(w, -100, S4J_REDUCE_NONE, eps ? 0.1f : 0.0f, 0.0f, 1.0f,
                                           0),
                                   &loss, rl, NULL, NULL, NULL, NULL);
                                for (int r = 0; r < N; r++)
                                    CHECK(isfinite(rl[r]), "%s: row %d loss %g, finite exactly",
                                          label, r, rl[r]);
                            }
                        }
            free(x);
            free(w);
        }
}

// Gradients of 8 MB and more are streamed past the caches (with a workspace).
static void streamed_rows(void) {
    ce_case t = {520, 4099, S4J_F32, NULL, NULL, NULL, -100, S4J_REDUCE_MEAN, 0.1, 1e-4, 1.0};
    float *x = malloc(sizeof(float) * 520 * 4099);
    int32_t *y = malloc(sizeof(int32_t) * 520);
    for (int64_t i = 0; i < 520 * 4099; i++) x[i] = 5.0f * rnd_normal();
    for (int r = 0; r < 520; r++) y[r] = r % 7 == 0 ? -100 : rnd_int(4099);
    t.x = x;
    t.y = y;
    for (int inplace = 0; inplace < 2; inplace++) {
        char label[64];
        snprintf(label, sizeof label, "streamed isa=%d inplace=%d", s4j_isa(), inplace);
        run_case(&t, inplace, 1, label);
    }
    free(x);
    free(y);
}

static void softmax_cases(void) {
    static const int64_t cs[] = {1, 7, 8, 9, 33, 1000};
    for (int ci = 0; ci < 6; ci++) {
        int64_t n = 5, c = cs[ci];
        float *x = malloc(sizeof(float) * (size_t)(n * c)),
              *y = malloc(sizeof(float) * (size_t)(n * c));
        for (int64_t i = 0; i < n * c; i++) x[i] = 20.0f * rnd_normal();
        x[0] = -INFINITY;
        for (int lg = 0; lg < 2; lg++) {
            for (int64_t i = 0; i < n * c; i++) y[i] = NAN;
            CHECK(s4j_softmax(n, c, x, y, lg) == S4J_OK, "softmax status");
            for (int64_t r = 0; r < n; r++) {
                double m = -INFINITY, s = 0;
                for (int64_t k = 0; k < c; k++) m = fmax(m, x[r * c + k]);
                for (int64_t k = 0; k < c; k++) s += exp(x[r * c + k] - m);
                for (int64_t k = 0; k < c; k++) {
                    double lp = (x[r * c + k] - m) - log(s);
                    double want = lg ? lp : exp(lp);
                    CHECK(close_to(y[r * c + k], want, 1e-5, lg ? 1e-6 : 1e-7),
                          "softmax log=%d c=%ld [%ld,%ld] %g vs %g", lg, (long)c, (long)r, (long)k,
                          y[r * c + k], want);
                }
            }
        }
        free(x);
        free(y);
    }
}

static void error_codes(void) {
    float x[6] = {0}, loss = 123.0f, rl[2] = {5, 5}, g[6] = {7, 7, 7, 7, 7, 7};
    int32_t y[2] = {0, 3};
    int64_t bad = -1;
    int rc = CE(2, 3, S4J_F32, x, y, CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0, 0, 1, 0), &loss, rl,
                NULL, NULL, g, &bad);
    CHECK(rc == S4J_ERR_TARGET && bad == 1, "bad target: rc %d row %ld", rc, (long)bad);
    CHECK(loss == 123.0f && rl[0] == 5 && g[0] == 7, "outputs written despite a bad target");
    y[1] = -5;
    rc = CE(2, 3, S4J_F32, x, y, CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0, 0, 1, 0), &loss, NULL,
            NULL, NULL, NULL, &bad);
    CHECK(rc == S4J_ERR_TARGET && bad == 1, "negative target");
    y[1] = 2;
    CHECK(CE(-1, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "n<0");
    CHECK(CE(2, 0, 0, x, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "c=0");
    CHECK(CE(2, 3, 9, x, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "dtype");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 7, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "reduction");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 1.0f, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "eps=1");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, NAN, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "eps=NaN");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 0, -1, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "z<0");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 0, INFINITY, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "z=inf");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 0, 0, NAN, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "scale=NaN");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 2), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "softcap: linear CE only");
    CHECK(CE(2, 3, 0, x, y, NULL, &loss, 0, 0, 0, 0, 0) == S4J_ERR_ARGUMENT, "no options");
    s4j_ce_options defaults;
    s4j_ce_options_init(&defaults);
    int32_t y3[2] = {0, 3};
    CHECK(CE(2, 3, S4J_F32, x, y3, &defaults, &loss, 0, 0, 0, 0, &bad) == S4J_ERR_TARGET &&
              bad == 1,
          "defaults: -100 is ignored, 3 is out of range");
    y3[1] = -100;
    CHECK(CE(2, 3, S4J_F32, x, y3, &defaults, &loss, 0, 0, 0, 0, NULL) == S4J_OK &&
              fabsf(loss - logf(3)) < 1e-6f,
          "defaults: mean over the one row not ignored");
    CHECK(CE(2, 3, 0, NULL, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "null logits");
    CHECK(CE(2, 3, 0, x, NULL, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "null targets");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), NULL, 0, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "null loss");
    CHECK(CE(2, 3, 0, x, y, CE_OPTS(NULL, -100, 0, 0, 0, 1, 0), &loss, NULL, 0, 0, 0, 0) ==
              S4J_ERR_ARGUMENT,
          "none w/o row_loss");
    CHECK(CE(0, 0, 0, NULL, NULL, CE_OPTS(NULL, -100, 1, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
                  S4J_OK &&
              loss == 0.0f,
          "n=0 sum");
    CHECK(CE(0, 0, 0, NULL, NULL, CE_OPTS(NULL, -100, 2, 0, 0, 1, 0), &loss, 0, 0, 0, 0, 0) ==
                  S4J_OK &&
              isnan(loss),
          "n=0 mean is NaN");
    CHECK(s4j_softmax(-1, 3, x, x, 0) == S4J_ERR_ARGUMENT, "softmax n<0");
    CHECK(s4j_softmax(1, 0, x, x, 0) == S4J_ERR_ARGUMENT, "softmax c=0");
    CHECK(s4j_set_isa(42) == S4J_ERR_ARGUMENT, "isa 42");
    CHECK(s4j_set_num_threads(0) == S4J_ERR_ARGUMENT, "threads 0");
}

// Many threads at once, each checking its own result against a serial run;
// and the loss is bit-identical for 1 and 2 kernel threads.
enum { TN = 300, TC = 777 };
static float tx[TN * TC];
static int32_t ty[TN];
static float tloss_serial;
static void *caller(void *arg) {
    float loss, *g = malloc(sizeof(float) * TN * TC);
    long bad = 0;
    for (int it = 0; it < 20; it++) {
        CE(TN, TC, S4J_F32, tx, ty, CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0.05f, 0, 1, 0), &loss,
           NULL, NULL, NULL, g, NULL);
        if (memcmp(&loss, &tloss_serial, sizeof loss) != 0) bad++;
    }
    free(g);
    return (void *)bad;
}

static void concurrency(void) {
    for (int i = 0; i < TN * TC; i++) tx[i] = 4.0f * rnd_normal();
    for (int r = 0; r < TN; r++) ty[r] = rnd_int(TC);
    int saved = s4j_num_threads();
    float loss2, *g = malloc(sizeof(float) * TN * TC);
    // With a gradient, as the callers below (forward-only may sum in another
    // order: the same loss to the last bit or two, not bit for bit).
    s4j_set_num_threads(1);
    CE(TN, TC, S4J_F32, tx, ty, CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0.05f, 0, 1, 0), &tloss_serial,
       NULL, NULL, NULL, g, NULL);
    s4j_set_num_threads(2);
    CE(TN, TC, S4J_F32, tx, ty, CE_OPTS(NULL, -100, S4J_REDUCE_MEAN, 0.05f, 0, 1, 0), &loss2, NULL,
       NULL, NULL, g, NULL);
    free(g);
    CHECK(memcmp(&loss2, &tloss_serial, sizeof loss2) == 0, "1 vs 2 threads: %.9g vs %.9g",
          tloss_serial, loss2);
    pthread_t th[8];
    for (int i = 0; i < 8; i++) pthread_create(&th[i], NULL, caller, NULL);
    for (int i = 0; i < 8; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        CHECK(bad == NULL, "concurrent caller %d saw %ld different losses", i, (long)bad);
    }
    s4j_set_num_threads(saved);
}

int main(void) {
    const char *env = getenv("S4J_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)clock();
    printf("seed %llu (S4J_TEST_SEED=%llu reproduces)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    error_codes();
    for (int isa = S4J_ISA_SCALAR; isa <= S4J_ISA_AVX512; isa++) {
        if (s4j_set_isa(isa) != S4J_OK) {
            printf("isa %d not supported here: skipped\n", isa);
            continue;
        }
        random_cases(400);
        extreme_rows();
        huge_logits();
        streamed_rows();
        softmax_cases();
        concurrency();
    }
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
