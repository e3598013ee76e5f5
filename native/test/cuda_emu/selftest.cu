/*
 * selftest.cu — the CUDA emulator's own test, for what softmax4j's kernels
 * do not exercise (yet): 2-D grids and blocks, 1024 and 96 threads, every
 * shuffle, shared memory in a template, cp.async with 0..16 source bytes,
 * the 16-bit conversions' ties and overflows, launch and copy errors,
 * barrier divergence stopping the program, and stream capture: graphs that
 * run only when launched (and as often), and the errors a capture gives.
 * Plain CUDA: nvcc takes it too (with -I native/test).
 */
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "test_util.h" // CHECK and failures, as in the C tests

// ---------------------------------------------------------------------------
// kernels

__global__ void ids_kernel(unsigned *out) {
    const unsigned size = blockDim.x * blockDim.y * blockDim.z;
    const unsigned t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    const unsigned b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    out[b * size + t] = b * size + t;
}

template <int N> __device__ int block_sum(int v) {
    __shared__ int part[N / 32];
    for (int o = 16; o > 0; o /= 2) v += __shfl_xor_sync(0xffffffffu, v, o);
    if (threadIdx.x % 32 == 0) part[threadIdx.x / 32] = v;
    __syncthreads();
    int s = 0;
    for (int w = 0; w < N / 32; w++) s += part[w];
    __syncthreads();
    return s;
}

template <int N> __global__ void sum_kernel(const int *x, int *out) {
    const int s = block_sum<N>(x[blockIdx.x * N + threadIdx.x]);
    if (threadIdx.x == 0) out[blockIdx.x] = s;
}

__global__ void shuffle_kernel(int *out) {
    const int l = threadIdx.x;
    out[l] = __shfl_up_sync(0xffffffffu, l, 1);
    out[32 + l] = __shfl_down_sync(0xffffffffu, l, 3, 16);
    out[64 + l] = __shfl_sync(0xffffffffu, l, 5, 8);
    out[96 + l] = __shfl_xor_sync(0xffffffffu, l, 7);
    out[128 + l] = (int)(2 * __shfl_down_sync(0xffffffffu, l + 0.5, 1)); // 8 bytes
}

__global__ void reverse_kernel(const float *x, float *y, int n) {
    extern __shared__ float buf[];
    for (int i = threadIdx.x; i < n; i += blockDim.x) buf[i] = x[i];
    __syncthreads();
    for (int i = threadIdx.x; i < n; i += blockDim.x) y[i] = buf[n - 1 - i];
}

// thread t copies t of 16 bytes (17 threads): the rest must be zero
__global__ void cp_async_kernel(const unsigned char *src, unsigned char *out) {
    __shared__ __align__(16) unsigned char buf[17 * 16];
    const int t = threadIdx.x;
    const unsigned d = (unsigned)__cvta_generic_to_shared(buf + 16 * t);
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(d), "l"(src + 16 * t),
                 "r"(t));
    asm volatile("cp.async.commit_group;\n" ::);
    asm volatile("cp.async.wait_group 0;\n" ::);
    __syncthreads();
    for (int i = 0; i < 16; i++) out[16 * t + i] = buf[16 * t + i];
}

__global__ void add_kernel(int *x, int n, int v) {
    const int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) x[i] += v;
}

__global__ void divergent_kernel() {
    if (threadIdx.x != 40) __syncthreads();
}

// ---------------------------------------------------------------------------
// checks

static void shapes() {
    unsigned *d, h[2048];
    cudaMalloc(&d, sizeof h);
    const dim3 grids[] = {dim3(3, 2), dim3(2), dim3(5)},
               blocks[] = {dim3(32, 4), dim3(1024), dim3(96)};
    for (int s = 0; s < 3; s++) {
        const unsigned n = grids[s].x * grids[s].y * blocks[s].x * blocks[s].y;
        ids_kernel<<<grids[s], blocks[s]>>>(d);
        cudaMemcpy(h, d, 4 * n, cudaMemcpyDeviceToHost);
        unsigned bad = 0;
        for (unsigned i = 0; i < n; i++) bad += h[i] != i;
        CHECK(bad == 0 && cudaGetLastError() == cudaSuccess, "shape %d: %u wrong ids", s, bad);
    }
    ids_kernel<<<1, 1025>>>(d);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "1025 threads launched");
    ids_kernel<<<dim3(1, 0), 32>>>(d);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "an empty grid launched");
    cudaFree(d);
}

