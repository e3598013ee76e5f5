/*
 * block_reduce.cuh — what the row kernels share (softmax_ce.cu,
 * linear_ce.cu): the running (max, sum of exp) pair of the online softmax
 * and a block-wide reduction with a fixed combination order. Not ABI.
 */
#ifndef S4J_BLOCK_REDUCE_CUH
#define S4J_BLOCK_REDUCE_CUH

#include <cfloat>
#include <cmath>

// Running (max, sum of exp(x - max)) pairs; max starts at -FLT_MAX so that
// masked (-inf) entries never compute -inf - -inf.
struct Stats {
    float m;
    float s;
};

__host__ __device__ __forceinline__ Stats combine(Stats a, Stats b) {
    float m = fmaxf(a.m, b.m);
    return {m, a.s * expf(a.m - m) + b.s * expf(b.m - m)};
}

// Folds v into the running pair st (NaN never becomes the max; it poisons the sum).
__device__ __forceinline__ void accumulate(Stats &st, float v) {
    if (v > st.m) {
        st.s *= expf(st.m - v);
        st.m = v;
    }
    st.s += expf(v - st.m);
}

// Reduces v over a block of THREADS threads with op; identity fills the
// lanes of the last step that have no warp behind them. Every thread gets
// the result.
template <int THREADS, typename T, typename F> __device__ T block_reduce(T v, F op, T identity) {
    static_assert(THREADS % 32 == 0 && THREADS <= 1024, "whole warps");
    __shared__ T partial[THREADS / 32];
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
    const int words = (sizeof(T) + 3) / 4; // shuffle the value as raw 32-bit words
    for (int off = 16; off > 0; off /= 2) {
        T other;
        for (int w = 0; w < words; w++)
            ((int *)&other)[w] = __shfl_down_sync(0xffffffffu, ((int *)&v)[w], off);
        v = op(v, other);
    }
    if (lane == 0) partial[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < THREADS / 32 ? partial[lane] : identity;
        for (int off = THREADS / 64; off > 0; off /= 2) {
            T other;
            for (int w = 0; w < words; w++)
                ((int *)&other)[w] = __shfl_down_sync(0xffffffffu, ((int *)&v)[w], off);
            v = op(v, other);
        }
        if (lane == 0) partial[0] = v;
    }
    __syncthreads();
    T result = partial[0];
    __syncthreads(); // partial is reused by the next reduction
    return result;
}

// The weight of target y in the mean's divisor: 0 when ignored, NaN when
// out of range (targets are not checked on the device).
__device__ __forceinline__ double target_weight(int32_t y, int64_t c, const float *w,
                                                int32_t ignore_index) {
    if (y == ignore_index) return 0.0;
    return (y >= 0 && y < c) ? (w ? (double)w[y] : 1.0) : NAN;
}

#endif
