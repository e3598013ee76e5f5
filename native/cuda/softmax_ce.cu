/*
 * softmax_ce.cu — fused softmax cross-entropy, forward and backward, on the
 * GPU: s4j_cuda_softmax_ce, with exactly the semantics of the CPU kernel
 * (softmax_ce.c): PyTorch's F.cross_entropy plus z-loss, float32 / bfloat16 /
 * float16 logits with float32 arithmetic per element and the per-row scalars
 * in double (ce_row.h), the gradient formed in float32 and rounded once.
 *
 * One block per row. Pass 1 keeps a running max and sum of exp per thread
 * (online softmax), then combines them across the block; rows of up to
 * CACHED_ROW elements are also kept in shared memory, so pass 2 (gradient
 * and label-smoothing sum) reads the logits from memory once in all; longer
 * rows are read twice (the second time mostly from L2). Memory traffic: the
 * logits once (twice for long rows) and the gradient once.
 *
 * The reduced loss: per-row losses (double) go to a workspace and one block
 * adds them in a fixed order, so the result does not depend on scheduling.
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cfloat>
#include <cmath>
#include <cstdint>

#include "block_reduce.cuh"
#include "ce_options.h"
#include "ce_row.h"
#include "cuda_internal.h"
#include "softmax4j.h"

#define THREADS 256
#define CACHED_ROW 8192 // floats of shared memory per block: 32 KiB

// ---------------------------------------------------------------------------
// element access by dtype

template <int DT> __device__ __forceinline__ float load(const void *x, int64_t i) {
    if (DT == S4J_BF16) return __bfloat162float(((const __nv_bfloat16 *)x)[i]);
    if (DT == S4J_F16) return __half2float(((const __half *)x)[i]);
    return ((const float *)x)[i];
}

template <int DT> __device__ __forceinline__ void store(void *y, int64_t i, float v) {
    if (DT == S4J_BF16)
        ((__nv_bfloat16 *)y)[i] = __float2bfloat16_rn(v);
    else if (DT == S4J_F16)
        ((__half *)y)[i] = __float2half_rn(v);
    else
        ((float *)y)[i] = v;
}

// The argmax candidate: first NaN wins, else the larger value, else the
// smaller index (PyTorch's argmax).
struct Arg {
    float v;
    int64_t i;
    int nan;
};

__device__ __forceinline__ Arg better(Arg a, Arg b) {
    if (a.nan != b.nan) return a.nan ? a : b;
    if (a.nan) return a.i <= b.i ? a : b;
    if (a.v != b.v) return a.v > b.v ? a : b;
    return a.i <= b.i ? a : b;
}

struct Args {
    int64_t n, c;
    const void *logits;
    const int32_t *targets;
    const float *w;
    int32_t ignore_index;
    s4j_ce_consts k; // k.scale: grad_scale (the kernel divides it for the mean)
    int mean;
    float *row_loss, *row_lse;
    int32_t *row_argmax;
    void *dlogits;
    double *work; // [0]: divisor, [1 + r]: loss of row r
};

// ---------------------------------------------------------------------------
// kernels

// work[0] = sum of the class weights of the non-ignored rows (the mean's divisor).
__global__ void divisor_kernel(Args a) {
    double d = 0.0;
    for (int64_t r = threadIdx.x; r < a.n; r += blockDim.x)
        d += target_weight(a.targets[r], a.c, a.w, a.ignore_index);
    d = block_reduce<THREADS>(
        d, [](double x, double y) { return x + y; }, 0.0);
    if (threadIdx.x == 0) a.work[0] = d;
}

template <int DT> __global__ void softmax_ce_kernel(Args a) {
    extern __shared__ float row_cache[];
    __shared__ float sh_xy;
    const int64_t r = blockIdx.x, c = a.c;
    const void *x = (const char *)a.logits + r * c * (DT == S4J_F32 ? 4 : 2);
    void *dx = a.dlogits ? (char *)a.dlogits + r * c * (DT == S4J_F32 ? 4 : 2) : nullptr;
    const bool cached = c <= CACHED_ROW;
    const int32_t y = a.targets[r];
    const bool ignored = y == a.ignore_index, bad = !ignored && (y < 0 || y >= c);

    // pass 1: online max and sum, argmax
    Stats st = {-FLT_MAX, 0.0f};
    Arg arg = {-INFINITY, INT64_MAX, 0};
    for (int64_t k = threadIdx.x; k < c; k += blockDim.x) {
        float v = load<DT>(x, k);
        if (cached) row_cache[k] = v;
        accumulate(st, v);
        arg = better(arg, Arg{v, k, v != v});
    }
    st = block_reduce<THREADS>(st, combine, Stats{-FLT_MAX, 0.0f});
    arg = block_reduce<THREADS>(arg, better, Arg{-INFINITY, INT64_MAX, 0});
    const float max = st.m, log_sum = logf(st.s), lse = max + log_sum;
    if (threadIdx.x == 0) {
        sh_xy = ignored || bad ? 0.0f : load<DT>(x, y); // before an in-place gradient
        if (a.row_lse) a.row_lse[r] = lse;
        if (a.row_argmax) a.row_argmax[r] = (int32_t)(arg.i == INT64_MAX ? 0 : arg.i);
    }
    __syncthreads();
    const float x_y = sh_xy;

    // pass 2: gradient and smoothing sum; per-row scalars in double (ce_row.h)
    const float w_y = ignored || bad ? 0.0f : (a.w ? a.w[y] : 1.0f);
    s4j_ce_consts kc = a.k;
    if (a.mean) kc.scale /= a.work[0];
    if (bad) kc.scale = NAN;
    const s4j_ce_coef g = s4j_ce_coef_of(&kc, w_y, (double)max + log_sum, st.s);
    const float ga = (float)g.a, gb = (float)g.b, gd = (float)g.d;
    const float sc = S4J_SMOOTH_SCALE, ms = max * sc; // w (max - x) S: no overflow
    const bool smoothing = kc.eps != 0.0 && !ignored;
    float smooth = 0.0f;
    if (dx || smoothing) {
        for (int64_t k = threadIdx.x; k < c; k += blockDim.x) {
            float v = cached ? row_cache[k] : load<DT>(x, k);
            float wk = a.w ? a.w[k] : 1.0f;
            smooth += wk * fmaf(-v, sc, ms);
            if (dx) {
                float gk = 0.0f;
                if (!ignored && g.fits)
                    gk = ga * expf(v - max) - gb * wk - (k == y ? gd : 0.0f);
                else if (!ignored) // beyond float range: in double
                    gk = (float)(g.a * expf(v - max) - g.b * wk - (k == y ? g.d : 0.0));
                store<DT>(dx, k, gk);
            }
        }
    }
    if (smoothing)
        smooth = block_reduce<THREADS>(
            smooth, [](float p, float q) { return p + q; }, 0.0f);
    if (threadIdx.x == 0) {
        double loss = 0.0;
        if (!ignored)
            loss = bad ? NAN
                       : s4j_ce_loss_of(&kc, w_y, max, x_y, log_sum, smooth * S4J_SMOOTH_UNSCALE);
        if (a.row_loss) a.row_loss[r] = (float)loss;
        a.work[1 + r] = loss;
    }
}

// *loss = sum of the row losses (divided by work[0] for the mean), one block,
// a fixed order of additions.
__global__ void reduce_kernel(Args a, float *loss) {
    double t = 0.0;
    for (int64_t r = threadIdx.x; r < a.n; r += blockDim.x) t += a.work[1 + r];
    t = block_reduce<THREADS>(
        t, [](double x, double y) { return x + y; }, 0.0);
    if (threadIdx.x == 0) *loss = (float)(a.mean ? t / a.work[0] : t);
}

// out[0] = sum of the class weights, out[1] = the largest |weight|.
__global__ void weight_total_kernel(const float *w, int64_t c, double *out) {
    double t = 0.0, m = 0.0;
    for (int64_t k = threadIdx.x; k < c; k += blockDim.x) {
        t += w[k];
        m = fmax(m, fabs((double)w[k]));
    }
    t = block_reduce<THREADS>(
        t, [](double x, double y) { return x + y; }, 0.0);
    m = block_reduce<THREADS>(
        m, [](double x, double y) { return fmax(x, y); }, 0.0);
    if (threadIdx.x == 0) {
        out[0] = t;
        out[1] = m;
    }
}

// Softmax or log-softmax of one float32 row per block (s4j_softmax): the
// same online max/sum pass, then one write per element.
__global__ void softmax_kernel(int64_t c, const float *__restrict__ x, float *__restrict__ y,
                               int log) {
    extern __shared__ float row_cache[];
    const bool cached = c <= CACHED_ROW;
    const float *xr = x + blockIdx.x * c;
    float *yr = y + blockIdx.x * c;
    Stats st = {-FLT_MAX, 0.0f};
    for (int64_t k = threadIdx.x; k < c; k += blockDim.x) {
        float v = xr[k];
        if (cached) row_cache[k] = v;
        accumulate(st, v);
    }
    st = block_reduce<THREADS>(st, combine, Stats{-FLT_MAX, 0.0f});
    const float log_sum = logf(st.s), inv = 1.0f / st.s;
    for (int64_t k = threadIdx.x; k < c; k += blockDim.x) {
        float v = cached ? row_cache[k] : xr[k];
        yr[k] = log ? (v - st.m) - log_sum : expf(v - st.m) * inv;
    }
}

// ---------------------------------------------------------------------------
// launcher

int64_t s4j_cuda_softmax_ce_workspace_size(int64_t n) { return (n + 2) * 8; }

int s4j_cuda_softmax_ce(int64_t n, int64_t c, int32_t dtype, const void *logits,
                        const int32_t *targets, const s4j_ce_options *opt, float *loss,
                        float *row_loss, float *row_lse, int32_t *row_argmax, void *dlogits,
                        void *work, int64_t work_bytes, void *stream) {
    if (n < 0 || !loss || (dtype != S4J_F32 && dtype != S4J_BF16 && dtype != S4J_F16) ||
        !s4j_ce_options_valid(opt, 0) || n > INT32_MAX)
        return S4J_ERR_ARGUMENT;
    const float *class_weight = opt->class_weight;
    const int32_t reduction = opt->reduction;
    if (n > 0 && (c < 1 || !logits || !targets || (reduction == S4J_REDUCE_NONE && !row_loss)))
        return S4J_ERR_ARGUMENT;
    if (!work || work_bytes < s4j_cuda_softmax_ce_workspace_size(n)) return S4J_ERR_ARGUMENT;
    cudaStream_t s = (cudaStream_t)stream;
    if (n == 0) {
        // NaN (all bits set) for the mean of nothing, else 0; a memset, not a copy
        // from the host's stack, so that a recorded graph can replay it
        const int bits = reduction == S4J_REDUCE_MEAN ? 0xff : 0;
        return s4j_cuda_check(cudaMemsetAsync(loss, bits, 4, s), "loss");
    }
    Args a = {n,
              c,
              logits,
              targets,
              class_weight,
              opt->ignore_index,
              {opt->label_smoothing, opt->z_loss, opt->grad_scale, (double)c, 1.0, c},
              reduction == S4J_REDUCE_MEAN,
              row_loss,
              row_lse,
              row_argmax,
              dlogits,
              (double *)work};
    if (class_weight) { // the weights' sum and max, read back once (a small, rare case)
        double *total = (double *)work + 1, h[2] = {0.0, 0.0};
        weight_total_kernel<<<1, THREADS, 0, s>>>(class_weight, c, total);
        int rc =
            s4j_cuda_check(cudaMemcpyAsync(h, total, 16, cudaMemcpyDeviceToHost, s), "weights");
        if (rc == S4J_OK) rc = s4j_cuda_check(cudaStreamSynchronize(s), "weights");
        if (rc != S4J_OK) return rc;
        a.k.w_total = h[0];
        a.k.w_max = h[1];
    }
    divisor_kernel<<<1, THREADS, 0, s>>>(a);
    const size_t smem = (c <= CACHED_ROW ? (size_t)c : 0) * sizeof(float);
    switch (dtype) {
    case S4J_BF16:
        softmax_ce_kernel<S4J_BF16><<<(unsigned)n, THREADS, smem, s>>>(a);
        break;
    case S4J_F16:
        softmax_ce_kernel<S4J_F16><<<(unsigned)n, THREADS, smem, s>>>(a);
        break;
    default:
        softmax_ce_kernel<S4J_F32><<<(unsigned)n, THREADS, smem, s>>>(a);
    }
    reduce_kernel<<<1, THREADS, 0, s>>>(a, loss);
    return s4j_cuda_check(cudaGetLastError(), "softmax_ce launch");
}

int s4j_cuda_softmax(int64_t n, int64_t c, const float *x, float *y, int32_t log, void *stream) {
    if (n < 0 || n > INT32_MAX || (n > 0 && (c < 1 || !x || !y))) return S4J_ERR_ARGUMENT;
    if (n == 0) return S4J_OK;
    const size_t smem = (c <= CACHED_ROW ? (size_t)c : 0) * sizeof(float);
    softmax_kernel<<<(unsigned)n, THREADS, smem, (cudaStream_t)stream>>>(c, x, y, log);
    return s4j_cuda_check(cudaGetLastError(), "softmax launch");
}