static void sums() {
    int x[2048], got[2], *dx, *dout;
    for (int i = 0; i < 2048; i++) x[i] = i * 7 % 1000;
    cudaMalloc(&dx, sizeof x);
    cudaMalloc(&dout, sizeof got);
    cudaMemcpy(dx, x, sizeof x, cudaMemcpyHostToDevice);
    sum_kernel<1024><<<2, 1024>>>(dx, dout);
    cudaMemcpy(got, dout, sizeof got, cudaMemcpyDeviceToHost);
    for (int b = 0; b < 2; b++) {
        int want = 0;
        for (int i = 0; i < 1024; i++) want += x[b * 1024 + i];
        CHECK(got[b] == want, "1024-thread sum %d: %d, want %d", b, got[b], want);
    }
    sum_kernel<96><<<1, 96>>>(dx, dout);
    cudaMemcpy(got, dout, 4, cudaMemcpyDeviceToHost);
    int want = 0;
    for (int i = 0; i < 96; i++) want += x[i];
    CHECK(got[0] == want, "96-thread sum: %d, want %d", got[0], want);
    cudaFree(dx);
    cudaFree(dout);
}

static void shuffles() {
    int h[160], *d;
    cudaMalloc(&d, sizeof h);
    shuffle_kernel<<<1, 32>>>(d);
    cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
    for (int l = 0; l < 32; l++) {
        CHECK(h[l] == (l > 0 ? l - 1 : 0), "up lane %d: %d", l, h[l]);
        CHECK(h[32 + l] == (l % 16 + 3 < 16 ? l + 3 : l), "down/16 lane %d: %d", l, h[32 + l]);
        CHECK(h[64 + l] == l / 8 * 8 + 5, "broadcast/8 lane %d: %d", l, h[64 + l]);
        CHECK(h[96 + l] == (l ^ 7), "xor lane %d: %d", l, h[96 + l]);
        CHECK(h[128 + l] == (l < 31 ? 2 * l + 3 : 63), "double lane %d: %d", l, h[128 + l]);
    }
    cudaFree(d);
}

static void dynamic_shared() {
    const int n = 16384; // 64 KiB: more than the default limit
    static float x[n], y[n];
    float *dx, *dy;
    for (int i = 0; i < n; i++) x[i] = (float)i;
    cudaMalloc(&dx, sizeof x);
    cudaMalloc(&dy, sizeof y);
    cudaMemcpy(dx, x, sizeof x, cudaMemcpyHostToDevice);
    reverse_kernel<<<1, 256, 1000 * 4>>>(dx, dy, 1000);
    cudaMemcpy(y, dy, 4000, cudaMemcpyDeviceToHost);
    CHECK(y[0] == 999 && y[999] == 0 && cudaGetLastError() == cudaSuccess, "reverse 1000");
    reverse_kernel<<<1, 256, sizeof x>>>(dx, dy, n);
    CHECK(cudaGetLastError() == cudaErrorInvalidValue, "64 KiB without opting in");
    CHECK(cudaFuncSetAttribute(reverse_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               sizeof x) == cudaSuccess,
          "opt in");
    reverse_kernel<<<1, 256, sizeof x>>>(dx, dy, n);
    cudaMemcpy(y, dy, sizeof y, cudaMemcpyDeviceToHost);
    CHECK(y[0] == n - 1 && y[n - 1] == 0 && cudaGetLastError() == cudaSuccess, "reverse 64 KiB");
    cudaFree(dx);
    cudaFree(dy);
}

