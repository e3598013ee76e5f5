/*
 * gemm_avx512.c — AVX-512F GEMM micro-kernels (contracts in internal.h),
 * chosen at run time on CPUs whose OS saves the ZMM state; everything else
 * of the AVX-512 level is the AVX2 code. The only file compiled with
 * -mavx512f.
 *
 * 12x32: 24 accumulators (12 rows x 2 vectors of 16) + 2 B vectors; each A
 * value is broadcast straight from memory into the FMA ({1to16}), so per k
 * step 2 loads and 12 broadcast-FMA pairs: FMA-bound, twice the AVX2 tile's
 * work per instruction. On cores with 512-bit FMA units (Zen 5, server
 * Intel) that doubles the peak; on double-pumped ones it still saves issue
 * slots.
 */
#include <immintrin.h>

#include "internal.h"

#define ALWAYS_INLINE static inline __attribute__((always_inline))
// The register tiles' loops over rows and columns (#pragma GCC unroll) have
// constant trip counts in each specialised copy; unrolled completely, their
// accumulators live in registers. GCC does not always do it by itself: without
// the pragmas, nt/tn tiles kept them on the stack, 2.3x slower (NOTES.md).

// ---------------------------------------------------------------------------
// blocked path: 12 x 32 tile

#define ROW(i)                                     \
    {                                              \
        __m512 t = _mm512_set1_ps(a[i]);           \
        c##i##0 = _mm512_fmadd_ps(t, b0, c##i##0); \
        c##i##1 = _mm512_fmadd_ps(t, b1, c##i##1); \
    }

void s4j_sgemm_ukr_avx512_12x32(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                                float alpha, float beta) {
    __m512 z = _mm512_setzero_ps();
    __m512 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z, c41 = z,
           c50 = z, c51 = z, c60 = z, c61 = z, c70 = z, c71 = z, c80 = z, c81 = z, c90 = z, c91 = z,
           c100 = z, c101 = z, c110 = z, c111 = z;
#pragma GCC unroll 2
    for (int64_t p = 0; p < k; p++, a += 12, b += 32) {
        __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
        ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) ROW(8) ROW(9) ROW(10) ROW(11)
    }
    __m512 acc[24] = {c00, c01, c10, c11, c20, c21, c30, c31, c40,  c41,  c50,  c51,
                      c60, c61, c70, c71, c80, c81, c90, c91, c100, c101, c110, c111};
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < 12; i++) {
        float *row = c + i * ldc;
        __m512 r0 = _mm512_mul_ps(va, acc[2 * i]), r1 = _mm512_mul_ps(va, acc[2 * i + 1]);
        if (beta != 0.0f) { // beta == 0: C is not read
            r0 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row), r0);
            r1 = _mm512_fmadd_ps(vb, _mm512_loadu_ps(row + 16), r1);
        }
        _mm512_storeu_ps(row, r0);
        _mm512_storeu_ps(row + 16, r1);
    }
}
#undef ROW

// ---------------------------------------------------------------------------
// skinny nt: C[i, j] = alpha dot(A[i, :], bt[j, :]) + beta C[i, j]
// R <= 4 rows x NJ <= 5 columns: 20 accumulators along k, R + NJ loads per
// 16 k.

ALWAYS_INLINE void nt_tile(int R, int NJ, int64_t k, float alpha, const float *a, int64_t lda,
                           const float *bt, float beta, float *c, int64_t rsc, int64_t csc) {
    __m512 acc[4][5];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[r][j] = _mm512_setzero_ps();
    for (int64_t p = 0; p < k; p += 16) {
        // the last step loads only the lanes left (masked lanes read as 0)
        const __mmask16 m = k - p >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (k - p)) - 1);
        __m512 av[4];
#pragma GCC unroll 16
        for (int r = 0; r < R; r++) av[r] = _mm512_maskz_loadu_ps(m, a + r * lda + p);
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) {
            __m512 bv = _mm512_maskz_loadu_ps(m, bt + j * k + p);
#pragma GCC unroll 16
            for (int r = 0; r < R; r++) acc[r][j] = _mm512_fmadd_ps(av[r], bv, acc[r][j]);
        }
    }
    float t[4 * 5];
#pragma GCC unroll 16
    for (int r = 0; r < R; r++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) t[r * NJ + j] = _mm512_reduce_add_ps(acc[r][j]);
    s4j_tile_update(R, NJ, t, NJ, alpha, beta, c, rsc, csc);
}

void s4j_sgemm_skinny_nt_tile_avx512(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                     int64_t lda, const float *bt, float beta, float *c,
                                     int64_t rsc, int64_t csc) {
#define NT_CASE(r, nj)                                           \
    case (r)*8 + (nj):                                           \
        nt_tile(r, nj, k, alpha, a, lda, bt, beta, c, rsc, csc); \
        break;
#define NT_ROWS(r) NT_CASE(r, 1) NT_CASE(r, 2) NT_CASE(r, 3) NT_CASE(r, 4) NT_CASE(r, 5)
    switch (rows * 8 + cols) { NT_ROWS(1) NT_ROWS(2) NT_ROWS(3) NT_ROWS(4) }
#undef NT_ROWS
#undef NT_CASE
}

// ---------------------------------------------------------------------------
// skinny tn: C[i, j] = alpha sum_p A[p, i] bp[p, j] + beta C[i, j]
// 32 rows of C (two vectors along i) x NJ <= 10 columns: 20 accumulators,
// 2 loads + NJ broadcasts per k step; n = 10 is a single pass over A.

