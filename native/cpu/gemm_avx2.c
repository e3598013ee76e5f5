/*
 * gemm_avx2.c — AVX2/FMA GEMM micro-kernels (contracts in internal.h):
 * the 6x16 register tile of the blocked path and the two skinny tiles
 * for n <= 16 (2 x 5 and 16 x 6; gemm.c loops over them). The only GEMM file compiled with -mavx2 -mfma.
 *
 * 6x16: 12 accumulators (6 rows x 2 vectors) + 2 B vectors + 1 broadcast =
 * 15 of the 16 ymm registers; per k step 2 loads and 6 broadcasts feed 12
 * FMAs, so the two FMA pipes, not the loads, are the limit.
 */
#include <immintrin.h>

#include "internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
// The register tiles' loops over rows and columns (#pragma GCC unroll) have
// constant trip counts in each specialised copy; unrolled completely, their
// accumulators live in registers. GCC does not always do it by itself: without
// the pragmas, nt/tn tiles kept them on the stack, 2.3x slower (NOTES.md).

// ---------------------------------------------------------------------------
// blocked path: 6 x 16 tile

void s4j_sgemm_ukr_avx2_6x16(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                             float alpha, float beta) {
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
#pragma GCC unroll 4
    for (int64_t p = 0; p < k; p++, a += 6, b += 16) {
        __m256 b0 = _mm256_load_ps(b), b1 = _mm256_load_ps(b + 8), t;
        t = _mm256_broadcast_ss(a + 0);
        c00 = _mm256_fmadd_ps(t, b0, c00), c01 = _mm256_fmadd_ps(t, b1, c01);
        t = _mm256_broadcast_ss(a + 1);
        c10 = _mm256_fmadd_ps(t, b0, c10), c11 = _mm256_fmadd_ps(t, b1, c11);
        t = _mm256_broadcast_ss(a + 2);
        c20 = _mm256_fmadd_ps(t, b0, c20), c21 = _mm256_fmadd_ps(t, b1, c21);
        t = _mm256_broadcast_ss(a + 3);
        c30 = _mm256_fmadd_ps(t, b0, c30), c31 = _mm256_fmadd_ps(t, b1, c31);
        t = _mm256_broadcast_ss(a + 4);
        c40 = _mm256_fmadd_ps(t, b0, c40), c41 = _mm256_fmadd_ps(t, b1, c41);
        t = _mm256_broadcast_ss(a + 5);
        c50 = _mm256_fmadd_ps(t, b0, c50), c51 = _mm256_fmadd_ps(t, b1, c51);
    }
    __m256 acc[12] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    for (int i = 0; i < 6; i++) {
        float *row = c + i * ldc;
        __m256 r0 = _mm256_mul_ps(va, acc[2 * i]), r1 = _mm256_mul_ps(va, acc[2 * i + 1]);
        if (beta != 0.0f) { // beta == 0: C is not read
            r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row), r0);
            r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(row + 8), r1);
        }
        _mm256_storeu_ps(row, r0);
        _mm256_storeu_ps(row + 8, r1);
    }
}

// ---------------------------------------------------------------------------
// skinny helpers

// Mask of the first `rem` (0..8) lanes, for maskload of a partial vector.
ALWAYS_INLINE __m256i lane_mask(int64_t rem) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)rem), idx);
}

ALWAYS_INLINE float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// ---------------------------------------------------------------------------
// skinny nt: C[i, j] = alpha dot(A[i, :], bt[j, :]) + beta C[i, j]
// R rows x NJ columns of C per tile: R*NJ accumulators along k, R + NJ loads
// per 8 k; 2 x 5 = 10 accumulators covers the trainer's 10 classes exactly.

