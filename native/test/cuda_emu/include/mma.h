/*
 * mma.h (CUDA emulator) — WMMA with reference semantics. How a fragment's
 * elements spread over a warp's lanes is undocumented, so kernels may only
 * treat them alike (fill, scale, round): here each lane holds a whole
 * fragment and lane 0 does the warp's loads, products and stores, while the
 * other lanes' copies go unused. Checked: the pointer and stride alignment
 * WMMA requires, and TF32 inputs rounded (__float_to_tf32) before mma_sync.
 */
#pragma once

#include <type_traits>

#include "cuda_bf16.h"
#include "cuda_fp16.h"
#include "cuda_runtime.h"

namespace nvcuda::wmma {

struct row_major {};
struct col_major {};
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
namespace precision {
struct tf32 {};
} // namespace precision
enum layout_t { mem_row_major, mem_col_major };

template <class T> struct storage { using type = T; };
template <> struct storage<precision::tf32> { using type = float; }; // tf32 lives in a float

// rows and columns of each operand of an M x N x K product
template <class Use, int M, int N, int K> struct shape;
template <int M, int N, int K> struct shape<matrix_a, M, N, K> {
    static constexpr int R = M, C = K;
};
template <int M, int N, int K> struct shape<matrix_b, M, N, K> {
    static constexpr int R = K, C = N;
};
template <int M, int N, int K> struct shape<accumulator, M, N, K> {
    static constexpr int R = M, C = N;
};

template <class Use, int M, int N, int K, class T, class Layout = void> struct fragment {
    using element_type = typename storage<T>::type;
    static constexpr int R = shape<Use, M, N, K>::R, C = shape<Use, M, N, K>::C;
    static constexpr int num_elements = R * C;
    element_type x[R * C]; // row-major, whatever Layout says about memory
};

// cvt.rna.tf32.f32: 10 explicit mantissa bits, to nearest, ties away from zero
inline float __float_to_tf32(float f) {
    uint32_t u = emu::float_to_bits(f);
    if ((u & 0x7f800000u) != 0x7f800000u) u = (u + 0x1000u) & ~0x1fffu;
    return emu::bits_to_float(u);
}

namespace detail {
inline void check(const void *p, unsigned ldm, size_t elem, emu::where w) {
    if ((uintptr_t)p % 32) emu::fail(w, "WMMA pointer %p is not 32-byte aligned", p);
    if (ldm * elem % 16)
        emu::fail(w, "WMMA stride of %u elements is not a multiple of 16 bytes", ldm);
}
inline float value(float v) { return v; }
inline float value(__nv_bfloat16 v) { return v; }
inline float value(__half v) { return v; }
} // namespace detail

template <class U, int M, int N, int K, class T, class L, class E>
void load_matrix_sync(fragment<U, M, N, K, T, L> &f, const E *p, unsigned ldm,
                      emu::where w = emu::where::current()) {
    using F = fragment<U, M, N, K, T, L>;
    static_assert(!std::is_void_v<L>, "matrix_a and matrix_b fragments have a layout");
    static_assert(std::is_same_v<E, typename F::element_type>, "pointer of the fragment's type");
    detail::check(p, ldm, sizeof(E), w);
    if (emu::lane() != 0) return;
    constexpr bool row = std::is_same_v<L, row_major>;
    for (int r = 0; r < F::R; r++)
        for (int c = 0; c < F::C; c++)
            f.x[r * F::C + c] = row ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}

template <int M, int N, int K>
void load_matrix_sync(fragment<accumulator, M, N, K, float> &f, const float *p, unsigned ldm,
                      layout_t l, emu::where w = emu::where::current()) {
    detail::check(p, ldm, sizeof(float), w);
    if (emu::lane() != 0) return;
    for (int r = 0; r < M; r++)
        for (int c = 0; c < N; c++)
            f.x[r * N + c] = l == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}

template <int M, int N, int K>
void store_matrix_sync(float *p, const fragment<accumulator, M, N, K, float> &f, unsigned ldm,
                       layout_t l, emu::where w = emu::where::current()) {
    detail::check(p, ldm, sizeof(float), w);
    if (emu::lane() != 0) return;
    for (int r = 0; r < M; r++)
        for (int c = 0; c < N; c++)
            (l == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r]) = f.x[r * N + c];
}

template <class U, int M, int N, int K, class T, class L>
void fill_fragment(fragment<U, M, N, K, T, L> &f,
                   typename fragment<U, M, N, K, T, L>::element_type v) {
    for (auto &e : f.x) e = v;
}

// d = a b + c in float32: products of TF32, BF16 or FP16 values are exact.
template <int M, int N, int K, class T, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float> &d, const fragment<matrix_a, M, N, K, T, LA> &a,
              const fragment<matrix_b, M, N, K, T, LB> &b,
              const fragment<accumulator, M, N, K, float> &c,
              emu::where w = emu::where::current()) {
    if (emu::lane() != 0) return;
    if constexpr (std::is_same_v<T, precision::tf32>) {
        for (int i = 0; i < a.num_elements + b.num_elements; i++) {
            const float v = i < a.num_elements ? a.x[i] : b.x[i - a.num_elements];
            const uint32_t u = emu::float_to_bits(v);
            if (u == 0xffffffffu || u == 0x7f7f7f7fu) // the emulator's garbage
                emu::fail(w,
                          "TF32 mma_sync input 0x%08x, the emulator's garbage: shared memory "
                          "read before it was written, or before its cp.async landed?",
                          u);
            if ((u & 0x7f800000u) != 0x7f800000u && (u & 0x1fffu)) // NaN and inf pass as they are
                emu::fail(w, "TF32 mma_sync input %.9g was not rounded with __float_to_tf32", v);
        }
    }
    float out[M * N];
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            float s = c.x[i * N + j];
            for (int p = 0; p < K; p++)
                s = fmaf(detail::value(a.x[i * K + p]), detail::value(b.x[p * N + j]), s);
            out[i * N + j] = s;
        }
    std::memcpy(d.x, out, sizeof out); // d may be c
}

} // namespace nvcuda::wmma