static void copies() {
    unsigned char src[17 * 16], got[17 * 16], *ds, *dout;
    for (int i = 0; i < 17 * 16; i++) src[i] = (unsigned char)(i % 251 + 1);
    cudaMalloc(&ds, sizeof src);
    cudaMalloc(&dout, sizeof got);
    cudaMemcpy(ds, src, sizeof src, cudaMemcpyHostToDevice);
    cp_async_kernel<<<1, 17>>>(ds, dout);
    cudaMemcpy(got, dout, sizeof got, cudaMemcpyDeviceToHost);
    for (int t = 0; t < 17; t++)
        for (int i = 0; i < 16; i++)
            CHECK(got[16 * t + i] == (i < t ? src[16 * t + i] : 0),
                  "cp.async %d bytes, byte %d: %d", t, i, got[16 * t + i]);
    // the copies' and streams' checks
    CHECK(cudaMemcpy(got, src, 16, cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
          "h2d into host memory");
    CHECK(cudaMemcpy(ds, dout, 16, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue,
          "d2h into device memory");
    CHECK(cudaMemcpy(ds, src, sizeof src + 1, cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
          "h2d past the end");
    cudaStream_t s;
    cudaStreamCreate(&s);
    CHECK(cudaStreamDestroy(s) == cudaSuccess &&
              cudaStreamDestroy(s) == cudaErrorInvalidResourceHandle,
          "destroy twice");
    cp_async_kernel<<<1, 17, 0, s>>>(ds, dout);
    CHECK(cudaGetLastError() == cudaErrorInvalidResourceHandle, "launch on a destroyed stream");
    CHECK(cudaFree(ds + 1) == cudaErrorInvalidValue, "free inside a block");
    cudaFree(ds);
    cudaFree(dout);
}

static float bits(uint32_t u) {
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static void conversions() {
    struct {
        float f;
        unsigned short bf16, f16;
    } cases[] = {
        {1.0f + 0x1p-8f, 0x3f80, 0x3c04},      // bf16 tie: to even (1)
        {1.0f + 3 * 0x1p-8f, 0x3f82, 0x3c0c},  // bf16 tie: to even (up)
        {1.0f + 0x1p-11f, 0x3f80, 0x3c00},     // f16 tie: to even (1)
        {1.0f + 3 * 0x1p-11f, 0x3f80, 0x3c02}, // f16 tie: to even (up)
        {-2.5f, 0xc020, 0xc100},
        {65519.0f, 0x4780, 0x7bff},         // f16: largest finite
        {65520.0f, 0x4780, 0x7c00},         // f16 tie: to even (infinity)
        {3 * 0x1p-25f, 0x33c0, 0x0002},     // f16 subnormal tie: to even
        {0x1p-25f, 0x3300, 0x0000},         // f16 tie with 0
        {bits(0x7f7fffff), 0x7f80, 0x7c00}, // overflow to infinity
        {bits(0xff800000), 0xff80, 0xfc00},
    };
    for (const auto &c : cases) {
        const __nv_bfloat16 b = __float2bfloat16_rn(c.f);
        const __half h = __float2half_rn(c.f);
        const unsigned short bb = __bfloat16_as_ushort(b), hb = __half_as_ushort(h);
        CHECK(bb == c.bf16, "bf16(%a) = 0x%04x, want 0x%04x", c.f, bb, c.bf16);
        CHECK(hb == c.f16, "f16(%a) = 0x%04x, want 0x%04x", c.f, hb, c.f16);
    }
    CHECK(__bfloat16_as_ushort(__float2bfloat16_rn(bits(0xffc00001))) == 0x7fff, "bf16 NaN");
    CHECK(__bfloat16_as_ushort(__float2bfloat16_rz(1.0f + 3 * 0x1p-8f)) == 0x3f81,
          "bf16 toward zero");
    CHECK(__bfloat162float(__float2bfloat16_rn(-3.0f)) == -3.0f &&
              __half2float(__float2half_rn(0.1f)) == 0x1.998p-4f,
          "back to float");
}

// A thread that skips __syncthreads: the emulator must stop with a message.
static void divergence() {
    fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr); // the expected message
        divergent_kernel<<<1, 64>>>();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "divergence: status 0x%x, not an abort", status);
}

// ---------------------------------------------------------------------------
// stream capture and graphs

// n ints of device memory, read back (outside any capture): how many differ from want
static int differ(const int *d, int n, int want) {
    static int h[1024];
    if (cudaMemcpy(h, d, 4 * (size_t)n, cudaMemcpyDeviceToHost) != cudaSuccess) return n;
    int bad = 0;
    for (int i = 0; i < n; i++) bad += h[i] != want;
    return bad;
}

static void graphs() {
    const int n = 100;
    static int h[n], got[n];
    int *d, *e;
    cudaMalloc(&d, sizeof h);
    cudaMalloc(&e, sizeof h);
    cudaMemset(d, 0, sizeof h);
    cudaMemset(e, 0, sizeof h);
    cudaStream_t s;
    CHECK(cudaStreamCreateWithFlags(&s, cudaStreamDefault) == cudaSuccess, "blocking stream");
    for (int i = 0; i < n; i++) h[i] = i, got[i] = -1;
    cudaGetLastError(); // what the checks before left

    cudaStreamCaptureStatus st = cudaStreamCaptureStatusActive;
    CHECK(cudaStreamIsCapturing(s, &st) == cudaSuccess && st == cudaStreamCaptureStatusNone,
          "not capturing yet");
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess, "begin capture");
    CHECK(cudaStreamIsCapturing(s, &st) == cudaSuccess && st == cudaStreamCaptureStatusActive,
          "capturing");
    int v = 10;
    cudaMemcpyAsync(d, h, sizeof h, cudaMemcpyHostToDevice, s); // d = h
    add_kernel<<<4, 32, 0, s>>>(d, n, v);                       // d += 10: the value at the launch
    v = 1000;
    cudaMemsetAsync(e, 0, sizeof h, s);
    add_kernel<<<1, 128, 0, s>>>(e, n, 1); // e = 1
    cudaMemcpyAsync(got, d, sizeof h, cudaMemcpyDeviceToHost, s);
    CHECK(cudaGetLastError() == cudaSuccess, "capture");
    cudaGraph_t g = nullptr;
    CHECK(cudaStreamEndCapture(s, &g) == cudaSuccess && g, "end capture");
    CHECK(cudaStreamIsCapturing(s, &st) == cudaSuccess && st == cudaStreamCaptureStatusNone,
          "capture ended");
    int bad = 0;
    for (int i = 0; i < n; i++) bad += got[i] != -1;
    CHECK(bad == 0 && differ(d, n, 0) == 0 && differ(e, n, 0) == 0,
          "captured work ran before its graph");

    cudaGraphExec_t x = nullptr, y = nullptr, z = nullptr;
    CHECK(cudaGraphInstantiate(&x, g, 0) == cudaSuccess && x, "instantiate");
    CHECK(cudaGraphDestroy(g) == cudaSuccess, "graph destroyed, its exec kept");
    for (int i = 0; i < n; i++) h[i] = 2 * i; // a copy reads host memory when it runs
    for (int run = 0; run < 2; run++) {       // the same result each time: the graph resets d and e
        for (int i = 0; i < n; i++) got[i] = -1;
        CHECK(cudaGraphLaunch(x, s) == cudaSuccess && cudaStreamSynchronize(s) == cudaSuccess,
              "launch %d", run);
        bad = 0;
        for (int i = 0; i < n; i++) bad += got[i] != 2 * i + 10;
        CHECK(bad == 0 && differ(e, n, 1) == 0, "launch %d: %d wrong", run, bad);
    }

    // a graph that adds 1, launched twice (once on the legacy stream): 2 added
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal) == cudaSuccess,
          "begin capture (global)");
    add_kernel<<<1, 128, 0, s>>>(e, n, 1);
    CHECK(cudaStreamEndCapture(s, &g) == cudaSuccess &&
              cudaGraphInstantiate(&y, g, 0) == cudaSuccess,
          "add-1 graph");
    cudaGraphDestroy(g);
    CHECK(differ(e, n, 1) == 0, "add-1 graph ran at its capture");
    cudaGraphLaunch(y, s);
    cudaGraphLaunch(y, nullptr);
    CHECK(cudaDeviceSynchronize() == cudaSuccess && differ(e, n, 3) == 0,
          "add-1 graph launched twice");

    // a graph launched into a capture is captured (a copy: y may go)
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess,
          "begin capture 3");
    CHECK(cudaGraphLaunch(y, s) == cudaSuccess && cudaGraphLaunch(y, s) == cudaSuccess,
          "graph into a capture");
    CHECK(cudaStreamEndCapture(s, &g) == cudaSuccess &&
              cudaGraphInstantiate(&z, g, 0) == cudaSuccess,
          "graph of graphs");
    CHECK(differ(e, n, 3) == 0, "a graph launched into a capture ran");
    cudaGraphDestroy(g);
    cudaGraphExecDestroy(y);
    CHECK(cudaGraphLaunch(z, s) == cudaSuccess && cudaStreamSynchronize(s) == cudaSuccess &&
              differ(e, n, 5) == 0,
          "graph of graphs launched");

    CHECK(cudaGraphExecDestroy(x) == cudaSuccess && cudaGraphExecDestroy(z) == cudaSuccess,
          "exec destroy");
    CHECK(cudaGraphLaunch(nullptr, s) == cudaErrorInvalidValue, "launch of no graph");
    cudaGetLastError();
    cudaStreamDestroy(s);
    cudaFree(d);
    cudaFree(e);
}

