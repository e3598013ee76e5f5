/*
 * runtime.cu — the CUDA runtime behind softmax4j's device API: device
 * discovery, memory, copies and streams, with every error turned into
 * S4J_ERR_CUDA and a message for s4j_cuda_last_error (never exit()).
 */
#include <cuda_runtime.h>

#include <dlfcn.h>

#include <cstdio>

#include "softmax4j.h"
#include "cuda_internal.h"

static thread_local char last_error[256] = "";

int s4j_cuda_check(cudaError_t err, const char *what) {
    if (err == cudaSuccess) return S4J_OK;
    std::snprintf(last_error, sizeof last_error, "%s: %s (%s, CUDA error %d)", what,
                  cudaGetErrorString(err), cudaGetErrorName(err), (int)err);
    cudaGetLastError(); // clear the sticky-free error state for the next call
    return S4J_ERR_CUDA;
}

const char *s4j_cuda_last_error(void) { return last_error; }

// The statically linked runtime says "driver version is insufficient" both
// when the driver is too old and when there is none: tell them apart.
static void explain_driver_error(void) {
    void *driver = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
    if (!driver) {
        std::snprintf(last_error, sizeof last_error,
                      "no NVIDIA driver found (libcuda.so.1 cannot be loaded): install the NVIDIA "
                      "driver to use the GPU");
        return;
    }
    dlclose(driver);
    int have = 0, need = 0;
    cudaDriverGetVersion(&have);
    cudaRuntimeGetVersion(&need);
    std::snprintf(last_error, sizeof last_error,
                  "the NVIDIA driver supports CUDA %d.%d, older than this library's CUDA %d.%d: "
                  "update the driver",
                  have / 1000, have % 1000 / 10, need / 1000, need % 1000 / 10);
}

int s4j_cuda_device_count(int32_t *count) {
    if (!count) return S4J_ERR_ARGUMENT;
    int n = 0;
    cudaError_t err = cudaGetDeviceCount(&n);
    int rc = s4j_cuda_check(err, "cudaGetDeviceCount");
    if (err == cudaErrorInsufficientDriver) explain_driver_error();
    *count = rc == S4J_OK ? n : 0;
    if (rc == S4J_OK && n == 0) {
        std::snprintf(last_error, sizeof last_error, "no CUDA device");
        return S4J_ERR_CUDA;
    }
    return rc;
}

int s4j_cuda_malloc(void **ptr, int64_t bytes) {
    if (!ptr || bytes < 0) return S4J_ERR_ARGUMENT;
    *ptr = nullptr;
    return s4j_cuda_check(cudaMalloc(ptr, (size_t)(bytes > 0 ? bytes : 1)), "cudaMalloc");
}

int s4j_cuda_free(void *ptr) { return s4j_cuda_check(cudaFree(ptr), "cudaFree"); }

int s4j_cuda_memcpy(void *dst, const void *src, int64_t bytes, int32_t kind, void *stream) {
    if (bytes < 0 || kind < 0 || kind > 2 || (bytes > 0 && (!dst || !src))) return S4J_ERR_ARGUMENT;
    static const cudaMemcpyKind kinds[] = {cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost,
                                           cudaMemcpyDeviceToDevice};
    if (bytes == 0) return S4J_OK;
    if (!stream)
        return s4j_cuda_check(cudaMemcpy(dst, src, (size_t)bytes, kinds[kind]), "cudaMemcpy");
    return s4j_cuda_check(
        cudaMemcpyAsync(dst, src, (size_t)bytes, kinds[kind], (cudaStream_t)stream),
        "cudaMemcpyAsync");
}

int s4j_cuda_stream_create(void **stream) {
    if (!stream) return S4J_ERR_ARGUMENT;
    cudaStream_t s = nullptr;
    // blocking: ordered with the default stream, so DeviceBuffer's copies need no extra sync
    int rc = s4j_cuda_check(cudaStreamCreateWithFlags(&s, cudaStreamDefault), "cudaStreamCreate");
    *stream = s;
    return rc;
}

int s4j_cuda_stream_destroy(void *stream) {
    return s4j_cuda_check(cudaStreamDestroy((cudaStream_t)stream), "cudaStreamDestroy");
}

int s4j_cuda_stream_synchronize(void *stream) {
    return s4j_cuda_check(cudaStreamSynchronize((cudaStream_t)stream), "cudaStreamSynchronize");
}

int s4j_cuda_memset(void *ptr, int32_t value, int64_t bytes, void *stream) {
    if (bytes < 0 || (bytes > 0 && !ptr)) return S4J_ERR_ARGUMENT;
    if (bytes == 0) return S4J_OK;
    return s4j_cuda_check(cudaMemsetAsync(ptr, value, (size_t)bytes, (cudaStream_t)stream),
                          "cudaMemsetAsync");
}

// ---- graphs: a captured sequence of launches, replayed with one call

int s4j_cuda_graph_begin(void *stream) {
    if (!stream) return S4J_ERR_ARGUMENT; // the legacy default stream cannot be captured
    return s4j_cuda_check(
        cudaStreamBeginCapture((cudaStream_t)stream, cudaStreamCaptureModeRelaxed),
        "cudaStreamBeginCapture");
}

int s4j_cuda_graph_end(void *stream, void **graph) {
    if (!stream || !graph) return S4J_ERR_ARGUMENT;
    *graph = nullptr;
    cudaGraph_t g = nullptr;
    int rc = s4j_cuda_check(cudaStreamEndCapture((cudaStream_t)stream, &g), "cudaStreamEndCapture");
    if (rc != S4J_OK) return rc;
    cudaGraphExec_t exec = nullptr;
    rc = s4j_cuda_check(cudaGraphInstantiate(&exec, g, 0), "cudaGraphInstantiate");
    cudaGraphDestroy(g);
    if (rc == S4J_OK) *graph = exec;
    return rc;
}

int s4j_cuda_graph_launch(void *graph, void *stream) {
    if (!graph) return S4J_ERR_ARGUMENT;
    return s4j_cuda_check(cudaGraphLaunch((cudaGraphExec_t)graph, (cudaStream_t)stream),
                          "cudaGraphLaunch");
}

int s4j_cuda_graph_destroy(void *graph) {
    if (!graph) return S4J_OK;
    return s4j_cuda_check(cudaGraphExecDestroy((cudaGraphExec_t)graph), "cudaGraphExecDestroy");
}
