/*
 * test_cuda_util.h — what the CUDA C tests share (after test_util.h):
 * device buffers, and the start of main: skip (exit 77) without a usable
 * GPU, after checking that the library says why; the seed (S4J_TEST_SEED
 * reproduces a run) and S4J_TEST_SMALL (every path, smaller shapes).
 */
#ifndef S4J_TEST_CUDA_UTIL_H
#define S4J_TEST_CUDA_UTIL_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "softmax4j.h"
#include "test_util.h"

/* Device memory holding host's bytes, or poisoned (0xff: NaN) when host is NULL. */
static void *dev(const void *host, int64_t bytes) {
    void *p = NULL;
    CHECK(s4j_cuda_malloc(&p, bytes) == S4J_OK, "malloc: %s", s4j_cuda_last_error());
    if (host)
        CHECK(s4j_cuda_memcpy(p, host, bytes, 0, NULL) == S4J_OK, "h2d: %s", s4j_cuda_last_error());
    else
        CHECK(s4j_cuda_memset(p, 0xff, bytes, NULL) == S4J_OK, "poison: %s", s4j_cuda_last_error());
    return p;
}

/* 1 when the tests are to run (rng seeded, *seed and *small set), else 0
 * after printing why not: the caller then exits with cuda_test_skip(). */
static int cuda_test_start(const char *what, uint64_t *seed, int *small) {
    int32_t devices = -1;
    int rc = s4j_cuda_device_count(&devices);
    if (rc != S4J_OK) {
        CHECK(rc == S4J_ERR_CUDA && devices == 0 && strlen(s4j_cuda_last_error()) > 0,
              "without a GPU: status %d, count %d, message '%s'", rc, devices,
              s4j_cuda_last_error());
        printf("no usable GPU (%s): %s skipped\n", s4j_cuda_last_error(), what);
        return 0;
    }
    const char *env = getenv("S4J_TEST_SEED");
    *seed = env ? strtoull(env, NULL, 10) : (uint64_t)time(NULL) ^ (uint64_t)clock();
    *small = getenv("S4J_TEST_SMALL") && atoi(getenv("S4J_TEST_SMALL"));
    printf("%d device(s); seed %llu (S4J_TEST_SEED=%llu reproduces)%s\n", devices,
           (unsigned long long)*seed, (unsigned long long)*seed, *small ? "; small shapes" : "");
    rng = *seed * 0x9E3779B97F4A7C15ULL + 1;
    return 1;
}

/* The exit code of a skipped run: 77, or 1 when the checks before failed. */
static int cuda_test_skip(void) { return failures ? 1 : 77; }

/* The exit code at the end, after the summary line. */
static int cuda_test_end(void) {
    printf("%s (%d failures)\n", failures ? "FAILED" : "ok", failures);
    return failures ? 1 : 0;
}

#endif
