/*
 * test_util.h — what the C tests share: CHECK, which counts a failure and
 * goes on (a run reports every failure, not the first), and a small seeded
 * xorshift generator, so that a printed seed reproduces a run.
 */
#ifndef S4J_TEST_UTIL_H
#define S4J_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>

static int failures = 0;
#define CHECK(cond, ...)                                         \
    do {                                                         \
        if (!(cond)) {                                           \
            failures++;                                          \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                        \
            fprintf(stderr, "\n");                               \
        }                                                        \
    } while (0)

static uint64_t rng;
static inline uint64_t rnd(void) {
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 2685821657736338717ULL;
}
/* uniform in [0, 1) */
static inline double rnd_unit(void) { return (double)(rnd() >> 11) * 0x1.0p-53; }
/* uniform in [-1, 1) */
static inline float rnd_sym(void) { return (float)((double)(rnd() >> 11) * 0x1.0p-52 - 1.0); }

// The options of a test call, every field named (softmax4j.h's s4j_ce_options).
#define CE_OPTS(weights, ignore, red, eps, zc, scale, cap) \
    (&(s4j_ce_options){.class_weight = (weights),          \
                       .ignore_index = (ignore),           \
                       .reduction = (red),                 \
                       .label_smoothing = (eps),           \
                       .z_loss = (zc),                     \
                       .grad_scale = (scale),              \
                       .softcap = (cap)})

#endif
