/*
 * sparse.cu — s4j_cuda_csr_matmul, the contract of the CPU s4j_csr_matmul
 * (sparse.c) on device memory, except that the CSR matrix is not checked:
 * that would read it back to the host, which the caller (the Java layer)
 * does once instead. One block per row of A, its threads across the n
 * columns: each output element is one thread's float sum over the row's
 * entries in order, so the result does not depend on scheduling, and rows
 * of C are distinct, so nothing needs atomics. s4j_cuda_csr_sgd_step chains
 * the step's kernels; its update of the weights adds with atomics.
 */
#include <cuda_runtime.h>

#include <cstdint>

#include "ce_options.h"
#include "cuda_internal.h"
#include "softmax4j.h"

#define THREADS 128

// Blocks of one launch; more rows are covered by the grid-stride loop (the
// emulator's build shrinks this so that its tests take that loop).
#ifndef S4J_CSR_MAX_BLOCKS
#define S4J_CSR_MAX_BLOCKS (65535 * 16)
#endif

__global__ void csr_matmul_kernel(int64_t m, int64_t n, const int64_t *__restrict__ row_ptr,
                                  const int32_t *__restrict__ col_idx,
                                  const float *__restrict__ values, float alpha,
                                  const float *__restrict__ b, int64_t ldb,
                                  const float *__restrict__ bias, float beta, float *__restrict__ c,
                                  int64_t ldc, const int32_t *__restrict__ c_rows) {
    for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
        const int64_t p0 = row_ptr[i], p1 = row_ptr[i + 1];
        float *ci = c + (c_rows ? (int64_t)c_rows[i] : i) * ldc;
        for (int64_t j = threadIdx.x; j < n; j += blockDim.x) {
            float acc = 0.0f;
            for (int64_t p = p0; p < p1; p++) acc += values[p] * b[(int64_t)col_idx[p] * ldb + j];
            float out = alpha * acc;
            if (beta != 0.0f) out += beta * ci[j];
            if (bias) out += bias[j];
            ci[j] = out;
        }
    }
}

int s4j_cuda_csr_matmul(int64_t m, int64_t n, int64_t k, const int64_t *row_ptr,
                        const int32_t *col_idx, const float *values, float alpha, const float *b,
                        int64_t ldb, const float *bias, float beta, float *c, int64_t ldc,
                        const int32_t *c_rows, int64_t c_row_count, void *stream) {
    if (m < 0 || n < 0 || k < 0 || !row_ptr || ldc < n || (k > 0 && ldb < n) ||
        (c_rows && c_row_count < 0))
        return S4J_ERR_ARGUMENT;
    if (m == 0 || n == 0) return S4J_OK;
    // the entry count is on the device: with k > 0 there may be entries
    if (!c || (k > 0 && (!col_idx || !values || !b))) return S4J_ERR_ARGUMENT;
    // rows narrower than a block (the few classes of a forward X W) take only
    // the warps they fill
    const int threads = n < THREADS ? (int)(n + 31) / 32 * 32 : THREADS;
    const unsigned blocks = (unsigned)(m < S4J_CSR_MAX_BLOCKS ? m : S4J_CSR_MAX_BLOCKS);
    csr_matmul_kernel<<<blocks, threads, 0, (cudaStream_t)stream>>>(
        m, n, row_ptr, col_idx, values, alpha, b, ldb, bias, beta, c, ldc, c_rows);
    return s4j_cuda_check(cudaGetLastError(), "csr_matmul launch");
}

// V[col_idx[p], :] += alpha values[p] G[i, :]: one block per row of the batch,
// its threads across the classes; rows sharing a column add atomically.
__global__ void csr_scatter_add_kernel(int64_t m, int64_t c, const int64_t *__restrict__ row_ptr,
                                       const int32_t *__restrict__ col_idx,
                                       const float *__restrict__ values,
                                       const float *__restrict__ g, float alpha, float *v,
                                       int64_t ldv) {
    for (int64_t i = blockIdx.x; i < m; i += gridDim.x) {
        const float *gi = g + i * c;
        for (int64_t p = row_ptr[i]; p < row_ptr[i + 1]; p++) {
            const float a = alpha * values[p];
            float *vr = v + (int64_t)col_idx[p] * ldv;
            for (int64_t j = threadIdx.x; j < c; j += blockDim.x) atomicAdd(vr + j, a * gi[j]);
        }
    }
}

int s4j_cuda_csr_sgd_step(int64_t m, int64_t c, int64_t k, const int64_t *row_ptr,
                          const int32_t *col_idx, const float *values, const int32_t *targets,
                          const s4j_ce_options *opt, float scale, float alpha, float bias_lr,
                          float *v, int64_t ldv, float *bias, float *logits, float *loss,
                          int32_t *row_argmax, void *work, int64_t work_bytes, void *stream) {
    if (m < 0 || c < 1 || k < 0 || !row_ptr || !loss || !s4j_ce_options_valid(opt, 0) ||
        opt->reduction == S4J_REDUCE_NONE || ldv < c || (m > 0 && (!targets || !logits)) ||
        (m > 0 && k > 0 && (!col_idx || !values || !v)))
        return S4J_ERR_ARGUMENT;
    int rc = s4j_cuda_csr_matmul(m, c, k, row_ptr, col_idx, values, scale, v, ldv, bias, 0.0f,
                                 logits, c, NULL, 0, stream);
    if (rc != S4J_OK) return rc;
    rc = s4j_cuda_softmax_ce(m, c, S4J_F32, logits, targets, opt, loss, NULL, NULL, row_argmax,
                             logits, work, work_bytes, stream);
    if (rc != S4J_OK || m == 0) return rc;
    if (bias && (rc = s4j_cuda_column_sums(m, c, -bias_lr, logits, 1.0f, bias, stream)) != S4J_OK)
        return rc;
    if (k == 0) return S4J_OK;
    const int threads = c < THREADS ? (int)(c + 31) / 32 * 32 : THREADS;
    const unsigned blocks = (unsigned)(m < S4J_CSR_MAX_BLOCKS ? m : S4J_CSR_MAX_BLOCKS);
    csr_scatter_add_kernel<<<blocks, threads, 0, (cudaStream_t)stream>>>(
        m, c, row_ptr, col_idx, values, logits, alpha, v, ldv);
    return s4j_cuda_check(cudaGetLastError(), "csr_sgd_step scatter launch");
}
