/*
 * cuda_runtime.h (CUDA emulator) — the part of CUDA that softmax4j's .cu
 * files use, as host C++. Kernels become plain functions that each emulated
 * thread calls on a stack of its own; threads take turns and switch only at
 * __syncthreads and warp shuffles (see ../README.md: the execution model and
 * what it checks). Only what the kernels need: a missing piece does not
 * compile, it is never a silent stub.
 */
#pragma once

#include <math.h> // expf, isfinite, ... in the global namespace, as nvcc has them
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <source_location>
#include <tuple>
#include <type_traits>
#include <utility>

// ---------------------------------------------------------------------------
// qualifiers: kernels and device functions are host functions

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __align__(n) __attribute__((aligned(n)))
// __shared__ and kernel<<<...>>> are rewritten at build time
// (transform.cmake); one that is left does not compile.

// ---------------------------------------------------------------------------
// built-in variables, vector types

struct dim3 {
    unsigned x, y, z;
    constexpr dim3(unsigned x = 1, unsigned y = 1, unsigned z = 1) : x(x), y(y), z(z) {}
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim; // the running thread's
constexpr int warpSize = 32;

struct alignas(8) float2 {
    float x, y;
};
struct alignas(16) float4 {
    float x, y, z, w;
}; // misaligned use: UBSan reports it
struct alignas(4) uchar4 {
    unsigned char x, y, z, w;
};
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline uchar4 make_uchar4(unsigned char x, unsigned char y, unsigned char z, unsigned char w) {
    return {x, y, z, w};
}

// ---------------------------------------------------------------------------
// runtime API (runtime.cpp): host memory stands in for device memory, and
// every call completes before it returns (streams order nothing), except on
// a stream that captures: there the work is recorded for cudaGraphLaunch.

enum cudaError_t {
    cudaSuccess = 0,
    cudaErrorInvalidValue = 1,
    cudaErrorMemoryAllocation = 2,
    cudaErrorInvalidConfiguration = 9,
    cudaErrorInvalidMemcpyDirection = 21,
    cudaErrorInsufficientDriver = 35,
    cudaErrorInvalidResourceHandle = 400,
    cudaErrorIllegalState = 401,
    cudaErrorStreamCaptureUnsupported = 900,
    cudaErrorStreamCaptureInvalidated = 901,
    cudaErrorStreamCaptureImplicit = 906,
    cudaErrorStreamCaptureWrongThread = 908,
};
enum cudaMemcpyKind {
    cudaMemcpyHostToHost = 0,
    cudaMemcpyHostToDevice = 1,
    cudaMemcpyDeviceToHost = 2,
    cudaMemcpyDeviceToDevice = 3,
    cudaMemcpyDefault = 4,
};
enum cudaFuncAttribute { cudaFuncAttributeMaxDynamicSharedMemorySize = 8 };
typedef struct CUstream_st *cudaStream_t;
#define cudaStreamDefault 0x00
#define cudaStreamNonBlocking 0x01

// stream capture and graphs (a captured graph is a list of operations, run
// in order by cudaGraphLaunch)
enum cudaStreamCaptureMode {
    cudaStreamCaptureModeGlobal = 0,
    cudaStreamCaptureModeThreadLocal = 1,
    cudaStreamCaptureModeRelaxed = 2,
};
enum cudaStreamCaptureStatus {
    cudaStreamCaptureStatusNone = 0,
    cudaStreamCaptureStatusActive = 1,
    cudaStreamCaptureStatusInvalidated = 2,
};
enum cudaGraphInstantiateFlags { // accepted; nothing for them to change here
    cudaGraphInstantiateFlagAutoFreeOnLaunch = 1,
    cudaGraphInstantiateFlagUpload = 2,
    cudaGraphInstantiateFlagUseNodePriority = 8,
};
typedef struct CUgraph_st *cudaGraph_t;
typedef struct CUgraphExec_st *cudaGraphExec_t;

cudaError_t cudaGetDeviceCount(int *count);
cudaError_t cudaDriverGetVersion(int *version);
cudaError_t cudaRuntimeGetVersion(int *version);
cudaError_t cudaMalloc(void **ptr, size_t bytes);
template <class T> cudaError_t cudaMalloc(T **ptr, size_t bytes) {
    return cudaMalloc((void **)ptr, bytes);
}
cudaError_t cudaFree(void *ptr);
cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream = nullptr);
cudaError_t cudaMemset(void *ptr, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void *ptr, int value, size_t bytes, cudaStream_t stream = nullptr);
cudaError_t cudaStreamCreate(cudaStream_t *stream);
cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode);
cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph);
cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus *status);
cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph,
                                 unsigned long long flags = 0);
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream);
cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec);
cudaError_t cudaGraphDestroy(cudaGraph_t graph);
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char *cudaGetErrorName(cudaError_t err);
const char *cudaGetErrorString(cudaError_t err);

namespace emu {
cudaError_t set_attribute(const void *kernel, cudaFuncAttribute attr, int value);
}
template <class F> cudaError_t cudaFuncSetAttribute(F *kernel, cudaFuncAttribute attr, int value) {
    return emu::set_attribute(reinterpret_cast<const void *>(kernel), attr, value);
}

// ---------------------------------------------------------------------------
// the emulator's side (emu.cpp)

