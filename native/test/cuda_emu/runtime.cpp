/*
 * runtime.cpp — the CUDA emulator's runtime API: device memory is host
 * memory from posix_memalign (256-byte aligned, as cudaMalloc's, and filled
 * with garbage), every call completes before it returns, and one device is
 * always there. Copies check that their pointers are on the side `kind`
 * says, which the shared address space would otherwise hide. Errors are
 * returned and kept for cudaGetLastError, as by CUDA.
 *
 * Stream capture: work on a stream that captures is kept (a kernel with its
 * arguments' values), not done; cudaStreamEndCapture makes it a graph, and
 * cudaGraphLaunch does it, in order, through the same paths. What a capture
 * forbids (a synchronisation, the legacy stream while a blocking stream
 * captures, cudaMalloc in global mode) fails with CUDA's error and
 * invalidates the capture, as on a GPU.
 */
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <thread>
#include <vector>

#include <dlfcn.h>
#include <pthread.h>

#include "cuda_runtime.h"

// Work that a stream runs: done at once, or kept by a capture for
// cudaGraphLaunch. Its error is the call's (or the graph launch's).
using Op = std::function<cudaError_t()>;

struct Capture {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    cudaStreamCaptureMode mode = cudaStreamCaptureModeGlobal;
    std::thread::id thread; // that began it
    std::vector<Op> ops;    // in stream order
};
struct CUstream_st {
    unsigned flags; // cudaStreamNonBlocking: not ordered with the legacy stream
    Capture capture;
};
struct CUgraph_st {
    std::vector<Op> ops;
};
struct CUgraphExec_st {
    std::vector<Op> ops;
};

namespace {
std::map<const char *, size_t> allocations; // device memory: start -> bytes
std::set<cudaStream_t> streams;
std::set<cudaGraph_t> graphs;
std::set<cudaGraphExec_t> execs;
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
    return cudaSuccess;
}

// ---------------------------------------------------------------------------
// stream capture: which work a capture forbids, and what it does to it

bool capturing(cudaStream_t s) { return s->capture.status != cudaStreamCaptureStatusNone; }

void invalidate(cudaStream_t s) {
    if (s->capture.status == cudaStreamCaptureStatusActive) {
        s->capture.status = cudaStreamCaptureStatusInvalidated;
        s->capture.ops.clear();
    }
}

// The legacy stream waits for every blocking stream: while one captures,
// using it would make the capture depend on uncaptured work.
cudaError_t legacy_use(bool invalidating = true) {
    cudaError_t e = cudaSuccess;
    for (cudaStream_t s : streams)
        if (!(s->flags & cudaStreamNonBlocking) && capturing(s)) {
            e = cudaErrorStreamCaptureImplicit;
            if (invalidating) invalidate(s);
        }
    return e;
}

// A device-wide synchronisation (cudaDeviceSynchronize, cudaFree) while
// any stream captures.
cudaError_t device_sync() {
    cudaError_t e = cudaSuccess;
    for (cudaStream_t s : streams)
        if (capturing(s)) {
            e = cudaErrorStreamCaptureUnsupported;
            invalidate(s);
        }
    return e;
}

// "Potentially unsafe" calls (cudaMalloc, stream creation): refused while
// this thread captures in global or thread-local mode, or any thread in
// global mode (cudaThreadExchangeStreamCaptureMode is not emulated).
cudaError_t unsafe_call() {
    cudaError_t e = cudaSuccess;
    for (cudaStream_t s : streams) {
        const Capture &c = s->capture;
        if (capturing(s) && (c.mode == cudaStreamCaptureModeGlobal ||
                             (c.mode == cudaStreamCaptureModeThreadLocal && c.thread == std::this_thread::get_id()))) {
            e = cudaErrorStreamCaptureUnsupported;
            invalidate(s);
        }
    }
    return e;
}

// ---------------------------------------------------------------------------
// graphs: the host side of a captured copy is read or written at each
// launch. One on the stack of a function that has returned since (a local
// variable of the function that captured it) is a bug a GPU does not report.

