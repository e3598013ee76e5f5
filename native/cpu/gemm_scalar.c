/*
 * gemm_scalar.c — portable GEMM micro-kernels (contracts in internal.h):
 * a 4x8 register tile for the blocked path and the two skinny kernels.
 * Built for baseline x86-64; gcc may use SSE2 on the 8-wide rows.
 */
#include "internal.h"

#define MR 4
#define NR 8

void s4j_sgemm_ukr_scalar_4x8(int64_t k, const float *a, const float *b, float *c,
                                 int64_t ldc, float alpha, float beta) {
    float acc[MR][NR] = {{0}};
    for (int64_t p = 0; p < k; p++, a += MR, b += NR)
        for (int i = 0; i < MR; i++)
            for (int j = 0; j < NR; j++) acc[i][j] += a[i] * b[j];
    s4j_tile_update(MR, NR, &acc[0][0], NR, alpha, beta, c, ldc, 1);
}

// C[i, j] = alpha sum_p A[i, p] bt[j, p] + beta C[i, j]
void s4j_sgemm_skinny_nt_scalar(int64_t m, int64_t n, int64_t k, float alpha,
                                   const float *a, int64_t lda, const float *bt, float beta,
                                   float *c, int64_t rsc, int64_t csc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) {
            const float *ar = a + i * lda, *br = bt + j * k;
            float acc = 0.0f;
            for (int64_t p = 0; p < k; p++) acc += ar[p] * br[p];
            s4j_tile_update(1, 1, &acc, 1, alpha, beta, c + i * rsc + j * csc, rsc, csc);
        }
}

// C[i, j] = alpha sum_p A[p, i] bp[p, j] + beta C[i, j], 8 rows of C at a time
void s4j_sgemm_skinny_tn_scalar(int64_t m, int64_t n, int64_t k, float alpha,
                                   const float *a, int64_t lda, const float *bp, float beta,
                                   float *c, int64_t rsc, int64_t csc) {
    enum { R = 8 };
    for (int64_t i0 = 0; i0 < m; i0 += R) {
        int64_t h = m - i0 < R ? m - i0 : R;
        float acc[R * S4J_SKINNY_N] = {0};
        for (int64_t p = 0; p < k; p++) {
            const float *ar = a + p * lda + i0, *br = bp + p * n;
            for (int64_t ii = 0; ii < h; ii++)
                for (int64_t j = 0; j < n; j++) acc[ii * n + j] += ar[ii] * br[j];
        }
        s4j_tile_update(h, n, acc, n, alpha, beta, c + i0 * rsc, rsc, csc);
    }
}
