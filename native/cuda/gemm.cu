/*
 * gemm.cu — C = alpha op(A) op(B) + beta C on the GPU with the arguments,
 * row-major layout and edge rules of the CPU s4j_sgemm (gemm.c):
 * s4j_cuda_sgemm (float32 on CUDA cores, or TF32 on tensor cores) and
 * s4j_cuda_gemm_bf16 (bfloat16 A and B on tensor cores). Every path
 * accumulates in float32 and applies alpha and beta once, in its epilogue;
 * beta == 0 never reads C. k == 0 or alpha == 0 only scales C (A and B are
 * not read), as on the CPU.
 *
 * Kernels (all 256 threads; one block per 128x128 tile of C for the tiled
 * ones, numbered in groups of 8 tile rows so that resident blocks share A and
 * B in L2):
 *  - sgemm_128x128: float32 FMA. Each thread an 8x8 register tile of C; A and
 *    B go through double-buffered shared memory in 128x8 k-major slices,
 *    transposed as they are stored, so that one inner loop serves all four
 *    transpose combinations; the next slice is fetched into registers (one
 *    16-byte load per thread and matrix when aligned) while this one is
 *    multiplied. Per k a thread reads 16 floats of shared memory for 64 FMAs.
 *  - tc_128x128: tensor cores through WMMA (TF32 m16n16k8, BF16 m16n16k16),
 *    eight warps of 64x32; 128x32 slices of A and B in a 3-stage cp.async
 *    pipeline, kept in their layout in memory (the transposes become the
 *    fragments' row/column-major layout); the C tile leaves through shared
 *    memory for the guarded alpha/beta epilogue.
 *  - dot: one warp per element of C, for products too small to fill the GPU
 *    with 128x128 tiles (the trainer's 256x10x784 and 784x10x256), in every
 *    math: A and B rounded as the tensor cores would see them.
 *
 * Memory traffic of the tiled kernels: a tile reads a 128-row slice of A and
 * a 128-column slice of B, so A is read ceil(n/128) times and B ceil(m/128)
 * times, mostly from L2; at 1024^3 that is 64 MiB against 2.1 GFLOP (32
 * FLOP per byte): compute-bound.
 *
 * Not measured yet: a session with an H100 will compare these with cuBLAS
 * and add Hopper (wgmma, TMA) kernels.
 */
#include <cuda_bf16.h>
#include <cuda_runtime.h>
#include <mma.h>

#include <cstdint>
#include <type_traits>

#include "cuda_internal.h"
#include "softmax4j.h"

using namespace nvcuda;

#define THREADS 256 // every kernel: 8 warps
#define TILE 128    // rows and columns of C per block of the tiled kernels
#define GROUP_M 8   // tile rows per group in the order of blocks

#define GEMM_BF16 2 // s4j_cuda_gemm_bf16's "math", next to S4J_GEMM_FP32/TF32

// ---------------------------------------------------------------------------
// the problem, as every kernel receives it

template <int MATH> struct Input { using T = float; }; // element type of A and B
template <> struct Input<GEMM_BF16> { using T = __nv_bfloat16; };

template <typename T> struct Gemm {
    int64_t m, n, k;
    float alpha, beta;
    const T *a, *b;
    float *c;
    int64_t lda, ldb, ldc;
    // 16-byte aligned matrix and row stride: rows move in whole 16-byte chunks
    bool vec_a, vec_b, vec_c;
};

// A or B element as the arithmetic sees it: TF32 rounds to nearest (ties
// away), 10-bit mantissa, as cuBLAS does; products of two TF32 or BF16
// values are exact in float32.
template <int MATH> __device__ __forceinline__ float input(typename Input<MATH>::T x) {
    if constexpr (MATH == GEMM_BF16)
        return __bfloat162float(x);
    else if constexpr (MATH == S4J_GEMM_TF32)
        return wmma::__float_to_tf32(x);
    else
        return x;
}