thread_local const char *launch_frame; // cudaGraphLaunch's frame while its graph runs

bool on_dead_stack(const void *p) {
    thread_local const char *low = nullptr, *high = nullptr;
    if (!low) {
        pthread_attr_t a;
        void *addr = nullptr;
        size_t size = 0;
        if (pthread_getattr_np(pthread_self(), &a) == 0) {
            pthread_attr_getstack(&a, &addr, &size);
            pthread_attr_destroy(&a);
        }
        low = (const char *)addr;
        high = low + size;
    }
    // the stack grows down: below cudaGraphLaunch's frame, no caller's frame is left
    return launch_frame && (const char *)p >= low && (const char *)p < launch_frame && (const char *)p < high;
}

// where = the return address into the code that queued the operation
[[noreturn]] void graph_fail(const void *where, const char *fmt, const void *p, size_t bytes) {
    fprintf(stderr, "EMU ERROR: cudaGraphLaunch: ");
    fprintf(stderr, fmt, p, bytes);
    Dl_info info{};
    if (where && dladdr(where, &info) && info.dli_sname)
        fprintf(stderr, "; captured from %s+0x%zx (%s)", info.dli_sname,
                (size_t)((const char *)where - (const char *)info.dli_saddr), info.dli_fname);
    else if (where)
        fprintf(stderr, "; captured from %p", where);
    fprintf(stderr, "\n");
    abort();
}

Op copy_op(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind, const void *where) {
    return [=] {
        if (copy_check(dst, src, bytes, kind)) // freed since it was captured
            graph_fail(where, "a copy to or from device memory that is no longer allocated (%p, %zu bytes)", dst, bytes);
        const bool host_src = !on_device(src, bytes), host_dst = !on_device(dst, bytes);
        if ((host_src && on_dead_stack(src)) || (host_dst && on_dead_stack(dst)))
            graph_fail(where, "a copy to or from the stack of a function that has returned (%p, %zu bytes)",
                       host_src ? src : dst, bytes);
        if (bytes) memcpy(dst, src, bytes);
        return cudaSuccess;
    };
}

cudaError_t run_ops(const std::vector<Op> &ops) {
    for (const Op &op : ops)
        if (const cudaError_t e = op()) return e;
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

cudaError_t submit(cudaStream_t s, Op op) {
    if (!s) {
        if (const cudaError_t e = legacy_use()) return record(e);
        return record(op());
    }
    if (!streams.count(s)) return record(cudaErrorInvalidResourceHandle);
    switch (s->capture.status) {
    case cudaStreamCaptureStatusActive: s->capture.ops.push_back(std::move(op)); return cudaSuccess;
    case cudaStreamCaptureStatusInvalidated: return record(cudaErrorStreamCaptureInvalidated);
    default: return record(op());
    }
}
} // namespace emu

using emu::record;

cudaError_t cudaGetDeviceCount(int *count) {
    if (!count) return record(cudaErrorInvalidValue);
    *count = 1;
    return cudaSuccess;
}

cudaError_t cudaDriverGetVersion(int *version) {
    if (!version) return record(cudaErrorInvalidValue);
    *version = 13000;
    return cudaSuccess;
}

cudaError_t cudaRuntimeGetVersion(int *version) {
    if (!version) return record(cudaErrorInvalidValue);
    *version = 13000;
    return cudaSuccess;
}

cudaError_t cudaMalloc(void **ptr, size_t bytes) {
    if (!ptr) return record(cudaErrorInvalidValue);
    if (const cudaError_t e = unsafe_call()) return record(e);
    void *p = nullptr;
    if (posix_memalign(&p, 256, bytes ? bytes : 1)) return record(cudaErrorMemoryAllocation);
    memset(p, 0xff, bytes); // fresh memory holds garbage
    allocations[(const char *)p] = bytes;
    *ptr = p;
    return cudaSuccess;
}

cudaError_t cudaFree(void *ptr) {
    if (!ptr) return cudaSuccess;
    if (!allocations.count((const char *)ptr)) return record(cudaErrorInvalidValue);
    if (const cudaError_t e = device_sync()) return record(e); // cudaFree synchronises the device
    allocations.erase((const char *)ptr);
    free(ptr);
    return cudaSuccess;
}

