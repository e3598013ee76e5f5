/*
 * runtime.cpp — the CUDA emulator's runtime API: device memory is host
 * memory from posix_memalign (256-byte aligned, as cudaMalloc's, and filled
 * with garbage), every call completes before it returns, and one device is
 * always there. Copies check that their pointers are on the side `kind`
 * says, which the shared address space would otherwise hide. Errors are
 * returned and kept for cudaGetLastError, as by CUDA.
 */
#include <cstdlib>
#include <map>
#include <set>

#include "cuda_runtime.h"

namespace {
std::map<const char *, size_t> allocations; // device memory: start -> bytes
std::set<cudaStream_t> streams;
cudaError_t last = cudaSuccess;

// [p, p + bytes) lies in one allocation
bool on_device(const void *p, size_t bytes) {
    auto a = allocations.upper_bound((const char *)p);
    if (a == allocations.begin()) return false;
    --a;
    return (const char *)p + bytes <= a->first + a->second;
}

cudaError_t copy_check(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    if (kind < cudaMemcpyHostToHost || kind > cudaMemcpyDefault) return cudaErrorInvalidMemcpyDirection;
    const bool to_dev = kind == cudaMemcpyHostToDevice || kind == cudaMemcpyDeviceToDevice;
    const bool from_dev = kind == cudaMemcpyDeviceToHost || kind == cudaMemcpyDeviceToDevice;
    if (kind != cudaMemcpyDefault &&
        (to_dev != on_device(dst, bytes) || from_dev != on_device(src, bytes)))
        return cudaErrorInvalidValue;
    if (bytes) memcpy(dst, src, bytes);
    return cudaSuccess;
}
} // namespace

namespace emu {
cudaError_t record(cudaError_t err) {
    if (err != cudaSuccess) last = err;
    return err;
}
bool is_stream(cudaStream_t s) { return !s || streams.count(s); }
bool is_device(const void *p) { return on_device(p, 0); }
} // namespace emu

using emu::record;

cudaError_t cudaGetDeviceCount(int *count) {
    if (!count) return record(cudaErrorInvalidValue);
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t bytes) {
    if (!ptr) return record(cudaErrorInvalidValue);
    void *p = nullptr;
    if (posix_memalign(&p, 256, bytes ? bytes : 1)) return record(cudaErrorMemoryAllocation);
    memset(p, 0xff, bytes); // fresh memory holds garbage
    allocations[(const char *)p] = bytes;
    *ptr = p;
    return cudaSuccess;
}

cudaError_t cudaFree(void *ptr) {
    if (!ptr) return cudaSuccess;
    if (!allocations.erase((const char *)ptr)) return record(cudaErrorInvalidValue);
    free(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    return record(copy_check(dst, src, bytes, kind));
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
    return record(emu::is_stream(stream) ? copy_check(dst, src, bytes, kind)
                                         : cudaErrorInvalidResourceHandle);
}

cudaError_t cudaMemset(void *ptr, int value, size_t bytes) { return cudaMemsetAsync(ptr, value, bytes); }

cudaError_t cudaMemsetAsync(void *ptr, int value, size_t bytes, cudaStream_t stream) {
    if (!emu::is_stream(stream)) return record(cudaErrorInvalidResourceHandle);
    if (!on_device(ptr, bytes)) return record(cudaErrorInvalidValue);
    memset(ptr, value, bytes);
    return cudaSuccess;
}

cudaError_t cudaStreamCreate(cudaStream_t *stream) { return cudaStreamCreateWithFlags(stream, 0); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags) {
    if (!stream || flags > cudaStreamNonBlocking) return record(cudaErrorInvalidValue);
    *stream = (cudaStream_t) new char; // a distinct address is all a stream is here
    streams.insert(*stream);
    return cudaSuccess;
}

cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (!stream || !streams.erase(stream)) return record(cudaErrorInvalidResourceHandle);
    delete (char *)stream;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    return emu::is_stream(stream) ? cudaSuccess : record(cudaErrorInvalidResourceHandle);
}

cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }

cudaError_t cudaGetLastError() {
    const cudaError_t e = last;
    last = cudaSuccess;
    return e;
}

cudaError_t cudaPeekAtLastError() { return last; }

const char *cudaGetErrorName(cudaError_t err) {
    switch (err) {
    case cudaSuccess: return "cudaSuccess";
    case cudaErrorInvalidValue: return "cudaErrorInvalidValue";
    case cudaErrorMemoryAllocation: return "cudaErrorMemoryAllocation";
    case cudaErrorInvalidConfiguration: return "cudaErrorInvalidConfiguration";
    case cudaErrorInvalidMemcpyDirection: return "cudaErrorInvalidMemcpyDirection";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    }
    return "cudaErrorUnknown";
}

const char *cudaGetErrorString(cudaError_t err) {
    switch (err) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    case cudaErrorInvalidMemcpyDirection: return "invalid copy direction for memcpy";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    }
    return "unknown error";
}