// alpha v + beta old: the one rounding of every epilogue (beta != 0)
__device__ __forceinline__ float axpby(float alpha, float v, float beta, float old) {
    return fmaf(alpha, v, beta * old);
}

// c[0..3] = alpha v[0..3] + beta c[0..3] for the first `left` (may be <= 0
// or > 4) of four consecutive elements of a row of C; beta == 0: C is not
// read. vec: c is 16-byte aligned.
__device__ __forceinline__ void store4(float *c, const float *v, int64_t left, float alpha,
                                       float beta, bool vec) {
    if (vec && left >= 4) {
        float4 r = make_float4(alpha * v[0], alpha * v[1], alpha * v[2], alpha * v[3]);
        if (beta != 0.0f) {
            const float4 o = *(const float4 *)c;
            r = make_float4(axpby(alpha, v[0], beta, o.x), axpby(alpha, v[1], beta, o.y),
                            axpby(alpha, v[2], beta, o.z), axpby(alpha, v[3], beta, o.w));
        }
        *(float4 *)c = r;
        return;
    }
#pragma unroll
    for (int q = 0; q < 4; q++)
        if (q < left) c[q] = beta == 0.0f ? alpha * v[q] : axpby(alpha, v[q], beta, c[q]);
}

// Origin of this block's tile. Consecutive blocks walk down a group of
// GROUP_M tile rows before moving one tile right: the blocks resident at one
// time then share a few column slices of B and row slices of A in L2
// instead of sweeping all of B.
__device__ __forceinline__ void tile_origin(int64_t m, int64_t n, int64_t *m0, int64_t *n0) {
    const int64_t tiles_m = (m + TILE - 1) / TILE, tiles_n = (n + TILE - 1) / TILE;
    const int64_t t = blockIdx.x, per_group = GROUP_M * tiles_n;
    const int64_t first = t / per_group * GROUP_M, r = t % per_group;
    const int64_t rows = tiles_m - first < GROUP_M ? tiles_m - first : GROUP_M;
    *m0 = (first + r % rows) * TILE;
    *n0 = r / rows * TILE;
}

// ---------------------------------------------------------------------------
// C = beta C: k == 0 or alpha == 0

__global__ void __launch_bounds__(THREADS)
    scale_kernel(int64_t m, int64_t n, float beta, float *c, int64_t ldc) {
    for (int64_t i = blockIdx.x; i < m; i += gridDim.x)
        for (int64_t j = threadIdx.x; j < n; j += THREADS) {
            float *p = c + i * ldc + j;
            *p = beta == 0.0f ? 0.0f : beta * *p;
        }
}

// ---------------------------------------------------------------------------
// small products: one warp per element of C

// Consecutive warps take consecutive elements of a row of C (they share the
// row of op(A) in L1); the lanes split k and add in a shuffle tree.
template <int MATH>
__global__ void __launch_bounds__(THREADS)
    dot_kernel(bool ta, bool tb, Gemm<typename Input<MATH>::T> g) {
    const int64_t e = (blockIdx.x * (int64_t)THREADS + threadIdx.x) / 32;
    const int lane = threadIdx.x % 32;
    if (e >= g.m * g.n) return; // whole warps: e is the same on all lanes
    const int64_t i = e / g.n, j = e % g.n;
    // op(A)(i, p) = pa[p * sa], op(B)(p, j) = pb[p * sb]
    const auto *pa = ta ? g.a + i : g.a + i * g.lda;
    const auto *pb = tb ? g.b + j * g.ldb : g.b + j;
    const int64_t sa = ta ? g.lda : 1, sb = tb ? 1 : g.ldb;
    float acc = 0.0f;
    for (int64_t p = lane; p < g.k; p += 32)
        acc = fmaf(input<MATH>(pa[p * sa]), input<MATH>(pb[p * sb]), acc);
    for (int off = 16; off > 0; off /= 2) acc += __shfl_down_sync(0xffffffffu, acc, off);
    if (lane == 0) {
        float *pc = g.c + i * g.ldc + j;
        *pc = g.beta == 0.0f ? g.alpha * acc : axpby(g.alpha, acc, g.beta, *pc);
    }
}

