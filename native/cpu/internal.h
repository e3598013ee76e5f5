/*
 * internal.h — what the portable framework and the per-ISA kernel files
 * share: the dispatch table, the thread pool, and scalar element
 * conversions. Not part of the ABI.
 */
#ifndef S4J_INTERNAL_H
#define S4J_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "softmax4j.h"

#define S4J_VERSION "0.1.0"

// ---------------------------------------------------------------------------
// Element conversions (scalar, exact IEEE round-to-nearest-even)

static inline float s4j_bf16_to_f32(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint16_t s4j_f32_to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40); // quiet NaN
    u += 0x7fffu + ((u >> 16) & 1u); // round to nearest, ties to even
    return (uint16_t)(u >> 16);
}

static inline float s4j_f16_to_f32(uint16_t h) {
    _Float16 v;
    memcpy(&v, &h, sizeof v);
    return (float)v;
}

static inline uint16_t s4j_f32_to_f16(float f) {
    _Float16 v = (_Float16)f; // gcc: round to nearest even
    uint16_t h;
    memcpy(&h, &v, sizeof h);
    return h;
}

static inline float s4j_load_elem(const void *x, int32_t dtype, int64_t i) {
    switch (dtype) {
    case S4J_BF16: return s4j_bf16_to_f32(((const uint16_t *)x)[i]);
    case S4J_F16: return s4j_f16_to_f32(((const uint16_t *)x)[i]);
    default: return ((const float *)x)[i];
    }
}

static inline void s4j_store_elem(void *y, int32_t dtype, int64_t i, float v) {
    switch (dtype) {
    case S4J_BF16: ((uint16_t *)y)[i] = s4j_f32_to_bf16(v); break;
    case S4J_F16: ((uint16_t *)y)[i] = s4j_f32_to_f16(v); break;
    default: ((float *)y)[i] = v;
    }
}

static inline int64_t s4j_dtype_size(int32_t dtype) {
    return dtype == S4J_F32 ? 4 : 2;
}

// ---------------------------------------------------------------------------
// Row kernels: the per-ISA pieces of softmax and softmax cross-entropy.
// A row is c elements of `dtype` at x.

// The gradient (or probabilities) to write in the second pass over a row:
//   out[k] = a * exp(x[k] - max) - b * (w ? w[k] : 1)
// followed by the portable code's fix-up of the target element.
typedef struct {
    float max;      // row maximum (from row_stats)
    float a;        // scale * A_i / sum: multiplies exp(x - max)
    float b;        // scale * eps / c: subtracted from every class
    const float *w; // class weights multiplying b, or NULL
} s4j_row_grad;

typedef struct {
    // Row maximum and sum of exp(x - max), reading the row once. A row
    // holding NaN gives a NaN sum; an all -inf row a sum of 0.
    void (*row_stats)(const void *x, int32_t dtype, int64_t c, float *max,
                      float *sum);
    // Second pass: writes the gradient when out != NULL and returns
    // sum_k w[k] * (max - x[k]) (w = 1 when NULL) when want_smooth != 0.
    // out may equal x.
    double (*row_finish)(const void *x, int32_t dtype, int64_t c,
                         const s4j_row_grad *g, void *out, int want_smooth);
    // Log-softmax: y = (x - max) - log_sum, float32; y may equal x.
    void (*row_log_softmax)(const float *x, int64_t c, float max, float log_sum,
                            float *y);
    // First index k with x[k] == value (isnan(x[k]) when value is NaN),
    // or -1.
    int64_t (*row_find)(const void *x, int32_t dtype, int64_t c, float value);
} s4j_kernel_table;

extern const s4j_kernel_table s4j_kernels_scalar;
extern const s4j_kernel_table s4j_kernels_avx2;

// The table of the ISA in use (dispatch.c).
const s4j_kernel_table *s4j_active_kernels(void);

// ---------------------------------------------------------------------------
// Thread pool (threads.c)

typedef void (*s4j_task_fn)(void *ctx, int64_t task);

// Runs fn(ctx, t) for t in [0, ntasks) on up to s4j_num_threads() threads,
// the caller included; returns when all are done. When another thread is
// already running a parallel job, runs everything on the caller instead
// (callers are then parallel already).
void s4j_parallel_for(int64_t ntasks, s4j_task_fn fn, void *ctx);

#endif
