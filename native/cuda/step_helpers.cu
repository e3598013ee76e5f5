/*
 * step_helpers.cu — the small kernels of a training step on the GPU, with
 * the contracts of the CPU ones (step_helpers.c): bias add, column sums,
 * SGD update, minibatch gather of stored rows (uint8 or float), and the running loss and
 * accuracy of an epoch, kept on the device so that nothing is read back per
 * step. Launch-only; errors of the launch become S4J_ERR_CUDA.
 */
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "cuda_internal.h"
#include "softmax4j.h"

#define THREADS 256

static unsigned blocks_for(int64_t items) {
    int64_t b = (items + THREADS - 1) / THREADS;
    return (unsigned)(b < 65535 * 16 ? b : 65535 * 16); // grid-stride loops cover the rest
}

static int launched(const char *what) { return s4j_cuda_check(cudaGetLastError(), what); }

__global__ void add_bias_kernel(int64_t total, int64_t c, const float *__restrict__ bias,
                                float *__restrict__ y) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
         i += (int64_t)gridDim.x * blockDim.x)
        y[i] += bias[i % c];
}

int s4j_cuda_add_bias(int64_t n, int64_t c, const float *bias, float *y, void *stream) {
    if (n < 0 || c < 0 || (n > 0 && c > 0 && (!bias || !y))) return S4J_ERR_ARGUMENT;
    if (n == 0 || c == 0) return S4J_OK;
    add_bias_kernel<<<blocks_for(n * c), THREADS, 0, (cudaStream_t)stream>>>(n * c, c, bias, y);
    return launched("add_bias launch");
}

// One block per column: each thread adds a strided subset of the rows in
// double, then a fixed tree combines the threads, so the result does not
// depend on scheduling (the CPU version also sums in double).
__global__ void column_sums_kernel(int64_t n, int64_t c, float alpha, const float *__restrict__ x,
                                   float beta, float *__restrict__ out) {
    __shared__ double part[THREADS];
    const int64_t j = blockIdx.x;
    double s = 0.0;
    for (int64_t i = threadIdx.x; i < n; i += THREADS) s += x[i * c + j];
    part[threadIdx.x] = s;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        double v = alpha * part[0];
        out[j] = (float)(beta == 0.0f ? v : v + (double)beta * out[j]);
    }
}

int s4j_cuda_column_sums(int64_t n, int64_t c, float alpha, const float *x, float beta, float *out,
                         void *stream) {
    if (n < 0 || c < 0 || (c > 0 && (!out || (n > 0 && !x))) || c > INT32_MAX)
        return S4J_ERR_ARGUMENT;
    if (c == 0) return S4J_OK;
    column_sums_kernel<<<(unsigned)c, THREADS, 0, (cudaStream_t)stream>>>(n, c, alpha, x, beta,
                                                                          out);
    return launched("column_sums launch");
}

// PyTorch's SGD without dampening, as s4j_sgd_step.
__global__ void sgd_kernel(int64_t count, float lr, float momentum, float wd, float *__restrict__ w,
                           const float *__restrict__ g, float *__restrict__ v) {
    for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < count;
         i += (int64_t)gridDim.x * blockDim.x) {
        float d = g[i] + wd * w[i];
        if (v) {
            d = momentum * v[i] + d;
            v[i] = d;
        }
        w[i] -= lr * d;
    }
}

int s4j_cuda_sgd_step(int64_t count, float lr, float momentum, float weight_decay, float *w,
                      const float *g, float *v, void *stream) {
    if (count < 0 || (count > 0 && (!w || !g)) || (!v && momentum != 0.0f)) return S4J_ERR_ARGUMENT;
    if (count == 0) return S4J_OK;
    sgd_kernel<<<blocks_for(count), THREADS, 0, (cudaStream_t)stream>>>(count, lr, momentum,
                                                                        weight_decay, w, g, v);
    return launched("sgd_step launch");
}

// One block per row; each thread converts 4 bytes at a time when the row
// allows it (Fashion-MNIST rows are 784 bytes: 196 words).
// One block per row: out[r, :] = scale (src[index[r], :] - shift) col_scale.
template <typename T>
__global__ void gather_kernel(int64_t cols, const T *__restrict__ src, int64_t src_rows,
                              const int32_t *__restrict__ index, float scale,
                              const float *__restrict__ shift, const float *__restrict__ col_scale,
                              float *__restrict__ out) {
    const int64_t r = blockIdx.x;
    const int32_t from = index[r];
    float *o = out + r * cols;
    if (from < 0 || from >= src_rows) {
        for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) o[j] = NAN;
        return;
    }
    const T *s = src + (int64_t)from * cols;
    for (int64_t j = threadIdx.x; j < cols; j += blockDim.x) {
        float v = (float)s[j];
        if (shift) v -= shift[j];
        if (col_scale) v *= col_scale[j];
        o[j] = scale * v;
    }
}

int s4j_cuda_gather_rows(int64_t rows, int64_t cols, int32_t src_dtype, const void *src,
                         int64_t src_rows, const int32_t *index, float scale, const float *shift,
                         const float *col_scale, float *out, void *stream) {
    if (rows < 0 || cols < 0 || src_rows < 0 || rows > INT32_MAX ||
        (src_dtype != S4J_U8 && src_dtype != S4J_F32) ||
        (rows > 0 && cols > 0 && (!src || !index || !out)))
        return S4J_ERR_ARGUMENT;
    if (rows == 0 || cols == 0) return S4J_OK;
    cudaStream_t st = (cudaStream_t)stream;
    if (src_dtype == S4J_U8)
        gather_kernel<uint8_t><<<(unsigned)rows, 128, 0, st>>>(cols, (const uint8_t *)src, src_rows,
                                                               index, scale, shift, col_scale, out);
    else
        gather_kernel<float><<<(unsigned)rows, 128, 0, st>>>(cols, (const float *)src, src_rows,
                                                             index, scale, shift, col_scale, out);
    return launched("gather_rows launch");
}

// One block: the loss of the step and a count of right guesses.
__global__ void step_stats_kernel(int64_t n, const float *__restrict__ loss, float weight,
                                  const int32_t *__restrict__ argmax,
                                  const int32_t *__restrict__ targets, double *loss_sum,
                                  int64_t *correct) {
    __shared__ int part[THREADS];
    int ok = 0;
    for (int64_t i = threadIdx.x; i < n; i += THREADS) ok += argmax[i] == targets[i];
    part[threadIdx.x] = ok;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        *correct += part[0];
        *loss_sum += (double)*loss * weight;
    }
}

int s4j_cuda_step_stats(int64_t n, const float *loss, float weight, const int32_t *row_argmax,
                        const int32_t *targets, double *loss_sum, int64_t *correct, void *stream) {
    if (n < 0 || !loss || !loss_sum || !correct || (n > 0 && (!row_argmax || !targets)))
        return S4J_ERR_ARGUMENT;
    step_stats_kernel<<<1, THREADS, 0, (cudaStream_t)stream>>>(n, loss, weight, row_argmax, targets,
                                                               loss_sum, correct);
    return launched("step_stats launch");
}