ALWAYS_INLINE void nt_tile(int R, int NJ, int64_t k, float alpha, const float *a, int64_t lda,
                           const float *bt, float beta, float *c, int64_t rsc, int64_t csc) {
    __m256 acc[2][5];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[r][j] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 8 <= k; p += 8) {
        __m256 av[2];
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) av[r] = _mm256_loadu_ps(a + r * lda + p);
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) {
            __m256 bv = _mm256_loadu_ps(bt + j * k + p);
#pragma GCC unroll 16
            for (int r = 0; r < R; r++) acc[r][j] = _mm256_fmadd_ps(av[r], bv, acc[r][j]);
        }
    }
    if (p < k) { // masked lanes load as 0 and add nothing
        __m256i m = lane_mask(k - p);
        __m256 av[2];
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) av[r] = _mm256_maskload_ps(a + r * lda + p, m);
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) {
            __m256 bv = _mm256_maskload_ps(bt + j * k + p, m);
#pragma GCC unroll 16
            for (int r = 0; r < R; r++) acc[r][j] = _mm256_fmadd_ps(av[r], bv, acc[r][j]);
        }
    }
    float t[2 * 5];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) t[r * NJ + j] = hsum(acc[r][j]);
    s4j_tile_update(R, NJ, t, NJ, alpha, beta, c, rsc, csc);
}

void s4j_sgemm_skinny_nt_tile_avx2(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                   int64_t lda, const float *bt, float beta, float *c, int64_t rsc,
                                   int64_t csc) {
    // each shape its own specialised copy of nt_tile: the accumulators stay in registers
#define NT_CASE(r, nj)                                           \
    case (r)*8 + (nj):                                           \
        nt_tile(r, nj, k, alpha, a, lda, bt, beta, c, rsc, csc); \
        break;
    // a table of cases, one row per line
    // clang-format off
    switch (rows * 8 + cols) {
        NT_CASE(1, 1) NT_CASE(1, 2) NT_CASE(1, 3) NT_CASE(1, 4) NT_CASE(1, 5)
        NT_CASE(2, 1) NT_CASE(2, 2) NT_CASE(2, 3) NT_CASE(2, 4) NT_CASE(2, 5)
    }
    // clang-format on
#undef NT_CASE
}

// ---------------------------------------------------------------------------
// skinny tn: C[i, j] = alpha sum_p A[p, i] bp[p, j] + beta C[i, j]
// 16 rows of C (two vectors along i, contiguous in A's rows) x NJ <= 6
// columns: 12 accumulators, 2 loads + NJ broadcasts per k step.

ALWAYS_INLINE void tn_tile(int NJ, int64_t h, int64_t n, int64_t k, float alpha, const float *a,
                           int64_t lda, const float *bp, float beta, float *c, int64_t rsc,
                           int64_t csc) {
    __m256 acc[2][6];
#pragma GCC unroll 16
    for (int v = 0; v < 2; v++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[v][j] = _mm256_setzero_ps();
    const __m256i m0 = lane_mask(h < 8 ? h : 8), m1 = lane_mask(h > 8 ? h - 8 : 0);
    for (int64_t p = 0; p < k; p++) {
        const float *ar = a + p * lda;
        __m256 a0, a1;
        if (h == 16) {
            a0 = _mm256_loadu_ps(ar);
            a1 = _mm256_loadu_ps(ar + 8);
        } else { // the last rows of C: never read past A's row
            a0 = _mm256_maskload_ps(ar, m0);
            a1 = _mm256_maskload_ps(ar + 8, m1);
        }
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) {
            __m256 bv = _mm256_broadcast_ss(bp + p * n + j);
            acc[0][j] = _mm256_fmadd_ps(a0, bv, acc[0][j]);
            acc[1][j] = _mm256_fmadd_ps(a1, bv, acc[1][j]);
        }
    }
    float t[6][16]; // t[j][i]: column j of the tile
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) {
        _mm256_storeu_ps(t[j], acc[0][j]);
        _mm256_storeu_ps(t[j] + 8, acc[1][j]);
    }
    // transposed view of t: rows of C are its columns
    s4j_tile_update(NJ, h, &t[0][0], 16, alpha, beta, c, csc, rsc);
}