namespace emu {
using where = std::source_location;

[[noreturn]] void fail(where w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sync_block(where w);
// Warp-wide: every lane of the warp gives v, and gets the v of lane src.
uint64_t exchange(unsigned mask, uint64_t v, unsigned src, where w);
unsigned lane();
bool is_device(const void *p); // inside (or just past) a cudaMalloc block

// Launch: kernel<<<cfg>>>(args) becomes emu::launch(kernel, emu::config(cfg))(args).
struct config {
    dim3 grid, block;
    size_t shared;
    cudaStream_t stream;
    config(dim3 g, dim3 b, size_t s = 0, cudaStream_t st = nullptr)
        : grid(g), block(b), shared(s), stream(st) {}
};
// One launch: the kernel, its configuration and its arguments, by value
// (converted to the parameters' types once, as a launch does). A captured
// launch keeps it for every cudaGraphLaunch.
struct kernel_call {
    const void *kernel;
    config cfg;
    where w;
    kernel_call(const void *k, const config &c, where w) : kernel(k), cfg(c), w(w) {}
    virtual ~kernel_call() = default;
    virtual void check_arguments() const = 0; // stops at a pointer outside device memory
    virtual void body() const = 0;            // one thread's run: each gets its own copy
};
// Runs the launch as each thread of each block, or records it on a stream
// that captures; a bad configuration becomes the last error, as a failed
// launch does.
void launch_call(std::shared_ptr<const kernel_call> call);

template <class T> void check_argument(const T &p, where w) {
    // A host pointer would fault on a GPU; here it would just work.
    if constexpr (std::is_pointer_v<T>)
        if (p && !is_device(p))
            fail(w, "a kernel argument points outside device memory (%p)", (const void *)p);
}

template <class... P> struct call_of final : kernel_call {
    void (*fn)(P...);
    std::tuple<P...> params;
    call_of(void (*f)(P...), const config &c, where w, std::tuple<P...> &&p)
        : kernel_call(reinterpret_cast<const void *>(f), c, w), fn(f), params(std::move(p)) {}
    void check_arguments() const override {
        std::apply([this](const auto &...p) { (check_argument(p, w), ...); }, params);
    }
    void body() const override { std::apply(fn, params); }
};

template <class... P> struct launcher {
    void (*kernel)(P...);
    config cfg;
    where w;
    template <class... A> void operator()(A &&...args) const {
        launch_call(std::make_shared<const call_of<P...>>(
            kernel, cfg, w, std::tuple<P...>(std::forward<A>(args)...)));
    }
};
template <class... P>
launcher<P...> launch(void (*kernel)(P...), config cfg, where w = where::current()) {
    return {kernel, cfg, w};
}

// A __shared__ variable: one instance per block, allocated (and filled with
// garbage) when the block's first thread reaches the declaration, freed at
// the block's end, so ASan sees every byte past it.
void *shared_alloc(size_t bytes, size_t align, where w);
unsigned long block_serial(); // different for every block run
void *dynamic_shared(size_t align, where w = where::current());
template <class T> struct shared_var {
    T *p;
    unsigned long block;
    T &get(size_t align = alignof(T), where w = where::current()) {
        if (block != block_serial()) {
            p = (T *)shared_alloc(sizeof(T), align < alignof(T) ? alignof(T) : align, w);
            block = block_serial();
        }
        return *p;
    }
};
size_t shared_address(const void *p, where w); // in the 32-bit shared window, as cvta.to.shared

// Inline PTX, rewritten at build time into calls named after the instruction.
namespace ptx {
void cp_async_cg_shared_global(unsigned dst, const void *src, int cp_size, int src_size,
                               where w = where::current());
void cp_async_ca_shared_global(unsigned dst, const void *src, int cp_size, int src_size,
                               where w = where::current());
void cp_async_commit_group(where w = where::current());
void cp_async_wait_group(int n, where w = where::current());
void cp_async_wait_all(where w = where::current());
} // namespace ptx

template <class T> T shuffle(unsigned mask, T v, unsigned src, where w) {
    static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8,
                  "a shuffle moves 4 or 8 bytes");
    uint64_t u = 0;
    std::memcpy(&u, &v, sizeof v);
    u = exchange(mask, u, src, w);
    std::memcpy(&v, &u, sizeof v);
    return v;
}
} // namespace emu

// ---------------------------------------------------------------------------
// device functions

inline void __syncthreads(emu::where w = emu::where::current()) { emu::sync_block(w); }
inline void __syncwarp(unsigned mask = 0xffffffffu, emu::where w = emu::where::current()) {
    emu::exchange(mask, 0, emu::lane(), w);
}

// The shuffles' source lane, by CUDA's rules: within this lane's segment of
// `width` lanes, else the lane's own value.
template <class T>
T __shfl_sync(unsigned mask, T v, int src, int width = 32, emu::where w = emu::where::current()) {
    return emu::shuffle(mask, v, (emu::lane() & ~(width - 1)) + (src & (width - 1)), w);
}
template <class T>
T __shfl_up_sync(unsigned mask, T v, unsigned d, int width = 32,
                 emu::where w = emu::where::current()) {
    const unsigned l = emu::lane();
    return emu::shuffle(mask, v, (l & (width - 1)) >= d ? l - d : l, w);
}
template <class T>
T __shfl_down_sync(unsigned mask, T v, unsigned d, int width = 32,
                   emu::where w = emu::where::current()) {
    const unsigned l = emu::lane();
    return emu::shuffle(mask, v, (l & (width - 1)) + d < (unsigned)width ? l + d : l, w);
}
template <class T>
T __shfl_xor_sync(unsigned mask, T v, int m, int width = 32, emu::where w = emu::where::current()) {
    const unsigned l = emu::lane(), s = l ^ (unsigned)m;
    return emu::shuffle(mask, v, s < (l & ~(width - 1u)) + width ? s : l, w);
}

// Threads switch only at barriers and shuffles: a read-modify-write is atomic.
template <class T> T atomicAdd(T *p, std::type_identity_t<T> v) {
    const T old = *p;
    *p = old + v;
    return old;
}

inline size_t __cvta_generic_to_shared(const void *p, emu::where w = emu::where::current()) {
    return emu::shared_address(p, w);
}