cudaError_t cudaMemcpy(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind) {
    if (const cudaError_t e = copy_check(dst, src, bytes, kind)) return record(e);
    return emu::submit(nullptr, copy_op(dst, src, bytes, kind, nullptr));
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t bytes, cudaMemcpyKind kind,
                            cudaStream_t stream) {
    if (!emu::is_stream(stream)) return record(cudaErrorInvalidResourceHandle);
    if (const cudaError_t e = copy_check(dst, src, bytes, kind)) return record(e);
    return emu::submit(stream, copy_op(dst, src, bytes, kind, __builtin_return_address(0)));
}

cudaError_t cudaMemset(void *ptr, int value, size_t bytes) { return cudaMemsetAsync(ptr, value, bytes); }

cudaError_t cudaMemsetAsync(void *ptr, int value, size_t bytes, cudaStream_t stream) {
    if (!emu::is_stream(stream)) return record(cudaErrorInvalidResourceHandle);
    if (!on_device(ptr, bytes)) return record(cudaErrorInvalidValue);
    const void *where = __builtin_return_address(0);
    return emu::submit(stream, [=] {
        if (!on_device(ptr, bytes))
            graph_fail(where, "a memset of device memory that is no longer allocated (%p, %zu bytes)", ptr, bytes);
        memset(ptr, value, bytes);
        return cudaSuccess;
    });
}

cudaError_t cudaStreamCreate(cudaStream_t *stream) { return cudaStreamCreateWithFlags(stream, 0); }

cudaError_t cudaStreamCreateWithFlags(cudaStream_t *stream, unsigned flags) {
    if (!stream || flags > cudaStreamNonBlocking) return record(cudaErrorInvalidValue);
    if (const cudaError_t e = unsafe_call()) return record(e);
    *stream = new CUstream_st{flags, {}};
    streams.insert(*stream);
    return cudaSuccess;
}

// A stream that captures is not destroyed (what a GPU does there is not
// documented): the capture is invalidated, and must be ended first.
cudaError_t cudaStreamDestroy(cudaStream_t stream) {
    if (!stream || !streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) {
        invalidate(stream);
        return record(cudaErrorStreamCaptureUnsupported);
    }
    streams.erase(stream);
    delete stream;
    return cudaSuccess;
}