// ---------------------------------------------------------------------------
// float32 on CUDA cores: 128x128 tiles, 8x8 per thread

#define F_BK 8  // k per slice: 2 buffers x 2 matrices x 8 x 132 floats = 16.5 KiB
#define F_PAD 4 // the transposing stores of a row's two threads: different banks

// A slice is 128 (o: rows of op(A), or columns of op(B)) x F_BK (p: k) with
// element (o, p) at src[o * ld + p] when K_CONTIG (A; B transposed), else
// at src[p * ld + o]. Each thread moves 4 elements adjacent in memory.
template <bool K_CONTIG> __device__ __forceinline__ void slice_pos(int *o, int *p) {
    *o = K_CONTIG ? threadIdx.x / 2 : threadIdx.x % 32 * 4;
    *p = K_CONTIG ? threadIdx.x % 2 * 4 : threadIdx.x / 32;
}

// This thread's 4 elements of the slice at src, 0 outside the matrix
// (o >= o_left or p >= p_left); one 16-byte load when vec and all inside.
template <bool K_CONTIG>
__device__ __forceinline__ void fetch_slice(float v[4], const float *src, int64_t ld,
                                            int64_t o_left, int64_t p_left, bool vec) {
    int o, p;
    slice_pos<K_CONTIG>(&o, &p);
    const float *s = K_CONTIG ? src + o * ld + p : src + p * ld + o;
    const bool row_in = K_CONTIG ? o < o_left : p < p_left; // the memory row
    const int64_t run = K_CONTIG ? p_left - p : o_left - o; // elements left on it
    if (vec && row_in && run >= 4) {
        const float4 x = *(const float4 *)s;
        v[0] = x.x, v[1] = x.y, v[2] = x.z, v[3] = x.w;
    } else {
#pragma unroll
        for (int q = 0; q < 4; q++) v[q] = row_in && q < run ? s[q] : 0.0f;
    }
}

// Stores them k-major (dst[p][o]), transposing when K_CONTIG.
template <bool K_CONTIG>
__device__ __forceinline__ void put_slice(const float v[4], float (*dst)[TILE + F_PAD]) {
    int o, p;
    slice_pos<K_CONTIG>(&o, &p);
    if (K_CONTIG) {
#pragma unroll
        for (int q = 0; q < 4; q++) dst[p + q][o] = v[q];
    } else {
        *(float4 *)&dst[p][o] = make_float4(v[0], v[1], v[2], v[3]);
    }
}

