/*
 * test_cuda_gemm.c — s4j_cuda_sgemm (float32 and TF32) and s4j_cuda_gemm_bf16
 * against the CPU s4j_sgemm (itself tested against double loops in
 * test_gemm.c): random shapes (0, 1, primes, sizes around the 128x128 tiles
 * and the k slices), the trainer's shapes, 1024^3, all four transpose
 * combinations, alpha/beta (alpha = 0 and k = 0 included), NaN in C with
 * beta = 0, padded leading dimensions (NaN in the padding of A and B) and
 * misaligned matrices (the paths without 16-byte copies); C is poisoned
 * before each call and the padding around it must survive. Argument errors
 * are checked first: they are caught before any CUDA call, so they need no
 * device. Without a GPU the rest is skipped (exit 77).
 * S4J_TEST_SEED=<n> reproduces a run; S4J_TEST_SMALL=1 keeps every path
 * but drops 1024^3, shortens k = 1000 to 300 and draws 40 random shapes,
 * not 200 (for slow executors).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_cuda_util.h"

static uint64_t seed;

#define MATH_BF16 2 // s4j_cuda_gemm_bf16, after S4J_GEMM_FP32 and S4J_GEMM_TF32
static const char *const math_name[] = {"fp32", "tf32", "bf16"};

// Tolerance per element, relative to S = |alpha| sum_p |a_ip b_pj| + |beta c_ij|
// (the size of the terms: cancellation cannot make it too tight).
//  fp32: GPU and CPU add the same float32 products in different orders; each
//        sum is off by ~sqrt(k) 2^-24 S (random rounding errors on partial
//        sums smaller than S): 1e-5 leaves a wide margin up to k ~ 10^5.
//  tf32: A and B rounded to 10 explicit mantissa bits (to nearest: relative
//        error <= 2^-11 each, so <= 2^-10 per product, exact in float32),
//        compared with the CPU on the unrounded inputs: 2^-10, plus the
//        float32 summation as above.
//  bf16: the CPU gets the same bf16-rounded inputs, whose products are exact
//        in float32: only the summation differs, as for fp32.
static const double rel_tol[] = {1e-5, 0x1.0p-10 + 1e-5, 1e-5};

#define SENTINEL 1234.5f // padding of C and the guard after it must keep it
#define GUARD 16         // floats after C

static void *work; // s4j_sgemm's workspace
static int64_t work_bytes;

static void cpu_gemm(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, const float *a,
                     int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    int rc = s4j_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work, work_bytes);
    CHECK(rc == S4J_OK, "CPU s4j_sgemm status %d", rc);
}

// A leading dimension for rows of `cols`: tight, padded by 1..3, or rounded up
// to 8 (16-byte rows for bf16 and float).
static int64_t pick_ld(int64_t cols) {
    int64_t ld;
    switch (rnd() % 3) {
    case 0:
        ld = cols;
        break;
    case 1:
        ld = cols + 1 + (int64_t)(rnd() % 3);
        break;
    default:
        ld = (cols + 7) / 8 * 8;
    }
    return ld > 0 ? ld : 1;
}

// One product in all three maths against the CPU.
static void one(int ta, int tb, int64_t m, int64_t n, int64_t k, float alpha, float beta) {
    const int64_t lda = pick_ld(ta ? m : k), ldb = pick_ld(tb ? k : n), ldc = pick_ld(n);
    const int64_t na = (ta ? k : m) * lda, nb = (tb ? n : k) * ldb, nc = m * ldc;
    // Matrices start 0 or 1 element into their allocation: 1 defeats the
    // 16-byte alignment of the vector paths.
    const int64_t off_a = (int64_t)(rnd() % 4 == 0), off_b = (int64_t)(rnd() % 4 == 0),
                  off_c = (int64_t)(rnd() % 4 == 0);
    float *a = malloc(4 * (size_t)(na + 1)), *b = malloc(4 * (size_t)(nb + 1));
    float *a_abs = malloc(4 * (size_t)(na + 1)), *b_abs = malloc(4 * (size_t)(nb + 1));
    float *a_r = malloc(4 * (size_t)(na + 1)), *b_r = malloc(4 * (size_t)(nb + 1));
    uint16_t *a16 = malloc(2 * (size_t)(na + 1)), *b16 = malloc(2 * (size_t)(nb + 1));
    // Row padding (past the columns of a stored row) is NaN: read, it would
    // leak into C.
    const int64_t cols_a = ta ? m : k, cols_b = tb ? k : n;
    for (int64_t i = 0; i < na; i++) {
        a[i] = i % lda < cols_a ? rnd_sym() : NAN;
        a_abs[i] = fabsf(a[i]);
        s4j_store_elem(a16, S4J_BF16, i, a[i]);
        a_r[i] = s4j_load_elem(a16, S4J_BF16, i);
    }
    for (int64_t i = 0; i < nb; i++) {
        b[i] = i % ldb < cols_b ? rnd_sym() : NAN;
        b_abs[i] = fabsf(b[i]);
        s4j_store_elem(b16, S4J_BF16, i, b[i]);
        b_r[i] = s4j_load_elem(b16, S4J_BF16, i);
    }
    // The device image of C: off_c sentinels, C (NaN when beta == 0; the
    // row padding a sentinel), then GUARD sentinels.
    const int64_t n_img = off_c + nc + GUARD;
    float *img = malloc(4 * (size_t)n_img), *got = malloc(4 * (size_t)n_img);
    for (int64_t i = 0; i < n_img; i++) img[i] = SENTINEL;
    float *c0 = img + off_c;
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c0[i * ldc + j] = beta == 0.0f ? NAN : rnd_sym();

    // references: float32 inputs, bf16-rounded inputs, and S
    float *ref32 = malloc(4 * (size_t)(nc + 1)), *ref16 = malloc(4 * (size_t)(nc + 1));
    float *size = malloc(4 * (size_t)(m * n + 1));
    memcpy(ref32, c0, 4 * (size_t)nc);
    memcpy(ref16, c0, 4 * (size_t)nc);
    cpu_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, ref32, ldc);
    cpu_gemm(ta, tb, m, n, k, alpha, a_r, lda, b_r, ldb, beta, ref16, ldc);
    cpu_gemm(ta, tb, m, n, k, 1.0f, a_abs, lda, b_abs, ldb, 0.0f, size, n > 1 ? n : 1);
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            size[i * n + j] = fabsf(alpha) * size[i * n + j] +
                              (beta == 0.0f ? 0.0f : fabsf(beta * c0[i * ldc + j]));

    float *da = dev(NULL, 4 * (na + 1)), *db = dev(NULL, 4 * (nb + 1));
    uint16_t *da16 = dev(NULL, 2 * (na + 1)), *db16 = dev(NULL, 2 * (nb + 1));
    s4j_cuda_memcpy(da + off_a, a, 4 * na, 0, NULL);
    s4j_cuda_memcpy(db + off_b, b, 4 * nb, 0, NULL);
    s4j_cuda_memcpy(da16 + off_a, a16, 2 * na, 0, NULL);
    s4j_cuda_memcpy(db16 + off_b, b16, 2 * nb, 0, NULL);
    float *dc = dev(NULL, 4 * n_img);

    for (int math = S4J_GEMM_FP32; math <= MATH_BF16; math++) {
        CHECK(s4j_cuda_memcpy(dc, img, 4 * n_img, 0, NULL) == S4J_OK, "h2d: %s",
              s4j_cuda_last_error());
        int rc = math == MATH_BF16
                     ? s4j_cuda_gemm_bf16(ta, tb, m, n, k, alpha, da16 + off_a, lda, db16 + off_b,
                                          ldb, beta, dc + off_c, ldc, NULL)
                     : s4j_cuda_sgemm(ta, tb, m, n, k, alpha, da + off_a, lda, db + off_b, ldb,
                                      beta, dc + off_c, ldc, math, NULL);
        if (rc == S4J_OK) rc = s4j_cuda_stream_synchronize(NULL); // errors of the execution
        CHECK(rc == S4J_OK, "%s ta=%d tb=%d m=%ld n=%ld k=%ld: status %d (%s)", math_name[math], ta,
              tb, (long)m, (long)n, (long)k, rc, s4j_cuda_last_error());
        s4j_cuda_memcpy(got, dc, 4 * n_img, 1, NULL);
        const float *want = math == MATH_BF16 ? ref16 : ref32;
        int bad = 0;
        for (int64_t i = 0; i < n_img; i++) {
            const int64_t e = i - off_c, row = e / ldc, col = e % ldc;
            const int in_c = e >= 0 && row < m && col < n;
            const double tol = in_c ? rel_tol[math] * size[row * n + col] : 0.0;
            const int ok =
                in_c ? fabs((double)got[i] - want[e]) <= tol : memcmp(&got[i], &img[i], 4) == 0;
            if (!ok && bad++ < 3)
                CHECK(0,
                      "seed %llu %s ta=%d tb=%d m=%ld n=%ld k=%ld lda=%ld ldb=%ld ldc=%ld "
                      "offsets %ld %ld %ld alpha=%g beta=%g: %s[%ld, %ld] = %.9g, want %.9g "
                      "(tolerance %.3g)",
                      (unsigned long long)seed, math_name[math], ta, tb, (long)m, (long)n, (long)k,
                      (long)lda, (long)ldb, (long)ldc, (long)off_a, (long)off_b, (long)off_c, alpha,
                      beta, in_c ? "C" : "padding", (long)row, (long)col, got[i],
                      in_c ? want[e] : img[i], tol);
        }
        if (bad > 3) fprintf(stderr, "  ... %d wrong elements in all\n", bad);
    }
    s4j_cuda_free(da);
    s4j_cuda_free(db);
    s4j_cuda_free(da16);
    s4j_cuda_free(db16);
    s4j_cuda_free(dc);
    free(a);
    free(b);
    free(a_abs);
    free(b_abs);
    free(a_r);
    free(b_r);
    free(a16);
    free(b16);
    free(img);
    free(got);
    free(ref32);
    free(ref16);
    free(size);
}

static void random_shapes(int count) {
    static const int64_t sizes[] = {0,  1,  2,   3,   5,   8,   13,  16,  31,  32,  33,
                                    64, 97, 127, 128, 129, 200, 255, 256, 257, 383, 521};
    const int ns = sizeof sizes / sizeof sizes[0];
    for (int it = 0; it < count; it++) {
        int64_t m = sizes[rnd() % ns], n = sizes[rnd() % ns], k = sizes[rnd() % ns];
        float alpha = (float[]){1.0f, -0.75f, 0.0f, 2.0f}[rnd() % 4];
        float beta = (float[]){0.0f, 1.0f, 0.5f}[rnd() % 3];
        one((int)(rnd() & 1), (int)(rnd() & 1), m, n, k, alpha, beta);
    }
}

static void fixed_shapes(int small) {
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            one(ta, tb, 256, 10, 784, 1.0f, 0.0f);   // the trainer: X W
            one(ta, tb, 784, 10, 256, 1.0f, 0.0f);   // X^T dZ
            one(ta, tb, 10, 784, 256, 0.5f, 1.0f);   // m small
            one(ta, tb, 257, 300, 33, 1.0f, 0.5f);   // tiled, partial tiles and k slice
            one(ta, tb, 1100, 300, 40, -1.0f, 0.0f); // 9 tile rows: a partial group
            one(ta, tb, 200, small ? 400 : 1100, small ? 300 : 1000, 1.0f, 1.0f); // many k slices
            if (!small) one(ta, tb, 1024, 1024, 1024, ta ? 1.0f : -0.5f, tb ? 0.0f : 0.75f);
        }
    one(1, 0, 300, 300, 0, 1.0f, 0.5f); // k = 0: C = beta C
    one(0, 1, 300, 300, 0, 1.0f, 0.0f); // ... = 0 over NaN
}

// TF32 rounds to nearest, ties away from zero: 1 + 2^-11 (a tie) becomes
// 1 + 2^-10, exactly, on the small-product and the tiled path alike.
static void tf32_rounding(void) {
    static const int64_t shapes[][3] = {{1, 1, 1}, {300, 300, 1}};
    for (int s = 0; s < 2; s++) {
        const int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
        float *a = malloc(4 * (size_t)(m * k)), *b = malloc(4 * (size_t)(k * n));
        float *c = malloc(4 * (size_t)(m * n));
        for (int64_t i = 0; i < m * k; i++) a[i] = 1.0f + 0x1.0p-11f;
        for (int64_t i = 0; i < k * n; i++) b[i] = 1.0f;
        float *da = dev(a, 4 * m * k), *db = dev(b, 4 * k * n), *dc = dev(NULL, 4 * m * n);
        for (int math = S4J_GEMM_FP32; math <= S4J_GEMM_TF32; math++) {
            int rc = s4j_cuda_sgemm(0, 0, m, n, k, 1.0f, da, k, db, n, 0.0f, dc, n, math, NULL);
            CHECK(rc == S4J_OK, "tf32 rounding: status %d", rc);
            s4j_cuda_memcpy(c, dc, 4 * m * n, 1, NULL);
            const float want = math == S4J_GEMM_TF32 ? 1.0f + 0x1.0p-10f : 1.0f + 0x1.0p-11f;
            int64_t bad = 0;
            for (int64_t i = 0; i < m * n; i++) bad += c[i] != want;
            CHECK(bad == 0, "%s %ldx%ldx%ld: %ld elements are not %.9g (C[0] = %.9g)",
                  math_name[math], (long)m, (long)n, (long)k, (long)bad, want, c[0]);
        }
        s4j_cuda_free(da);
        s4j_cuda_free(db);
        s4j_cuda_free(dc);
        free(a);
        free(b);
        free(c);
    }
}

// Caught before any CUDA call (the pointers are host memory, never used).
static void errors(void) {
    float x[16] = {0};
    const int fp32 = S4J_GEMM_FP32;
#define SGEMM(ta, tb, m, n, k, a, lda, b, ldb, c, ldc, math) \
    s4j_cuda_sgemm(ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, ldc, math, NULL)
    CHECK(SGEMM(0, 0, -1, 2, 2, x, 2, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "m < 0");
    CHECK(SGEMM(0, 0, 2, -1, 2, x, 2, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "n < 0");
    CHECK(SGEMM(0, 0, 2, 2, -1, x, 2, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "k < 0");
    CHECK(SGEMM(0, 0, 2, 2, 3, x, 2, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "lda < k");
    CHECK(SGEMM(1, 0, 3, 2, 2, x, 2, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "lda < m (trans)");
    CHECK(SGEMM(0, 0, 2, 3, 2, x, 2, x, 2, x, 3, fp32) == S4J_ERR_ARGUMENT, "ldb < n");
    CHECK(SGEMM(0, 1, 2, 2, 3, x, 3, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "ldb < k (trans)");
    CHECK(SGEMM(0, 0, 2, 2, 2, x, 2, x, 2, x, 1, fp32) == S4J_ERR_ARGUMENT, "ldc < n");
    CHECK(SGEMM(0, 0, 2, 2, 0, x, 0, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "lda = 0 with k = 0");
    CHECK(SGEMM(0, 0, 2, 2, 2, NULL, 2, x, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "a = NULL");
    CHECK(SGEMM(0, 0, 2, 2, 2, x, 2, NULL, 2, x, 2, fp32) == S4J_ERR_ARGUMENT, "b = NULL");
    CHECK(SGEMM(0, 0, 2, 2, 2, x, 2, x, 2, NULL, 2, fp32) == S4J_ERR_ARGUMENT, "c = NULL");
    CHECK(SGEMM(0, 0, 2, 2, 0, x, 1, x, 2, NULL, 2, fp32) == S4J_ERR_ARGUMENT, "c = NULL, k = 0");
    CHECK(SGEMM(0, 0, 2, 2, 2, x, 2, x, 2, x, 2, 2) == S4J_ERR_ARGUMENT, "math = 2");
    CHECK(SGEMM(0, 0, 2, 2, 2, x, 2, x, 2, x, 2, -1) == S4J_ERR_ARGUMENT, "math = -1");
    CHECK(SGEMM(0, 0, 2, 2, 2, NULL, 2, x, 2, x, 2, S4J_GEMM_TF32) == S4J_ERR_ARGUMENT,
          "tf32 a = NULL");
    CHECK(SGEMM(0, 0, 0, 2, 2, NULL, 2, NULL, 2, NULL, 2, fp32) == S4J_OK, "m = 0 is a no-op");
    CHECK(SGEMM(0, 0, 2, 0, 2, NULL, 2, NULL, 1, NULL, 1, S4J_GEMM_TF32) == S4J_OK,
          "n = 0 is a no-op");
#undef SGEMM
    CHECK(s4j_cuda_gemm_bf16(0, 0, 2, 2, 2, 1.0f, x, 2, NULL, 2, 0.0f, x, 2, NULL) ==
              S4J_ERR_ARGUMENT,
          "bf16 b = NULL");
    CHECK(s4j_cuda_gemm_bf16(1, 1, 3, 2, 2, 1.0f, x, 2, x, 2, 0.0f, x, 2, NULL) == S4J_ERR_ARGUMENT,
          "bf16 lda < m (trans)");
    CHECK(s4j_cuda_gemm_bf16(0, 0, 0, 0, 0, 1.0f, NULL, 1, NULL, 1, 0.0f, NULL, 1, NULL) == S4J_OK,
          "bf16 m = n = 0 is a no-op");
}

int main(void) {
    errors(); // the argument checks need no device
    int small;
    if (!cuda_test_start("CUDA GEMM tests", &seed, &small)) return cuda_test_skip();
    work_bytes = (s4j_sgemm_workspace_size() + 63) / 64 * 64;
    work = aligned_alloc(64, (size_t)work_bytes);
    tf32_rounding();
    fixed_shapes(small);
    random_shapes(small ? 40 : 200);
    free(work);
    return cuda_test_end();
}
