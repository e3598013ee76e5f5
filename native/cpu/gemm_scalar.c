/*
 * gemm_scalar.c — portable GEMM micro-kernels (contracts in internal.h):
 * a 4x8 register tile for the blocked path and the two skinny tiles.
 * Built for baseline x86-64; gcc may use SSE2 on the 8-wide rows.
 */
#include "internal.h"

#define MR 4
#define NR 8

void s4j_sgemm_ukr_scalar_4x8(int64_t k, const float *a, const float *b, float *c, int64_t ldc,
                              float alpha, float beta) {
    float acc[MR][NR] = {{0}};
    for (int64_t p = 0; p < k; p++, a += MR, b += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
    s4j_tile_update(MR, NR, &acc[0][0], NR, alpha, beta, c, ldc, 1);
}

// C[i, j] = alpha sum_p A[i, p] bt[j, p] + beta C[i, j], one element at a
// time (tiles of 1 x 1): a sequential dot product per element.
void s4j_sgemm_skinny_nt_tile_scalar(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                     int64_t lda, const float *bt, float beta, float *c,
                                     int64_t rsc, int64_t csc) {
    for (int64_t i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            const float *ar = a + i * lda, *br = bt + j * k;
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++) acc += ar[p] * br[p];
            s4j_tile_update(1, 1, &acc, 1, alpha, beta, c + i * rsc + j * csc, rsc, csc);
        }
}

// C[i, j] = alpha sum_p A[p, i] bp[p, j] + beta C[i, j], tiles of up to 8
// rows x all n columns
void s4j_sgemm_skinny_tn_tile_scalar(int64_t rows, int cols, int64_t k, float alpha, const float *a,
                                     int64_t lda, const float *bp, int64_t ldbp, float beta,
                                     float *c, int64_t rsc, int64_t csc) {
    float acc[8 * S4J_SKINNY_N] = {0};
    for (int64_t p = 0; p < k; p++) {
        const float *ar = a + p * lda, *br = bp + p * ldbp;
        for (int64_t ii = 0; ii < rows; ii++)
            for (int j = 0; j < cols; j++) acc[ii * cols + j] += ar[ii] * br[j];
    }
    s4j_tile_update(rows, cols, acc, cols, alpha, beta, c, rsc, csc);
}

// ---------------------------------------------------------------------------
// sparse row (contract in internal.h): 8 columns at a time, held in registers
// while the row's entries stream by.

void s4j_csr_row_scalar(int64_t n, int64_t nnz, const int32_t *col, const float *val,
                        const float *b, int64_t ldb, float alpha, float beta, const float *bias,
                        float *c) {
    enum { W = 8 };
    for (int64_t j0 = 0; j0 < n; j0 += W) {
        const int64_t w = n - j0 < W ? n - j0 : W;
        float acc[W] = {0};
        for (int64_t p = 0; p < nnz; p++) {
            const float v = val[p], *row = b + (int64_t)col[p] * ldb + j0;
            for (int64_t j = 0; j < w; j++) acc[j] += v * row[j];
        }
        for (int64_t j = 0; j < w; j++) {
            float out = alpha * acc[j];
            if (beta != 0.0f) out += beta * c[j0 + j];
            if (bias) out += bias[j0 + j];
            c[j0 + j] = out;
        }
    }
}