template <bool TA, bool TB>
__global__ void __launch_bounds__(THREADS) sgemm_128x128_kernel(Gemm<float> g) {
    __shared__ __align__(16) float as[2][F_BK][TILE + F_PAD];
    __shared__ __align__(16) float bs[2][F_BK][TILE + F_PAD];
    int64_t m0, n0;
    tile_origin(g.m, g.n, &m0, &n0);
    // the first slices; the next ones are step_a, step_b floats further on
    const float *pa = TA ? g.a + m0 : g.a + m0 * g.lda;
    const float *pb = TB ? g.b + n0 * g.ldb : g.b + n0;
    const int64_t step_a = TA ? F_BK * g.lda : F_BK, step_b = TB ? F_BK : F_BK * g.ldb;
    float va[4], vb[4];
    fetch_slice<!TA>(va, pa, g.lda, g.m - m0, g.k, g.vec_a);
    fetch_slice<TB>(vb, pb, g.ldb, g.n - n0, g.k, g.vec_b);
    put_slice<!TA>(va, as[0]);
    put_slice<TB>(vb, bs[0]);
    __syncthreads();

    // This thread's rows are ty*4 + {0..3} and 64 + ty*4 + {0..3} (columns
    // likewise with tx): per k two float4 reads of each slice, broadcast
    // across the warp for A (two values of ty), conflict-free for B.
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    float acc[8][8] = {};
    const int64_t slices = (g.k + F_BK - 1) / F_BK;
    for (int64_t s = 0; s < slices; s++) {
        const int cur = s & 1;
        const bool more = s + 1 < slices;
        if (more) { // in flight during the FMAs below
            pa += step_a;
            pb += step_b;
            const int64_t k_left = g.k - (s + 1) * F_BK;
            fetch_slice<!TA>(va, pa, g.lda, g.m - m0, k_left, g.vec_a);
            fetch_slice<TB>(vb, pb, g.ldb, g.n - n0, k_left, g.vec_b);
        }
#pragma unroll
        for (int p = 0; p < F_BK; p++) {
            const float4 a0 = *(const float4 *)&as[cur][p][ty * 4];
            const float4 a1 = *(const float4 *)&as[cur][p][TILE / 2 + ty * 4];
            const float4 b0 = *(const float4 *)&bs[cur][p][tx * 4];
            const float4 b1 = *(const float4 *)&bs[cur][p][TILE / 2 + tx * 4];
            const float ra[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
            const float rb[8] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 8; j++) acc[i][j] = fmaf(ra[i], rb[j], acc[i][j]);
        }
        // The other buffer was last read in the previous iteration, which
        // every thread finished before that iteration's barrier.
        if (more) {
            put_slice<!TA>(va, as[cur ^ 1]);
            put_slice<TB>(vb, bs[cur ^ 1]);
        }
        __syncthreads();
    }

#pragma unroll
    for (int i = 0; i < 8; i++) {
        const int64_t row = m0 + i / 4 * (TILE / 2) + ty * 4 + i % 4;
        if (row >= g.m) continue;
#pragma unroll
        for (int h = 0; h < 2; h++) {
            const int64_t col = n0 + h * (TILE / 2) + tx * 4;
            store4(g.c + row * g.ldc + col, &acc[i][h * 4], g.n - col, g.alpha, g.beta, g.vec_c);
        }
    }
}

// ---------------------------------------------------------------------------
// tensor cores (WMMA): TF32 or BF16 inputs, float32 accumulation

#define T_BK 32    // k per stage
#define T_STAGES 3 // slices in flight: two being copied while one is multiplied

template <int MATH> struct Wmma; // fragment shape 16 x 16 x K
template <> struct Wmma<S4J_GEMM_TF32> {
    static constexpr int K = 8;
    using In = wmma::precision::tf32;
};
template <> struct Wmma<GEMM_BF16> {
    static constexpr int K = 16;
    using In = __nv_bfloat16;
};

// Shared-memory layout. A slice keeps its layout in memory (cp.async copies
// bytes): A is TILE x T_BK, or T_BK x TILE when stored k x m; B is
// T_BK x TILE, or TILE x T_BK when stored n x k. Rows are padded by 16 bytes
// so that consecutive rows start in different banks (also keeping rows and
// fragments at the 16 and 32-byte alignment WMMA and cp.async require).
// After the main loop the same memory holds the float32 C tile.
template <int MATH, bool TA, bool TB> struct TcLayout {
    using T = typename Input<MATH>::T;
    static constexpr int PAD = 16 / sizeof(T);
    static constexpr int A_ROWS = TA ? T_BK : TILE, A_COLS = TA ? TILE : T_BK;
    static constexpr int B_ROWS = TB ? TILE : T_BK, B_COLS = TB ? T_BK : TILE;
    static constexpr int LDA = A_COLS + PAD, LDB = B_COLS + PAD, LDC = TILE + 4;
    static constexpr int A_ELEMS = A_ROWS * LDA, B_ELEMS = B_ROWS * LDB;
    static constexpr size_t PIPE = (size_t)T_STAGES * (A_ELEMS + B_ELEMS) * sizeof(T);
    static constexpr size_t C_TILE = (size_t)TILE * LDC * sizeof(float);
    static constexpr size_t SMEM = PIPE > C_TILE ? PIPE : C_TILE;
};

