/*
 * test_cuda.c — the CUDA library: on a machine without GPU or driver it must
 * load and say so (S4J_ERR_CUDA with a message; the test then reports
 * "skipped", exit code 77); with a device, s4j_cuda_softmax_ce must match
 * the CPU kernel (itself tested against a double reference) on random
 * inputs, every dtype and option, outputs poisoned before each call.
 * S4J_TEST_SEED=<n> reproduces a run.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "test_util.h"


static void *dev(const void *host, int64_t bytes) {
    void *p = NULL;
    CHECK(s4j_cuda_malloc(&p, bytes) == S4J_OK, "malloc: %s", s4j_cuda_last_error());
    if (host) CHECK(s4j_cuda_memcpy(p, host, bytes, 0, NULL) == S4J_OK, "h2d: %s", s4j_cuda_last_error());
    else s4j_cuda_memcpy(p, memset(malloc((size_t)bytes), 0xff, (size_t)bytes), bytes, 0, NULL); // poison
    return p;
}

static void one(int64_t n, int64_t c, int32_t dtype, int red, float eps, float zc, int weighted) {
    const int64_t es = s4j_dtype_size(dtype), bytes = n * c * es;
    char *x = malloc((size_t)bytes), *g_cpu = malloc((size_t)bytes), *g_gpu = malloc((size_t)bytes);
    int32_t *y = malloc(4 * (size_t)n);
    float *w = weighted ? malloc(4 * (size_t)c) : NULL;
    for (int64_t i = 0; i < n * c; i++) s4j_store_elem(x, dtype, i, 6.0f * rnd_sym());
    for (int64_t r = 0; r < n; r++) y[r] = rnd() % 4 == 0 ? -100 : (int32_t)(rnd() % (uint64_t)c);
    for (int64_t k = 0; k < c && w; k++) w[k] = 0.5f + 0.5f * rnd_sym();
    float loss_cpu, loss_gpu = NAN;
    float *rl_cpu = malloc(4 * (size_t)n), *rl_gpu = malloc(4 * (size_t)n);
    int32_t *am_cpu = malloc(4 * (size_t)n), *am_gpu = malloc(4 * (size_t)n);
    s4j_softmax_ce(n, c, dtype, x, y, w, -100, red, eps, zc, 1.0f, &loss_cpu, rl_cpu, NULL, am_cpu, g_cpu, NULL, NULL, 0);
    void *dx = dev(x, bytes), *dy = dev(y, 4 * n), *dw = w ? dev(w, 4 * c) : NULL, *dg = dev(NULL, bytes);
    void *dl = dev(NULL, 4), *drl = dev(NULL, 4 * n), *dam = dev(NULL, 4 * n);
    int64_t wb = s4j_cuda_softmax_ce_workspace_size(n);
    void *work = dev(NULL, wb);
    int rc = s4j_cuda_softmax_ce(n, c, dtype, dx, dy, dw, -100, red, eps, zc, 1.0f, dl, drl, NULL, dam, dg, work, wb, NULL);
    CHECK(rc == S4J_OK, "launch: %s", s4j_cuda_last_error());
    s4j_cuda_memcpy(&loss_gpu, dl, 4, 1, NULL);
    s4j_cuda_memcpy(g_gpu, dg, bytes, 1, NULL);
    s4j_cuda_memcpy(rl_gpu, drl, 4 * n, 1, NULL);
    s4j_cuda_memcpy(am_gpu, dam, 4 * n, 1, NULL);
    const double tol = dtype == S4J_F32 ? 1e-5 : 1e-2;
    CHECK(fabs(loss_gpu - loss_cpu) <= 1e-5 * fabs(loss_cpu) + 1e-6 || (isnan(loss_gpu) && isnan(loss_cpu)),
          "n=%ld c=%ld dtype=%d red=%d: loss %g vs %g", (long)n, (long)c, dtype, red, loss_gpu, loss_cpu);
    double num = 0, den = 0;
    for (int64_t i = 0; i < n * c; i++) {
        double a = s4j_load_elem(g_gpu, dtype, i), b = s4j_load_elem(g_cpu, dtype, i);
        num += (a - b) * (a - b);
        den += b * b;
    }
    CHECK(sqrt(num) <= tol * sqrt(den) + 1e-6, "n=%ld c=%ld dtype=%d: gradient rel err %g", (long)n, (long)c, dtype, sqrt(num / den));
    for (int64_t r = 0; r < n; r++) {
        CHECK(am_gpu[r] == am_cpu[r], "argmax[%ld] %d vs %d", (long)r, am_gpu[r], am_cpu[r]);
        CHECK(fabs(rl_gpu[r] - rl_cpu[r]) <= 1e-4 * fabs(rl_cpu[r]) + 1e-5, "row %ld loss %g vs %g", (long)r, rl_gpu[r], rl_cpu[r]);
    }
    s4j_cuda_free(dx); s4j_cuda_free(dy); s4j_cuda_free(dw); s4j_cuda_free(dg);
    s4j_cuda_free(dl); s4j_cuda_free(drl); s4j_cuda_free(dam); s4j_cuda_free(work);
    free(x); free(g_cpu); free(g_gpu); free(y); free(w); free(rl_cpu); free(rl_gpu); free(am_cpu); free(am_gpu);
}

int main(void) {
    int32_t devices = -1;
    int rc = s4j_cuda_device_count(&devices);
    if (rc != S4J_OK) {
        CHECK(rc == S4J_ERR_CUDA && devices == 0 && strlen(s4j_cuda_last_error()) > 0,
              "without a GPU: status %d, count %d, message '%s'", rc, devices, s4j_cuda_last_error());
        printf("no usable GPU (%s): CUDA tests skipped\n", s4j_cuda_last_error());
        return failures ? 1 : 77;
    }
    const char *env = getenv("S4J_TEST_SEED");
    uint64_t seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL);
    printf("%d device(s); seed %llu\n", devices, (unsigned long long)seed);
    rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    static const int64_t cs[] = {1, 2, 7, 10, 33, 1000, 8192, 8193, 32769};
    for (int it = 0; it < 60; it++) {
        int64_t c = cs[rnd() % 9], n = 1 + (int64_t)(rnd() % (c > 4096 ? 17 : 300));
        one(n, c, (int32_t)(rnd() % 3), (int)(rnd() % 2) + 1, rnd() % 2 ? 0.0f : 0.1f,
            rnd() % 2 ? 0.0f : 1e-3f, (int)(rnd() % 2));
    }
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}
