/*
 * test_gemm.c — s4j_sgemm and the step helpers against double-precision
 * loops: random shapes (primes, sizes around the register tiles, the
 * skinny trainer shapes), all transposes, alpha/beta, NaN in C with
 * beta = 0, both ISAs, several thread counts, and error codes.
 * S4J_TEST_SEED=<n> reproduces a run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_util.h"

static void *work;
static int64_t work_bytes;

// One product against the double reference; bound: |err| <= 4 eps k max|a||b| + ...
static void one(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, float beta,
                int nan_c) {
    int64_t lda = (ta ? m : k) + (int64_t)(rnd() % 3), ldb = (tb ? k : n) + (int64_t)(rnd() % 3),
            ldc = n + (int64_t)(rnd() % 3);
    if (lda < 1) lda = 1;
    if (ldb < 1) ldb = 1;
    if (ldc < 1) ldc = 1;
    int64_t arows = ta ? k : m, brows = tb ? n : k;
    float *a = malloc(sizeof(float) * (size_t)(arows * lda + 1));
    float *b = malloc(sizeof(float) * (size_t)(brows * ldb + 1));
    float *c = malloc(sizeof(float) * (size_t)(m * ldc + 1));
    double *want = malloc(sizeof(double) * (size_t)(m * n + 1));
    for (int64_t i = 0; i < arows * lda; i++) a[i] = rnd_sym();
    for (int64_t i = 0; i < brows * ldb; i++) b[i] = rnd_sym();
    for (int64_t i = 0; i < m * ldc; i++) c[i] = nan_c ? NAN : rnd_sym();
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            double acc = 0;
            for (int64_t p = 0; p < k; p++)
                acc += (double)(ta ? a[p * lda + i] : a[i * lda + p]) *
                       (double)(tb ? b[j * ldb + p] : b[p * ldb + j]);
            want[i * n + j] = alpha * acc + (beta == 0.0f ? 0.0 : beta * (double)c[i * ldc + j]);
        }
    // padding between rows of C must survive
    float pad_before = m > 0 && ldc > n ? c[n] : 0.0f;
    int rc = s4j_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work, work_bytes);
    CHECK(rc == S4J_OK, "status %d", rc);
    // float32 with k-term sums: |err| <= k * 2^-23 * sum|a||b| ~ k 1.2e-7 (|a|,|b| <= 1)
    double tol = 2e-6 * (double)(k + 1) * fabs(alpha) + 1e-6;
    int bad = 0;
    for (int64_t i = 0; i < m && bad < 3; i++)
        for (int64_t j = 0; j < n && bad < 3; j++) {
            double got = c[i * ldc + j];
            if (!(fabs(got - want[i * n + j]) <= tol)) {
                bad++;
                CHECK(0,
                      "isa=%d ta=%d tb=%d m=%ld n=%ld k=%ld alpha=%g beta=%g nanC=%d: "
                      "C[%ld,%ld]=%.7g want %.7g",
                      s4j_isa(), ta, tb, (long)m, (long)n, (long)k, alpha, beta, nan_c, (long)i,
                      (long)j, got, want[i * n + j]);
            }
        }
    if (m > 0 && ldc > n)
        CHECK(memcmp(&c[n], &pad_before, 4) == 0 || (isnan(c[n]) && isnan(pad_before)),
              "padding of C overwritten");
    free(a);
    free(b);
    free(c);
    free(want);
}

static void random_shapes(int count) {
    static const int64_t sizes[] = {0,  1,  2,  3,  5,  6,  7,  8,  9,   10,  13, 15,
                                    16, 17, 23, 31, 33, 47, 64, 97, 129, 257, 300};
    const int ns = sizeof sizes / sizeof sizes[0];
    for (int it = 0; it < count; it++) {
        int64_t m = sizes[rnd() % ns], n = sizes[rnd() % ns], k = sizes[rnd() % ns];
        float alpha = (rnd() & 1) ? 1.0f : -0.75f;
        float beta = (float[]){0.0f, 1.0f, 0.5f}[rnd() % 3];
        one((int)(rnd() & 1), (int)(rnd() & 1), m, n, k, alpha, beta, beta == 0.0f && (rnd() & 1));
    }
}

static void trainer_shapes(void) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            one(ta, tb, 256, 10, 784, 1.0f, 0.0f, 1);   // forward X W
            one(ta, tb, 784, 10, 256, 1.0f, 0.0f, 1);   // X^T dZ
            one(ta, tb, 10, 784, 256, 0.5f, 1.0f, 0);   // m <= 16 via C^T
            one(ta, tb, 37, 611, 300, 1.0f, 0.5f, 0);   // blocked path, partial tiles
            one(ta, tb, 301, 3100, 260, 1.0f, 0.0f, 1); // more than one NC and KC block
        }
}

static void helpers(void) {
    float y[6] = {1, 2, 3, 4, 5, 6}, bias[3] = {10, 20, 30}, out[3] = {NAN, NAN, NAN};
    CHECK(s4j_add_bias(2, 3, bias, y) == S4J_OK && y[0] == 11 && y[5] == 36, "add_bias");
    CHECK(s4j_column_sums(2, 3, 2.0f, y, 0.0f, out) == S4J_OK && out[0] == 2 * (11 + 14) &&
              out[2] == 2 * (33 + 36),
          "column_sums");
    uint8_t px[6] = {0, 255, 51, 1, 2, 3};
    int32_t idx[2] = {1, 0};
    float f[6];
    int64_t bad = -1;
    CHECK(s4j_gather_rows(2, 3, S4J_U8, px, 2, idx, 1.0f / 255, NULL, NULL, f, &bad) == S4J_OK &&
              f[0] == 1.0f / 255 && fabsf(f[4] - 1.0f) < 1e-6f && fabsf(f[5] - 0.2f) < 1e-6f &&
              f[3] == 0.0f,
          "gather");
    // float rows, standardised per column: (x - shift) * col_scale, times scale
    float fx[6] = {1, 2, 3, 4, 5, 6}, sh[3] = {1, 1, 1}, cs[3] = {1, 2, 4};
    CHECK(s4j_gather_rows(2, 3, S4J_F32, fx, 2, idx, 0.5f, sh, cs, f, &bad) == S4J_OK &&
              f[0] == 1.5f && f[1] == 4.0f && f[2] == 10.0f && f[3] == 0.0f && f[5] == 4.0f,
          "gather f32 affine");
    CHECK(s4j_gather_rows(2, 3, S4J_F32, fx, 2, idx, 1.0f, NULL, cs, f, &bad) == S4J_OK &&
              f[0] == 4.0f && f[2] == 24.0f,
          "gather f32 column scale only");
    CHECK(s4j_gather_rows(2, 3, S4J_F16, fx, 2, idx, 1.0f, NULL, NULL, f, &bad) == S4J_ERR_ARGUMENT,
          "gather: U8 or F32 only");
    idx[1] = 2;
    CHECK(s4j_gather_rows(2, 3, S4J_U8, px, 2, idx, 1.0f, NULL, NULL, f, &bad) ==
                  S4J_ERR_ARGUMENT &&
              bad == 1,
          "gather bad index");
    float w[2] = {1, 2}, g[2] = {0.5f, -1}, v[2] = {0, 0};
    CHECK(s4j_sgd_step(2, 0.1f, 0.9f, 0.0f, w, g, v) == S4J_OK && fabsf(w[0] - 0.95f) < 1e-7f &&
              v[1] == -1,
          "sgd momentum");
    CHECK(s4j_sgd_step(2, 0.1f, 0.9f, 0.0f, w, g, v) == S4J_OK && fabsf(v[0] - 0.95f) < 1e-7f,
          "sgd momentum 2");
    CHECK(s4j_sgd_step(2, 0.1f, 0.5f, 0.0f, w, g, NULL) == S4J_ERR_ARGUMENT,
          "sgd momentum without v");
}

static void errors(void) {
    float a[4] = {0}, c[4] = {0};
    CHECK(s4j_sgemm(0, 0, -1, 2, 2, 1, a, 2, a, 2, 0, c, 2, work, work_bytes) == S4J_ERR_ARGUMENT,
          "m<0");
    CHECK(s4j_sgemm(0, 0, 2, 2, 2, 1, a, 1, a, 2, 0, c, 2, work, work_bytes) == S4J_ERR_ARGUMENT,
          "lda<k");
    CHECK(s4j_sgemm(1, 0, 3, 2, 2, 1, a, 2, a, 2, 0, c, 2, work, work_bytes) == S4J_ERR_ARGUMENT,
          "lda<m (trans)");
    CHECK(s4j_sgemm(0, 1, 2, 2, 3, 1, a, 3, a, 2, 0, c, 2, work, work_bytes) == S4J_ERR_ARGUMENT,
          "ldb<k (trans)");
    CHECK(s4j_sgemm(0, 0, 2, 2, 2, 1, a, 2, a, 2, 0, c, 1, work, work_bytes) == S4J_ERR_ARGUMENT,
          "ldc<n");
    CHECK(s4j_sgemm(0, 0, 2, 2, 2, 1, NULL, 2, a, 2, 0, c, 2, work, work_bytes) == S4J_ERR_ARGUMENT,
          "null a");
    CHECK(s4j_sgemm(0, 0, 2, 2, 2, 1, a, 2, a, 2, 0, c, 2, NULL, 0) == S4J_ERR_ARGUMENT,
          "no workspace");
    CHECK(s4j_sgemm(0, 0, 2, 2, 2, 1, a, 2, a, 2, 0, c, 2, (char *)work + 4, work_bytes - 64) ==
              S4J_ERR_ARGUMENT,
          "misaligned workspace");
    CHECK(s4j_sgemm(0, 0, 0, 2, 2, 1, NULL, 2, NULL, 2, 0, NULL, 2, NULL, 0) == S4J_OK,
          "m=0 is a no-op");
    float cc[4] = {NAN, NAN, 1, 1};
    CHECK(s4j_sgemm(0, 0, 2, 2, 0, 1, a, 1, a, 2, 0, cc, 2, work, work_bytes) == S4J_OK &&
              cc[0] == 0 && cc[3] == 0,
          "k=0 beta=0 zeroes C");
}

int main(void) {
    const char *env = getenv("S4J_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)clock();
    printf("seed %llu (S4J_TEST_SEED=%llu reproduces)\n", (unsigned long long)seed,
           (unsigned long long)seed);
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    s4j_set_num_threads(4);
    work_bytes = s4j_sgemm_workspace_size();
    work = aligned_alloc(64, (size_t)work_bytes);
    errors();
    helpers();
    for (int isa = S4J_ISA_SCALAR; isa <= S4J_ISA_AVX512; isa++) {
        if (s4j_set_isa(isa) != S4J_OK) {
            printf("isa %d not supported here: skipped\n", isa);
            continue;
        }
        for (int threads = 1; threads <= 4; threads *= 2) {
            s4j_set_num_threads(threads);
            random_shapes(150);
            trainer_shapes();
        }
    }
    free(work);
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