ALWAYS_INLINE void tn_tile(int NJ, int64_t h, int64_t n, int64_t k, float alpha, const float *a,
                           int64_t lda, const float *bp, float beta, float *c, int64_t rsc,
                           int64_t csc) {
    __m512 acc[2][10];
#pragma GCC unroll 16
    for (int v = 0; v < 2; v++)
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) acc[v][j] = _mm512_setzero_ps();
    const __mmask16 m0 = h >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << h) - 1);
    const __mmask16 m1 = h >= 32  ? (__mmask16)0xffff
                         : h > 16 ? (__mmask16)((1u << (h - 16)) - 1)
                                  : (__mmask16)0;
    for (int64_t p = 0; p < k; p++) {
        const float *ar = a + p * lda;
        __m512 a0 = _mm512_maskz_loadu_ps(m0, ar), a1 = _mm512_maskz_loadu_ps(m1, ar + 16);
#pragma GCC unroll 16
        for (int j = 0; j < NJ; j++) {
            __m512 bv = _mm512_set1_ps(bp[p * n + j]);
            acc[0][j] = _mm512_fmadd_ps(a0, bv, acc[0][j]);
            acc[1][j] = _mm512_fmadd_ps(a1, bv, acc[1][j]);
        }
    }
    float t[10][32]; // t[j][i]: column j of the tile
#pragma GCC unroll 16
    for (int j = 0; j < NJ; j++) {
        _mm512_storeu_ps(t[j], acc[0][j]);
        _mm512_storeu_ps(t[j] + 16, acc[1][j]);
    }
    s4j_tile_update(NJ, h, &t[0][0], 32, alpha, beta, c, csc, rsc);
}

void s4j_sgemm_skinny_tn_tile_avx512(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                     int64_t lda, const float *bp, int64_t ldbp, float beta,
                                     float *c, int64_t rsc, int64_t csc) {
#define TN_CASE(nj)                                                       \
    case nj:                                                              \
        tn_tile(nj, rows, ldbp, k, alpha, a, lda, bp, beta, c, rsc, csc); \
        break;
    // a table of cases, one row per line
    // clang-format off
    switch (cols) {
        TN_CASE(1) TN_CASE(2) TN_CASE(3) TN_CASE(4) TN_CASE(5)
        TN_CASE(6) TN_CASE(7) TN_CASE(8) TN_CASE(9) TN_CASE(10)
    }
    // clang-format on
#undef TN_CASE
}

// ---------------------------------------------------------------------------
// sparse row (contract in internal.h): as AVX2's, blocks of up to 4 vectors
// (64 columns), the partial block under lane masks.

ALWAYS_INLINE void csr_block_avx512(int nv, int64_t w, int64_t nnz, const int32_t *col,
                                    const float *val, const float *b, int64_t ldb, float alpha,
                                    float beta, const float *bias, float *c) {
    __mmask16 m[4];
#pragma GCC unroll 4
    for (int q = 0; q < nv; q++) {
        int64_t r = w - 16 * q;
        m[q] = r >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << r) - 1u);
    }
    __m512 a0[4], a1[4];
#pragma GCC unroll 4
    for (int q = 0; q < nv; q++) a0[q] = a1[q] = _mm512_setzero_ps();
    int64_t p = 0;
    for (; p + 1 < nnz; p += 2) {
        const float *b0 = b + (int64_t)col[p] * ldb, *b1 = b + (int64_t)col[p + 1] * ldb;
        const __m512 v0 = _mm512_set1_ps(val[p]), v1 = _mm512_set1_ps(val[p + 1]);
#pragma GCC unroll 4
        for (int q = 0; q < nv; q++) {
            a0[q] = _mm512_fmadd_ps(v0, _mm512_maskz_loadu_ps(m[q], b0 + 16 * q), a0[q]);
            a1[q] = _mm512_fmadd_ps(v1, _mm512_maskz_loadu_ps(m[q], b1 + 16 * q), a1[q]);
        }
    }
    if (p < nnz) {
        const float *b0 = b + (int64_t)col[p] * ldb;
        const __m512 v0 = _mm512_set1_ps(val[p]);
#pragma GCC unroll 4
        for (int q = 0; q < nv; q++)
            a0[q] = _mm512_fmadd_ps(v0, _mm512_maskz_loadu_ps(m[q], b0 + 16 * q), a0[q]);
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 4
    for (int q = 0; q < nv; q++) {
        __m512 out = _mm512_mul_ps(va, _mm512_add_ps(a0[q], a1[q]));
        if (beta != 0.0f) out = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m[q], c + 16 * q), out);
        if (bias) out = _mm512_add_ps(out, _mm512_maskz_loadu_ps(m[q], bias + 16 * q));
        _mm512_mask_storeu_ps(c + 16 * q, m[q], out);
    }
}

void s4j_csr_row_avx512(int64_t n, int64_t nnz, const int32_t *col, const float *val,
                        const float *b, int64_t ldb, float alpha, float beta, const float *bias,
                        float *c) {
    for (int64_t j0 = 0; j0 < n; j0 += 64) {
        const int64_t w = n - j0 < 64 ? n - j0 : 64;
        const float *bj = b + j0, *biasj = bias ? bias + j0 : NULL;
        switch ((w + 15) / 16) {
        case 1:
            csr_block_avx512(1, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
            break;
        case 2:
            csr_block_avx512(2, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
            break;
        case 3:
            csr_block_avx512(3, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
            break;
        default:
            csr_block_avx512(4, w, nnz, col, val, bj, ldb, alpha, beta, biasj, c + j0);
        }
    }
}