static void capture_errors() {
    const int n = 256;
    static int h[n];
    int *d;
    cudaMalloc(&d, sizeof h);
    cudaMemset(d, 0, sizeof h);
    cudaStream_t s, nb;
    cudaStreamCreateWithFlags(&s, cudaStreamDefault);
    cudaStreamCreateWithFlags(&nb, cudaStreamNonBlocking);
    cudaGraph_t g = nullptr, invalid = (cudaGraph_t)&h; // what EndCapture must clear
    cudaStreamCaptureStatus st;

    CHECK(cudaStreamBeginCapture(nullptr, cudaStreamCaptureModeRelaxed) ==
              cudaErrorStreamCaptureUnsupported,
          "capture on the legacy stream");
    CHECK(cudaStreamEndCapture(s, &g) == cudaErrorIllegalState, "end without a capture");
    CHECK(cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaSuccess &&
              cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed) == cudaErrorIllegalState,
          "begin twice");
    CHECK(cudaStreamEndCapture(s, &g) == cudaSuccess && g && cudaGraphDestroy(g) == cudaSuccess,
          "empty graph");

    // what breaks a blocking stream's capture, and how
    const char *const what[] = {"cudaMemcpy",
                                "cudaMemset",
                                "a launch on the legacy stream",
                                "cudaStreamSynchronize",
                                "cudaDeviceSynchronize",
                                "cudaFree",
                                "cudaMalloc in global mode",
                                "cudaStreamDestroy"};
    const cudaError_t want[] = {
        cudaErrorStreamCaptureImplicit,    cudaErrorStreamCaptureImplicit,
        cudaErrorStreamCaptureImplicit,    cudaErrorStreamCaptureUnsupported,
        cudaErrorStreamCaptureUnsupported, cudaErrorStreamCaptureUnsupported,
        cudaErrorStreamCaptureUnsupported, cudaErrorStreamCaptureUnsupported};
    for (int k = 0; k < 8; k++) {
        cudaGetLastError();
        cudaStreamBeginCapture(s,
                               k == 6 ? cudaStreamCaptureModeGlobal : cudaStreamCaptureModeRelaxed);
        add_kernel<<<1, n, 0, s>>>(d, n, 1); // captured, then dropped with the capture
        cudaError_t err = cudaSuccess;
        void *p = nullptr;
        switch (k) {
        case 0:
            err = cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
            break;
        case 1:
            err = cudaMemset(d, 1, sizeof h);
            break;
        case 2:
            add_kernel<<<1, n>>>(d, n, 1);
            err = cudaGetLastError();
            break;
        case 3:
            err = cudaStreamSynchronize(s);
            break;
        case 4:
            err = cudaDeviceSynchronize();
            break;
        case 5:
            err = cudaFree(d);
            break;
        case 6:
            err = cudaMalloc(&p, 4);
            break;
        case 7:
            err = cudaStreamDestroy(s);
            break;
        }
        CHECK(err == want[k], "%s in a capture: %s, want %s", what[k], cudaGetErrorName(err),
              cudaGetErrorName(want[k]));
        CHECK(cudaStreamIsCapturing(s, &st) == cudaSuccess &&
                  st == cudaStreamCaptureStatusInvalidated,
              "%s: capture not invalidated", what[k]);
        CHECK(cudaMemsetAsync(d, 1, sizeof h, s) == cudaErrorStreamCaptureInvalidated,
              "%s: stream still capturing", what[k]);
        g = invalid;
        CHECK(cudaStreamEndCapture(s, &g) == cudaErrorStreamCaptureInvalidated && !g,
              "%s: end capture", what[k]);
        CHECK(cudaStreamIsCapturing(s, &st) == cudaSuccess && st == cudaStreamCaptureStatusNone,
              "%s: capture not ended", what[k]);
    }
    CHECK(differ(d, n, 0) == 0, "work of an invalidated capture (or refused in one) ran");

    // no error: cudaMalloc in relaxed mode; a query of the legacy stream
    // (an error, but the capture goes on); the legacy stream while only a
    // non-blocking stream captures
    cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
    void *p = nullptr;
    CHECK(cudaMalloc(&p, 4) == cudaSuccess, "cudaMalloc in relaxed mode");
    CHECK(cudaStreamIsCapturing(nullptr, &st) == cudaErrorStreamCaptureImplicit,
          "query of the legacy stream");
    add_kernel<<<1, n, 0, s>>>(d, n, 1);
    CHECK(cudaStreamEndCapture(s, &g) == cudaSuccess && g, "capture after a legacy query");
    cudaGraphDestroy(g);
    cudaFree(p);
    CHECK(cudaStreamBeginCapture(nb, cudaStreamCaptureModeRelaxed) == cudaSuccess,
          "non-blocking capture");
    add_kernel<<<1, n, 0, nb>>>(d, n, 1);
    CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost) == cudaSuccess && h[0] == 0 &&
              cudaStreamIsCapturing(nullptr, &st) == cudaSuccess,
          "legacy stream beside a non-blocking capture");

    // a bad launch fails at the launch, captured as not
    add_kernel<<<1, 1025, 0, nb>>>(d, n, 1);
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "1025 threads in a capture");
    if (cudaStreamEndCapture(nb, &g) == cudaSuccess) cudaGraphDestroy(g);
    cudaGetLastError();

    // global mode: ended from the thread that began it
    cudaStreamBeginCapture(s, cudaStreamCaptureModeGlobal);
    cudaError_t other = cudaSuccess;
    std::thread([&] { other = cudaStreamEndCapture(s, &g); }).join();
    CHECK(other == cudaErrorStreamCaptureWrongThread, "global capture ended by another thread: %s",
          cudaGetErrorName(other));
    CHECK(cudaStreamEndCapture(s, &g) == cudaSuccess && g, "global capture ended by its thread");
    cudaGraphDestroy(g);
    cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
    std::thread([&] { other = cudaStreamEndCapture(s, &g); }).join();
    CHECK(other == cudaSuccess && g, "relaxed capture ended by another thread: %s",
          cudaGetErrorName(other));
    cudaGraphDestroy(g);
    cudaGetLastError();

    cudaStreamDestroy(s);
    cudaStreamDestroy(nb);
    cudaFree(d);
}