cudaError_t cudaStreamSynchronize(cudaStream_t stream) {
    if (!stream) return record(legacy_use());
    if (!streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
    switch (stream->capture.status) {
    case cudaStreamCaptureStatusActive: invalidate(stream); return record(cudaErrorStreamCaptureUnsupported);
    case cudaStreamCaptureStatusInvalidated: return record(cudaErrorStreamCaptureInvalidated);
    default: return cudaSuccess;
    }
}

cudaError_t cudaDeviceSynchronize() { return record(device_sync()); }

// ---------------------------------------------------------------------------
// capture and graphs

cudaError_t cudaStreamBeginCapture(cudaStream_t stream, cudaStreamCaptureMode mode) {
    if (mode < cudaStreamCaptureModeGlobal || mode > cudaStreamCaptureModeRelaxed)
        return record(cudaErrorInvalidValue);
    if (!stream) return record(cudaErrorStreamCaptureUnsupported); // the legacy stream cannot capture
    if (!streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
    if (capturing(stream)) return record(cudaErrorIllegalState);
    stream->capture = {cudaStreamCaptureStatusActive, mode, std::this_thread::get_id(), {}};
    return cudaSuccess;
}

cudaError_t cudaStreamEndCapture(cudaStream_t stream, cudaGraph_t *graph) {
    if (!graph) return record(cudaErrorInvalidValue);
    if (stream && !streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
    if (!stream || !capturing(stream)) return record(cudaErrorIllegalState);
    Capture &c = stream->capture;
    if (c.mode != cudaStreamCaptureModeRelaxed && c.thread != std::this_thread::get_id())
        return record(cudaErrorStreamCaptureWrongThread);
    const bool valid = c.status == cudaStreamCaptureStatusActive;
    *graph = valid ? new CUgraph_st{std::move(c.ops)} : nullptr;
    if (valid) graphs.insert(*graph);
    c = Capture{};
    return valid ? cudaSuccess : record(cudaErrorStreamCaptureInvalidated);
}

cudaError_t cudaStreamIsCapturing(cudaStream_t stream, cudaStreamCaptureStatus *status) {
    if (!status) return record(cudaErrorInvalidValue);
    if (!stream) { // the legacy stream never captures, but a blocking stream's capture makes it unusable
        if (const cudaError_t e = legacy_use(false)) return record(e);
        *status = cudaStreamCaptureStatusNone;
        return cudaSuccess;
    }
    if (!streams.count(stream)) return record(cudaErrorInvalidResourceHandle);
    *status = stream->capture.status;
    return cudaSuccess;
}

cudaError_t cudaGraphInstantiate(cudaGraphExec_t *exec, cudaGraph_t graph, unsigned long long flags) {
    const unsigned long long known = cudaGraphInstantiateFlagAutoFreeOnLaunch |
                                     cudaGraphInstantiateFlagUpload | cudaGraphInstantiateFlagUseNodePriority;
    if (!exec || !graphs.count(graph) || (flags & ~known)) return record(cudaErrorInvalidValue);
    *exec = new CUgraphExec_st{graph->ops};
    execs.insert(*exec);
    return cudaSuccess;
}

// Runs the graph's operations in order, each through the path a direct call
// takes (a kernel's checks included); on a stream that captures, the graph
// is captured (as a child graph: a copy of its operations).
cudaError_t cudaGraphLaunch(cudaGraphExec_t exec, cudaStream_t stream) {
    if (!execs.count(exec)) return record(exec ? cudaErrorInvalidResourceHandle : cudaErrorInvalidValue);
    const char *const outer = launch_frame;
    if (!outer) launch_frame = (const char *)__builtin_frame_address(0);
    const cudaError_t e = emu::submit(stream, [ops = exec->ops] { return run_ops(ops); });
    launch_frame = outer;
    return e;
}

cudaError_t cudaGraphExecDestroy(cudaGraphExec_t exec) {
    if (!execs.erase(exec)) return record(cudaErrorInvalidValue);
    delete exec;
    return cudaSuccess;
}

cudaError_t cudaGraphDestroy(cudaGraph_t graph) {
    if (!graphs.erase(graph)) return record(cudaErrorInvalidValue);
    delete graph;
    return cudaSuccess;
}

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
    case cudaErrorInsufficientDriver: return "cudaErrorInsufficientDriver";
    case cudaErrorInvalidResourceHandle: return "cudaErrorInvalidResourceHandle";
    case cudaErrorIllegalState: return "cudaErrorIllegalState";
    case cudaErrorStreamCaptureUnsupported: return "cudaErrorStreamCaptureUnsupported";
    case cudaErrorStreamCaptureInvalidated: return "cudaErrorStreamCaptureInvalidated";
    case cudaErrorStreamCaptureImplicit: return "cudaErrorStreamCaptureImplicit";
    case cudaErrorStreamCaptureWrongThread: return "cudaErrorStreamCaptureWrongThread";
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
    case cudaErrorInsufficientDriver: return "CUDA driver version is insufficient for CUDA runtime version";
    case cudaErrorInvalidResourceHandle: return "invalid resource handle";
    case cudaErrorIllegalState: return "the operation cannot be performed in the present state";
    case cudaErrorStreamCaptureUnsupported: return "operation not permitted when stream is capturing";
    case cudaErrorStreamCaptureInvalidated: return "operation failed due to a previous error during capture";
    case cudaErrorStreamCaptureImplicit:
        return "operation would make the legacy stream depend on a capturing blocking stream";
    case cudaErrorStreamCaptureWrongThread:
        return "attempt to terminate a thread-local capture sequence from another thread";
    }
    return "unknown error";
}
