/*
 * test_cuda.c — the CUDA library: on a machine without GPU or driver it must
 * load and say so (S4J_ERR_CUDA with a message; the test then reports
 * "skipped", exit code 77); with a device, s4j_cuda_softmax_ce must match
 * the CPU kernel (itself tested against a double reference) on random
 * inputs, every dtype and option, outputs poisoned before each call; so
 * must s4j_cuda_softmax and the training step's helpers (bias, column sums,
 * SGD, gather with a bad index, step statistics).
 * S4J_TEST_SEED=<n> reproduces a run; S4J_TEST_SMALL=1 keeps every path
 * (each dtype with cached and uncached rows) but shrinks the shapes (for
 * slow executors).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_cuda_util.h"

static void one(int64_t n, int64_t c, int32_t dtype, int red, float eps, float zc, int weighted) {
    const int64_t es = s4j_dtype_size(dtype), bytes = n * c * es;
    char *x = malloc((size_t)bytes), *g_cpu = malloc((size_t)bytes), *g_gpu = malloc((size_t)bytes);
    int32_t *y = malloc(4 * (size_t)n);
    float *w = weighted ? malloc(4 * (size_t)c) : NULL;
    for (int64_t i = 0; i < n * c; i++) s4j_store_elem(x, dtype, i, 6.0f * rnd_sym());
    for (int64_t r = 0; r < n; r++) y[r] = rnd() % 4 == 0 ? -100 : (int32_t)(rnd() % (uint64_t)c);
    for (int64_t k = 0; k < c && w; k++) w[k] = 0.5f + 0.5f * rnd_sym();
    float loss_cpu, loss_gpu = NAN;
    float *rl_cpu = malloc(4 * (size_t)n), *rl_gpu = malloc(4 * (size_t)n);
    int32_t *am_cpu = malloc(4 * (size_t)n), *am_gpu = malloc(4 * (size_t)n);
    s4j_softmax_ce(n, c, dtype, x, y, CE_OPTS(w, -100, red, eps, zc, 1.0f, 0), &loss_cpu, rl_cpu,
                   NULL, am_cpu, g_cpu, NULL, NULL, 0);
    void *dx = dev(x, bytes), *dy = dev(y, 4 * n), *dw = w ? dev(w, 4 * c) : NULL,
         *dg = dev(NULL, bytes);
    void *dl = dev(NULL, 4), *drl = dev(NULL, 4 * n), *dam = dev(NULL, 4 * n);
    int64_t wb = s4j_cuda_softmax_ce_workspace_size(n);
    void *work = dev(NULL, wb);
    int rc = s4j_cuda_softmax_ce(n, c, dtype, dx, dy, CE_OPTS(dw, -100, red, eps, zc, 1.0f, 0), dl,
                                 drl, NULL, dam, dg, work, wb, NULL);
    CHECK(rc == S4J_OK, "launch: %s", s4j_cuda_last_error());
    s4j_cuda_memcpy(&loss_gpu, dl, 4, 1, NULL);
    s4j_cuda_memcpy(g_gpu, dg, bytes, 1, NULL);
    s4j_cuda_memcpy(rl_gpu, drl, 4 * n, 1, NULL);
    s4j_cuda_memcpy(am_gpu, dam, 4 * n, 1, NULL);
    const double tol = dtype == S4J_F32 ? 1e-5 : 1e-2;
    CHECK(fabs(loss_gpu - loss_cpu) <= 1e-5 * fabs(loss_cpu) + 1e-6 ||
              (isnan(loss_gpu) && isnan(loss_cpu)),
          "n=%ld c=%ld dtype=%d red=%d: loss %g vs %g", (long)n, (long)c, dtype, red, loss_gpu,
          loss_cpu);
    double num = 0, den = 0;
    for (int64_t i = 0; i < n * c; i++) {
        double a = s4j_load_elem(g_gpu, dtype, i), b = s4j_load_elem(g_cpu, dtype, i);
        num += (a - b) * (a - b);
        den += b * b;
    }
    CHECK(sqrt(num) <= tol * sqrt(den) + 1e-6, "n=%ld c=%ld dtype=%d: gradient rel err %g", (long)n,
          (long)c, dtype, sqrt(num / den));
    // 16-bit gradients: both sides round the same float32 value once, to
    // nearest even, so they differ only where their float32 values straddle
    // a rounding boundary (~1e-4 of the elements); more is a wrong rounding.
    // Not the target's column: p - 1 cancels when p is near 1.
    int64_t differ = 0;
    for (int64_t i = 0; dtype != S4J_F32 && i < n * c; i++)
        differ += i % c != y[i / c] && memcmp(g_gpu + i * es, g_cpu + i * es, (size_t)es) != 0;
    CHECK(differ <= n * c / 100 + 1,
          "n=%ld c=%ld dtype=%d: %ld of %ld gradient values differ from the CPU's", (long)n,
          (long)c, dtype, (long)differ, (long)(n * c));
    for (int64_t r = 0; r < n; r++) {
        CHECK(am_gpu[r] == am_cpu[r], "argmax[%ld] %d vs %d", (long)r, am_gpu[r], am_cpu[r]);
        CHECK(fabs(rl_gpu[r] - rl_cpu[r]) <= 1e-4 * fabs(rl_cpu[r]) + 1e-5, "row %ld loss %g vs %g",
              (long)r, rl_gpu[r], rl_cpu[r]);
    }
    s4j_cuda_free(dx);
    s4j_cuda_free(dy);
    s4j_cuda_free(dw);
    s4j_cuda_free(dg);
    s4j_cuda_free(dl);
    s4j_cuda_free(drl);
    s4j_cuda_free(dam);
    s4j_cuda_free(work);
    free(x);
    free(g_cpu);
    free(g_gpu);
    free(y);
    free(w);
    free(rl_cpu);
    free(rl_gpu);
    free(am_cpu);
    free(am_gpu);
}

// Logits at and near +-FLT_MAX with z-loss (up to 1), label smoothing and
// class weights, rows cached in shared memory and not: the GPU forms the
// per-row scalars in double as the CPU does (ce_row.h); float intermediates
// overflowed on both (NaN gradients, infinite losses where the exact ones
// are finite: FUZZING.md). Elementwise against the CPU, infinities included.
static void huge_rows(void) {
    static const int64_t cs[] = {10, 300, 9000};
    const float M = 3.40282347e38f;
    enum { N = 4 };
    for (int ci = 0; ci < 3; ci++)
        for (int mode = 0; mode < 24; mode++) {
            const int64_t c = cs[ci];
            const float zc = (float[]){0.0f, 1e-4f, 1.0f}[mode % 3],
                        eps = mode / 3 % 2 ? 0.1f : 0.0f;
            const int weighted = mode / 6 % 2, red = 1 + mode / 12;
            float *x = malloc(4 * (size_t)(N * c)), *g_cpu = malloc(4 * (size_t)(N * c)),
                  *g_gpu = malloc(4 * (size_t)(N * c));
            float *w = malloc(4 * (size_t)c);
            int32_t y[N] = {1, 0, (int32_t)(c / 2), 3};
            for (int64_t i = 0; i < N * c; i++) x[i] = 3.0f * rnd_sym();
            x[0] = M;
            x[1] = -M;
            for (int64_t k = 0; k < c; k++) x[c + k] = k % 2 ? -M : M;
            for (int64_t k = 0; k < c; k++)
                x[2 * c + k] = M * (1.0f - 2.0f * (float)k / (float)(c - 1));
            for (int64_t k = 0; k < c; k++) w[k] = 0.1f + 0.05f * (float)(k % 5);
            const float *cw = weighted ? w : NULL;
            float loss_cpu = NAN, loss_gpu = NAN, rl_cpu[N], rl_gpu[N];
            s4j_softmax_ce(N, c, S4J_F32, x, y, CE_OPTS(cw, -100, red, eps, zc, 1.0f, 0), &loss_cpu,
                           rl_cpu, NULL, NULL, g_cpu, NULL, NULL, 0);
            void *dx = dev(x, 4 * N * c), *dy = dev(y, sizeof y),
                 *dw = weighted ? dev(w, 4 * c) : NULL;
            void *dg = dev(NULL, 4 * N * c), *dl = dev(NULL, 4), *drl = dev(NULL, sizeof rl_gpu);
            int64_t wb = s4j_cuda_softmax_ce_workspace_size(N);
            void *work = dev(NULL, wb);
            int rc =
                s4j_cuda_softmax_ce(N, c, S4J_F32, dx, dy, CE_OPTS(dw, -100, red, eps, zc, 1.0f, 0),
                                    dl, drl, NULL, NULL, dg, work, wb, NULL);
            CHECK(rc == S4J_OK, "huge: launch %s", s4j_cuda_last_error());
            s4j_cuda_memcpy(&loss_gpu, dl, 4, 1, NULL);
            s4j_cuda_memcpy(rl_gpu, drl, sizeof rl_gpu, 1, NULL);
            s4j_cuda_memcpy(g_gpu, dg, 4 * N * c, 1, NULL);
#define SAME(a, b, tol)        \
    ((isnan(a) && isnan(b)) || \
     (isinf(b) ? (a) == (b) : fabs((double)(a) - (b)) <= (tol)*fabs(b) + 1e-6))
            int bad = 0;
            for (int64_t i = 0; i < N * c; i++)
                if (!SAME(g_gpu[i], g_cpu[i], 1e-4) || isnan(g_gpu[i])) bad++;
            CHECK(bad == 0,
                  "huge c=%ld z=%g eps=%g w=%d red=%d: %d gradient values differ from the CPU's "
                  "(or NaN)",
                  (long)c, zc, eps, weighted, red, bad);
            CHECK(SAME(loss_gpu, loss_cpu, 1e-5),
                  "huge c=%ld z=%g eps=%g w=%d red=%d: loss %g vs %g", (long)c, zc, eps, weighted,
                  red, loss_gpu, loss_cpu);
            for (int r = 0; r < N; r++)
                CHECK(SAME(rl_gpu[r], rl_cpu[r], 1e-5),
                      "huge c=%ld z=%g eps=%g w=%d red=%d: row %d loss %g vs %g", (long)c, zc, eps,
                      weighted, red, r, rl_gpu[r], rl_cpu[r]);
#undef SAME
            s4j_cuda_free(dx);
            s4j_cuda_free(dy);
            s4j_cuda_free(dw);
            s4j_cuda_free(dg);
            s4j_cuda_free(dl);
            s4j_cuda_free(drl);
            s4j_cuda_free(work);
            free(x);
            free(g_cpu);
            free(g_gpu);
            free(w);
        }
}

static float *back(const void *d, int64_t floats) {
    float *h = malloc(4 * (size_t)floats);
    CHECK(s4j_cuda_memcpy(h, d, 4 * floats, 1, NULL) == S4J_OK, "d2h: %s", s4j_cuda_last_error());
    return h;
}

// got[i] within tol |want[i]| (+ 1e-7) of want[i]; frees got
static void close_to(const char *what, float *got, const float *want, int64_t count, double tol) {
    int bad = 0;
    for (int64_t i = 0; i < count; i++)
        if (!(fabs((double)got[i] - want[i]) <= tol * fabs(want[i]) + 1e-7) && bad++ < 3)
            CHECK(0, "%s[%ld] = %.9g, want %.9g", what, (long)i, got[i], want[i]);
    free(got);
}

// s4j_cuda_softmax (rows cached in shared memory and not) and the training
// step's helpers against their CPU versions.
static void helpers(void) {
    static const int64_t cs[] = {1, 1000, 9000};
    for (int k = 0; k < 3; k++)
        for (int log = 0; log < 2; log++) {
            const int64_t n = 3, c = cs[k];
            float *x = malloc(4 * (size_t)(n * c)), *want = malloc(4 * (size_t)(n * c));
            for (int64_t i = 0; i < n * c; i++) x[i] = 6.0f * rnd_sym();
            s4j_softmax(n, c, x, want, log);
            void *dx = dev(x, 4 * n * c), *dy = dev(NULL, 4 * n * c);
            CHECK(s4j_cuda_softmax(n, c, dx, dy, log, NULL) == S4J_OK, "softmax: %s",
                  s4j_cuda_last_error());
            close_to(log ? "log_softmax" : "softmax", back(dy, n * c), want, n * c, 1e-5);
            s4j_cuda_free(dx);
            s4j_cuda_free(dy);
            free(x);
            free(want);
        }

    enum { N = 37, C = 13 };
    float x[N * C], y[N * C], bias[C], g[N * C], v[N * C], out[C];
    for (int i = 0; i < N * C; i++) x[i] = rnd_sym(), g[i] = rnd_sym(), v[i] = rnd_sym();
    for (int j = 0; j < C; j++) bias[j] = rnd_sym(), out[j] = rnd_sym();
    void *dx = dev(x, sizeof x), *dbias = dev(bias, sizeof bias), *dg = dev(g, sizeof g);
    void *dv = dev(v, sizeof v), *dout = dev(out, sizeof out), *dnan = dev(NULL, sizeof out);
    CHECK(s4j_cuda_add_bias(N, C, dbias, dx, NULL) == S4J_OK, "add_bias");
    memcpy(y, x, sizeof x);
    s4j_add_bias(N, C, bias, y);
    close_to("add_bias", back(dx, N * C), y, N * C, 0);
    CHECK(s4j_cuda_column_sums(N, C, 0.5f, dx, 0.0f, dnan, NULL) == S4J_OK,
          "column_sums"); // NaN not read
    CHECK(s4j_cuda_column_sums(N, C, 2.0f, dx, 0.5f, dout, NULL) == S4J_OK, "column_sums");
    float sums[C], sums2[C];
    memcpy(sums2, out, sizeof out);
    s4j_column_sums(N, C, 0.5f, y, 0.0f, sums);
    s4j_column_sums(N, C, 2.0f, y, 0.5f, sums2);
    close_to("column_sums beta=0", back(dnan, C), sums, C, 1e-6);
    close_to("column_sums beta=0.5", back(dout, C), sums2, C, 1e-6);
    CHECK(s4j_cuda_sgd_step(N * C, 0.1f, 0.9f, 1e-2f, dx, dg, dv, NULL) == S4J_OK, "sgd");
    CHECK(s4j_cuda_sgd_step(N * C, 0.1f, 0.0f, 0.0f, dx, dg, NULL, NULL) == S4J_OK,
          "sgd, no momentum");
    s4j_sgd_step(N * C, 0.1f, 0.9f, 1e-2f, y, g, v);
    s4j_sgd_step(N * C, 0.1f, 0.0f, 0.0f, y, g, NULL);
    close_to("sgd w", back(dx, N * C), y, N * C, 1e-6);
    close_to("sgd v", back(dv, N * C), v, N * C, 1e-6);
    s4j_cuda_free(dx);
    s4j_cuda_free(dbias);
    s4j_cuda_free(dg);
    s4j_cuda_free(dv);
    s4j_cuda_free(dout);
    s4j_cuda_free(dnan);

    // gather: uint8 and float rows, plain and standardised, 784 and 13
    // columns; index 7 is out of range: a NaN row on the GPU, an error on
    // the CPU
    static const int64_t cols_of[] = {784, 13};
    for (int k = 0; k < 4; k++) {
        const int64_t cols = cols_of[k % 2], rows = 4;
        const int32_t dt = k < 2 ? S4J_U8 : S4J_F32;
        const int64_t esize = dt == S4J_U8 ? 1 : 4;
        uint8_t *src = malloc((size_t)(5 * cols * esize));
        float *want = malloc(4 * (size_t)(rows * cols)), *sh = malloc(4 * (size_t)cols),
              *cs = malloc(4 * (size_t)cols);
        for (int64_t i = 0; i < 5 * cols; i++) {
            if (dt == S4J_U8)
                src[i] = (uint8_t)rnd();
            else
                ((float *)src)[i] = (float)(rnd_unit() - 0.5);
        }
        for (int64_t j = 0; j < cols; j++)
            sh[j] = (float)rnd_unit(), cs[j] = (float)(0.5 + rnd_unit());
        const int affine = dt == S4J_F32;
        int32_t index[] = {3, 0, 7, 4}, good[] = {3, 0, 0, 4};
        s4j_gather_rows(rows, cols, dt, src, 5, good, 1.0f / 255, affine ? sh : NULL,
                        affine ? cs : NULL, want, NULL);
        for (int64_t j = 0; j < cols; j++) want[2 * cols + j] = NAN;
        void *dsrc = dev(src, 5 * cols * esize), *dindex = dev(index, sizeof index),
             *dgot = dev(NULL, 4 * rows * cols);
        void *dsh = dev(sh, 4 * cols), *dcs = dev(cs, 4 * cols);
        CHECK(s4j_cuda_gather_rows(rows, cols, dt, dsrc, 5, dindex, 1.0f / 255, affine ? dsh : NULL,
                                   affine ? dcs : NULL, dgot, NULL) == S4J_OK,
              "gather");
        float *got = back(dgot, rows * cols);
        for (int64_t i = 0; i < rows * cols; i++)
            CHECK(memcmp(&got[i], &want[i], 4) == 0 || (isnan(got[i]) && isnan(want[i])),
                  "gather %ld columns [%ld] = %g, want %g", (long)cols, (long)i, got[i], want[i]);
        s4j_cuda_free(dsrc);
        s4j_cuda_free(dindex);
        s4j_cuda_free(dgot);
        s4j_cuda_free(dsh);
        s4j_cuda_free(dcs);
        free(src);
        free(want);
        free(got);
        free(sh);
        free(cs);
    }

    // step statistics: loss_sum += 1.5 * 0.5, correct += the matches
    int32_t argmax[N], targets[N], matches = 0;
    for (int i = 0; i < N; i++) argmax[i] = (int32_t)(rnd() % 3), targets[i] = (int32_t)(rnd() % 3);
    for (int i = 0; i < N; i++) matches += argmax[i] == targets[i];
    const float loss = 1.5f;
    double loss_sum = 1.0;
    int64_t correct = 2;
    void *dloss = dev(&loss, 4), *dam = dev(argmax, sizeof argmax),
         *dt = dev(targets, sizeof targets);
    void *dsum = dev(&loss_sum, 8), *dcorrect = dev(&correct, 8);
    CHECK(s4j_cuda_step_stats(N, dloss, 0.5f, dam, dt, dsum, dcorrect, NULL) == S4J_OK,
          "step_stats");
    s4j_cuda_memcpy(&loss_sum, dsum, 8, 1, NULL);
    s4j_cuda_memcpy(&correct, dcorrect, 8, 1, NULL);
    CHECK(loss_sum == 1.75 && correct == 2 + matches, "step_stats: %g and %ld, want 1.75 and %d",
          loss_sum, (long)correct, 2 + matches);
    s4j_cuda_free(dloss);
    s4j_cuda_free(dam);
    s4j_cuda_free(dt);
    s4j_cuda_free(dsum);
    s4j_cuda_free(dcorrect);
}

// A recorded graph runs nothing until launched, then all of it per launch:
// an SGD step w -= 0.5 g recorded once and launched twice moves w by 2 x 0.5 g.
static void graphs(void) {
    CHECK(s4j_cuda_graph_begin(NULL) == S4J_ERR_ARGUMENT, "graph on the default stream");
    CHECK(s4j_cuda_graph_launch(NULL, NULL) == S4J_ERR_ARGUMENT, "launch of no graph");
    void *stream = NULL, *graph = NULL;
    CHECK(s4j_cuda_stream_create(&stream) == S4J_OK, "stream: %s", s4j_cuda_last_error());
    float w[5] = {1, 2, 3, 4, 5}, g[5] = {1, 1, 2, 2, 4}, back[5];
    float *dw = dev(w, sizeof w), *dg = dev(g, sizeof g);
    CHECK(s4j_cuda_graph_begin(stream) == S4J_OK, "begin: %s", s4j_cuda_last_error());
    CHECK(s4j_cuda_sgd_step(5, 0.5f, 0.0f, 0.0f, dw, dg, NULL, stream) == S4J_OK, "recorded sgd");
    CHECK(s4j_cuda_graph_end(stream, &graph) == S4J_OK && graph, "end: %s", s4j_cuda_last_error());
    s4j_cuda_memcpy(back, dw, sizeof back, 1, NULL);
    CHECK(!memcmp(back, w, sizeof w), "a recorded step ran before its launch");
    for (int i = 0; i < 2; i++)
        CHECK(s4j_cuda_graph_launch(graph, stream) == S4J_OK, "launch: %s", s4j_cuda_last_error());
    s4j_cuda_memcpy(back, dw, sizeof back, 1,
                    NULL); // the default stream waits for the stream's work
    for (int i = 0; i < 5; i++)
        CHECK(back[i] == w[i] - g[i], "after two launches w[%d] = %g, want %g", i, back[i],
              w[i] - g[i]);
    CHECK(s4j_cuda_graph_destroy(graph) == S4J_OK, "destroy: %s", s4j_cuda_last_error());
    void *none = dw;
    CHECK(s4j_cuda_graph_end(stream, &none) != S4J_OK && !none, "end without a begin");
    CHECK(s4j_cuda_graph_destroy(NULL) == S4J_OK, "destroy of no graph");
    s4j_cuda_free(dw);
    s4j_cuda_free(dg);
    CHECK(s4j_cuda_stream_destroy(stream) == S4J_OK, "stream destroy: %s", s4j_cuda_last_error());
}

int main(void) {
    uint64_t seed;
    int small;
    if (!cuda_test_start("CUDA tests", &seed, &small)) return cuda_test_skip();
    // rows of up to 8192 classes are cached in shared memory, longer ones not
    static const int64_t cs[] = {1, 2, 7, 10, 33, 1000, 8192, 8193, 32769};
    for (int it = 0; it < (small ? 27 : 60); it++) { // first every class count in every dtype
        int64_t c = cs[it < 27 ? it % 9 : (int)(rnd() % 9)];
        int64_t n = 1 + (int64_t)(rnd() % (c > 4096 ? (small ? 3 : 17) : (small ? 40 : 300)));
        int32_t dtype = it < 27 ? it / 9 : (int32_t)(rnd() % 3);
        one(n, c, dtype, (int)(rnd() % 2) + 1, rnd() % 2 ? 0.0f : 0.1f, rnd() % 2 ? 0.0f : 1e-3f,
            (int)(rnd() % 2));
    }
    huge_rows();
    helpers();
    graphs();
    return cuda_test_end();
}