// A captured copy from a local variable, read at each launch after the
// function returned: the emulator must stop (a GPU reads whatever is there).
__attribute__((noinline)) static void capture_local(int *d, cudaStream_t s) {
    int v[4] = {1, 2, 3, 4};
    cudaMemcpyAsync(d, v, sizeof v, cudaMemcpyHostToDevice, s);
}

static void dead_stack() {
    int *d;
    cudaStream_t s;
    cudaMalloc(&d, 16);
    cudaStreamCreate(&s);
    cudaGraph_t g;
    cudaGraphExec_t x;
    cudaStreamBeginCapture(s, cudaStreamCaptureModeRelaxed);
    capture_local(d, s);
    cudaStreamEndCapture(s, &g);
    cudaGraphInstantiate(&x, g, 0);
    fflush(stderr);
    const pid_t pid = fork();
    if (pid == 0) {
        freopen("/dev/null", "w", stderr); // the expected message
        cudaGraphLaunch(x, s);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
          "copy from a dead stack frame: status 0x%x, not an abort", status);
    cudaGraphExecDestroy(x);
    cudaGraphDestroy(g);
    cudaStreamDestroy(s);
    cudaFree(d);
}

int main() {
    shapes();
    sums();
    shuffles();
    dynamic_shared();
    copies();
    conversions();
    divergence();
    graphs();
    capture_errors();
    dead_stack();
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