// cp.async (sm_80+): 16 bytes to shared memory, of which the first `bytes`
// come from src and the rest are zero; in flight until cp_async_wait.
__device__ __forceinline__ void cp_async16(void *dst, const void *src, int bytes) {
    const unsigned d = (unsigned)__cvta_generic_to_shared(dst);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src), "r"(bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
// Waits until at most N of this thread's committed groups are in flight.
template <int N> __device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

// Copies the ROWS x COLS tile at src (row stride ld) to dst (row stride
// LDS), zero beyond rows_left x cols_left. vec: 16-byte chunks by cp.async,
// a chunk straddling the edge copying only its inside part; otherwise plain
// loads and stores, element by element (correct, but not overlapped).
template <typename T, int ROWS, int COLS, int LDS>
__device__ __forceinline__ void copy_tile(T *dst, const T *src, int64_t ld, int64_t rows_left,
                                          int64_t cols_left, bool vec) {
    if (vec) {
        constexpr int V = 16 / sizeof(T), CHUNKS = ROWS * COLS / V;
        static_assert(CHUNKS % THREADS == 0, "whole chunks per thread");
#pragma unroll
        for (int q = threadIdx.x; q < CHUNKS; q += THREADS) {
            const int r = q / (COLS / V), col = q % (COLS / V) * V;
            const int64_t in = r >= rows_left || col >= cols_left ? 0
                               : cols_left - col < V              ? cols_left - col
                                                                  : V;
            // nothing to copy: any valid address will do (the tile origin)
            cp_async16(dst + r * LDS + col, in > 0 ? src + r * ld + col : src,
                       (int)(in * sizeof(T)));
        }
    } else {
        static_assert(ROWS * COLS % THREADS == 0, "whole elements per thread");
#pragma unroll 4
        for (int q = threadIdx.x; q < ROWS * COLS; q += THREADS) {
            const int r = q / COLS, col = q % COLS;
            dst[r * LDS + col] = r < rows_left && col < cols_left ? src[r * ld + col] : T(0.0f);
        }
    }
}

template <int MATH, bool TA, bool TB>
__global__ void __launch_bounds__(THREADS) tc_128x128_kernel(Gemm<typename Input<MATH>::T> g) {
    using L = TcLayout<MATH, TA, TB>;
    using T = typename L::T;
    using In = typename Wmma<MATH>::In;
    using LayoutA = typename std::conditional<TA, wmma::col_major, wmma::row_major>::type;
    using LayoutB = typename std::conditional<TB, wmma::col_major, wmma::row_major>::type;
    constexpr int KS = Wmma<MATH>::K;
    extern __shared__ __align__(128) unsigned char smem[];
    T *const sa = (T *)smem, *const sb = sa + T_STAGES * L::A_ELEMS;
    int64_t m0, n0;
    tile_origin(g.m, g.n, &m0, &n0);

    // slice s of A and B into stage `stage`
    auto load = [&](int64_t s, int stage) {
        const int64_t k0 = s * T_BK;
        T *da = sa + stage * L::A_ELEMS, *db = sb + stage * L::B_ELEMS;
        if (TA)
            copy_tile<T, T_BK, TILE, L::LDA>(da, g.a + k0 * g.lda + m0, g.lda, g.k - k0, g.m - m0,
                                             g.vec_a);
        else
            copy_tile<T, TILE, T_BK, L::LDA>(da, g.a + m0 * g.lda + k0, g.lda, g.m - m0, g.k - k0,
                                             g.vec_a);
        if (TB)
            copy_tile<T, TILE, T_BK, L::LDB>(db, g.b + n0 * g.ldb + k0, g.ldb, g.n - n0, g.k - k0,
                                             g.vec_b);
        else
            copy_tile<T, T_BK, TILE, L::LDB>(db, g.b + k0 * g.ldb + n0, g.ldb, g.k - k0, g.n - n0,
                                             g.vec_b);
    };

    // this warp's 64 x 32 part of the tile: 4 x 2 fragments
    const int warp = threadIdx.x / 32, wm = warp / 4 * 64, wn = warp % 4 * 32;
    wmma::fragment<wmma::accumulator, 16, 16, KS, float> acc[4][2];
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    // Group s of this thread's copies holds slice s: every thread commits
    // one group per slot, empty ones included, so the counting holds.
    const int64_t slices = (g.k + T_BK - 1) / T_BK;
    for (int s = 0; s < T_STAGES - 1; s++) {
        if (s < slices) load(s, s);
        cp_async_commit();
    }
    for (int64_t s = 0; s < slices; s++) {
        cp_async_wait<T_STAGES - 2>(); // slice s is in, for this thread's copies
        __syncthreads();               // ... and everyone's; and slice s - 1 is no longer read
        const int64_t next = s + T_STAGES - 1; // into the stage of slice s - 1
        if (next < slices) load(next, (int)(next % T_STAGES));
        cp_async_commit();

        const T *cur_a = sa + s % T_STAGES * L::A_ELEMS;
        const T *cur_b = sb + s % T_STAGES * L::B_ELEMS;
#pragma unroll
        for (int kk = 0; kk < T_BK; kk += KS) {
            wmma::fragment<wmma::matrix_a, 16, 16, KS, In, LayoutA> fa[4];
            wmma::fragment<wmma::matrix_b, 16, 16, KS, In, LayoutB> fb[2];
#pragma unroll
            for (int i = 0; i < 4; i++) {
                const int r = wm + i * 16;
                wmma::load_matrix_sync(
                    fa[i], TA ? cur_a + kk * L::LDA + r : cur_a + r * L::LDA + kk, L::LDA);
                if constexpr (MATH == S4J_GEMM_TF32)
                    for (int t = 0; t < fa[i].num_elements; t++)
                        fa[i].x[t] = input<MATH>(fa[i].x[t]);
            }
#pragma unroll
            for (int j = 0; j < 2; j++) {
                const int col = wn + j * 16;
                wmma::load_matrix_sync(
                    fb[j], TB ? cur_b + col * L::LDB + kk : cur_b + kk * L::LDB + col, L::LDB);
                if constexpr (MATH == S4J_GEMM_TF32)
                    for (int t = 0; t < fb[j].num_elements; t++)
                        fb[j].x[t] = input<MATH>(fb[j].x[t]);
            }
#pragma unroll
            for (int i = 0; i < 4; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], fa[i], fb[j], acc[i][j]);
        }
    }
    cp_async_wait<0>(); // only empty groups can be left, but the memory is reused
    __syncthreads();

    // Fragments map to threads in no documented way: through shared memory,
    // then each thread writes 4 consecutive columns (a warp: one row).
    float *const cs = (float *)smem;
#pragma unroll
    for (int i = 0; i < 4; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
            wmma::store_matrix_sync(cs + (wm + i * 16) * L::LDC + wn + j * 16, acc[i][j], L::LDC,
                                    wmma::mem_row_major);
    __syncthreads();
    const int col = threadIdx.x % 32 * 4;
    for (int r = threadIdx.x / 32; r < TILE && m0 + r < g.m; r += THREADS / 32)
        store4(g.c + (m0 + r) * g.ldc + n0 + col, cs + r * L::LDC + col, g.n - n0 - col, g.alpha,
               g.beta, g.vec_c);
}

// ---------------------------------------------------------------------------
// launchers

static int64_t at_least_1(int64_t x) { return x > 1 ? x : 1; }
static int64_t tiles(int64_t x) { return (x - 1) / TILE + 1; } // x >= 1

static bool aligned(const void *p, int64_t ld, size_t elem) {
    return (uintptr_t)p % 16 == 0 && ld * (int64_t)elem % 16 == 0;
}

// Too small for 128x128 tiles: C fills at most four (4 busy SMs of 100+) and
// there are at most 2^24 multiply-adds, which a warp per element of C,
// reading A and B through L1, finishes sooner. A guess, to be measured.
static bool small(int64_t m, int64_t n, int64_t k) {
    return m <= 65536 && n <= 65536 && m * n <= 65536 && k <= (1 << 24) && m * n * k <= (1 << 24);
}

template <int MATH, bool TA, bool TB>
static int launch_tiled(const Gemm<typename Input<MATH>::T> &g, unsigned blocks, cudaStream_t s) {
    if constexpr (MATH == S4J_GEMM_FP32) {
        sgemm_128x128_kernel<TA, TB><<<blocks, THREADS, 0, s>>>(g);
    } else {
        // more than the default 48 KiB of shared memory: opted into per call
        // (cheap, and per device)
        const auto kernel = tc_128x128_kernel<MATH, TA, TB>;
        const size_t smem = TcLayout<MATH, TA, TB>::SMEM;
        int rc = s4j_cuda_check(
            cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem),
            "gemm shared memory");
        if (rc != S4J_OK) return rc;
        kernel<<<blocks, THREADS, smem, s>>>(g);
    }
    return S4J_OK;
}