void s4j_sgemm_skinny_tn_tile_avx2(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                   int64_t lda, const float *bp, int64_t ldbp, float beta, float *c,
                                   int64_t rsc, int64_t csc) {
#define TN_CASE(nj)                                                       \
    case nj:                                                              \
        tn_tile(nj, rows, ldbp, k, alpha, a, lda, bp, beta, c, rsc, csc); \
        break;
    switch (cols) { TN_CASE(1) TN_CASE(2) TN_CASE(3) TN_CASE(4) TN_CASE(5) TN_CASE(6) }
#undef TN_CASE
}

// ---------------------------------------------------------------------------
// sparse row (contract in internal.h): blocks of up to 4 vectors (32
// columns) of C in registers, two entries of the row per step into two sets
// of accumulators (a load and an FMA per vector: the loads, not the FMAs,
// are the limit). Masked loads and stores cover the last partial block.

static const int32_t lane_mask_avx2[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};

ALWAYS_INLINE void csr_block_avx2(int nv, int64_t w, int64_t nnz, const int32_t *col,
                                  const float *val, const float *b, int64_t ldb, float alpha,
                                  float beta, const float *bias, float *c) {
    __m256i m[4];
#pragma GCC unroll 4
    for (int q = 0; q < nv; q++) {
        int64_t r = w - 8 * q;
        m[q] = _mm256_loadu_si256((const __m256i *)(lane_mask_avx2 + 8 - (r >= 8 ? 8 : r)));
    }
    __m256 a0[4], a1[4];
#pragma GCC unroll 4
    for (int q = 0; q < nv; q++) a0[q] = a1[q] = _mm256_setzero_ps();
    int64_t p = 0;
    for (; p + 1 < nnz; p += 2) {
        const float *b0 = b + (int64_t)col[p] * ldb, *b1 = b + (int64_t)col[p + 1] * ldb;
        const __m256 v0 = _mm256_set1_ps(val[p]), v1 = _mm256_set1_ps(val[p + 1]);
#pragma GCC unroll 4
        for (int q = 0; q < nv; q++) {
            a0[q] = _mm256_fmadd_ps(v0, _mm256_maskload_ps(b0 + 8 * q, m[q]), a0[q]);
            a1[q] = _mm256_fmadd_ps(v1, _mm256_maskload_ps(b1 + 8 * q, m[q]), a1[q]);
        }
    }
    if (p < nnz) {
        const float *b0 = b + (int64_t)col[p] * ldb;
        const __m256 v0 = _mm256_set1_ps(val[p]);
#pragma GCC unroll 4
        for (int q = 0; q < nv; q++)
            a0[q] = _mm256_fmadd_ps(v0, _mm256_maskload_ps(b0 + 8 * q, m[q]), a0[q]);
    }
    const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
#pragma GCC unroll 4
    for (int q = 0; q < nv; q++) {
        __m256 out = _mm256_mul_ps(va, _mm256_add_ps(a0[q], a1[q]));
        if (beta != 0.0f) out = _mm256_fmadd_ps(vb, _mm256_maskload_ps(c + 8 * q, m[q]), out);
        if (bias) out = _mm256_add_ps(out, _mm256_maskload_ps(bias + 8 * q, m[q]));
        _mm256_maskstore_ps(c + 8 * q, m[q], out);
    }
}

void s4j_csr_row_avx2(int64_t n, int64_t nnz, const int32_t *col, const float *val, const float *b,
                      int64_t ldb, float alpha, float beta, const float *bias, float *c) {
    for (int64_t j0 = 0; j0 < n; j0 += 32) {
        const int64_t w = n - j0 < 32 ? n - j0 : 32;
        const float *bj = b + j0, *biasj = bias ? bias + j0 : NULL;
        switch ((w + 7) / 8) {
        case 1:
            csr_block_avx2(1, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
            break;
        case 2:
            csr_block_avx2(2, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
            break;
        case 3:
            csr_block_avx2(3, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
            break;
        default:
            csr_block_avx2(4, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
        }
    }
}