template <int MATH>
static int gemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                const void *a, int64_t lda, const void *b, int64_t ldb, float beta, float *c,
                int64_t ldc, void *stream) {
    using T = typename Input<MATH>::T;
    const bool ta = trans_a != 0, tb = trans_b != 0;
    // the checks of s4j_sgemm, before any CUDA call
    if (m < 0 || n < 0 || k < 0) return S4J_ERR_ARGUMENT;
    if (lda < at_least_1(ta ? m : k) || ldb < at_least_1(tb ? k : n) || ldc < at_least_1(n))
        return S4J_ERR_ARGUMENT;
    if (m == 0 || n == 0) return S4J_OK;
    if (!c || (k > 0 && (!a || !b))) return S4J_ERR_ARGUMENT;
    // one block per tile: 2^31 - 1 tiles are 2^45 floats of C
    if (tiles(m) > INT32_MAX / tiles(n)) return S4J_ERR_ARGUMENT;

    const Gemm<T> g = {m,
                       n,
                       k,
                       alpha,
                       beta,
                       (const T *)a,
                       (const T *)b,
                       c,
                       lda,
                       ldb,
                       ldc,
                       aligned(a, lda, sizeof(T)),
                       aligned(b, ldb, sizeof(T)),
                       aligned(c, ldc, sizeof(float))};
    cudaStream_t s = (cudaStream_t)stream;
    if (k == 0 || alpha == 0.0f) {
        const unsigned blocks = (unsigned)(m < 65535 ? m : 65535);
        scale_kernel<<<blocks, THREADS, 0, s>>>(m, n, beta, c, ldc);
    } else if (small(m, n, k)) {
        const unsigned blocks = (unsigned)((m * n + THREADS / 32 - 1) / (THREADS / 32));
        dot_kernel<MATH><<<blocks, THREADS, 0, s>>>(ta, tb, g);
    } else {
        const unsigned blocks = (unsigned)(tiles(m) * tiles(n));
        const int rc = ta ? (tb ? launch_tiled<MATH, true, true>(g, blocks, s)
                                : launch_tiled<MATH, true, false>(g, blocks, s))
                          : (tb ? launch_tiled<MATH, false, true>(g, blocks, s)
                                : launch_tiled<MATH, false, false>(g, blocks, s));
        if (rc != S4J_OK) return rc;
    }
    return s4j_cuda_check(cudaGetLastError(), "gemm launch");
}

int s4j_cuda_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
                   int64_t ldc, int32_t math, void *stream) {
    if (math == S4J_GEMM_FP32)
        return gemm<S4J_GEMM_FP32>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                                   stream);
    if (math == S4J_GEMM_TF32)
        return gemm<S4J_GEMM_TF32>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc,
                                   stream);
    return S4J_ERR_ARGUMENT;
}

int s4j_cuda_gemm_bf16(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                       float alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                       float beta, float *c, int64_t ldc, void *stream) {
    return gemm<GEMM_BF16>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, stream);
}
