/*
 * step_helpers.c — the small kernels around the GEMMs of a training step:
 * bias add, column sums (bias gradient), minibatch gather of stored rows
 * (uint8 or float) scaled to float, and the SGD update. Each is one pass over memory; plain
 * loops the compiler vectorises for baseline x86-64 suffice (they are a few
 * percent of a step), so they have no per-ISA variants.
 */
#include "internal.h"

int s4j_add_bias(int64_t n, int64_t c, const float *bias, float *y) {
    if (n < 0 || c < 0 || (n > 0 && c > 0 && (!bias || !y))) return S4J_ERR_ARGUMENT;
    for (int64_t i = 0; i < n; i++) {
        float *row = y + i * c;
        for (int64_t j = 0; j < c; j++) row[j] += bias[j];
    }
    return S4J_OK;
}

int s4j_column_sums(int64_t n, int64_t c, float alpha, const float *x, float beta, float *out) {
    if (n < 0 || c < 0 || (c > 0 && (!out || (n > 0 && !x)))) return S4J_ERR_ARGUMENT;
    // Column blocks of 64 doubles stay in registers/L1 while rows stream by.
    enum { B = 64 };
    for (int64_t j0 = 0; j0 < c; j0 += B) {
        int64_t w = c - j0 < B ? c - j0 : B;
        double acc[B] = {0};
        for (int64_t i = 0; i < n; i++) {
            const float *row = x + i * c + j0;
            for (int64_t j = 0; j < w; j++) acc[j] += row[j];
        }
        for (int64_t j = 0; j < w; j++)
            out[j0 + j] =
                (float)(alpha * acc[j] + (beta == 0.0f ? 0.0 : (double)beta * out[j0 + j]));
    }
    return S4J_OK;
}

typedef struct {
    int64_t rows, cols, rows_per_task, row_bytes;
    int32_t dtype;
    const char *src;
    const int32_t *index;
    float scale;
    const float *shift, *col_scale;
    float *out;
} gather_job;

// One row, its element type and affine map fixed so that the loop vectorises.
#define GATHER_ROW(T, EXPR)                                  \
    do {                                                     \
        const T *s_ = (const T *)s;                          \
        for (int64_t c = 0; c < j->cols; c++) o[c] = (EXPR); \
    } while (0)

static void gather_task(void *arg, int64_t task, int slot) {
    const gather_job *j = arg;
    const int64_t r0 = task * j->rows_per_task;
    const int64_t r1 = r0 + j->rows_per_task < j->rows ? r0 + j->rows_per_task : j->rows;
    const float k = j->scale, *sh = j->shift, *cs = j->col_scale;
    // Shuffled rows are latency-bound (~370 ns per 784-byte row when fetched
    // one after another): prefetch every line of the row AHEAD rows ahead.
    // Measured per Fashion-MNIST epoch (2 threads): none 25 ms, AHEAD 2:
    // 5.3, 4: 4.0, 8: 6.7, 16: 5.5 (more lines than the fill buffers hold).
    enum { AHEAD = 4 };
    for (int64_t i = r0; i < r1; i++) {
        if (i + AHEAD < r1) {
            const char *next = j->src + (int64_t)j->index[i + AHEAD] * j->row_bytes;
            for (int64_t b = 0; b < j->row_bytes; b += 64) __builtin_prefetch(next + b);
            __builtin_prefetch(next + j->row_bytes - 1);
        }
        const char *s = j->src + (int64_t)j->index[i] * j->row_bytes;
        float *o = j->out + i * j->cols;
        if (j->dtype == S4J_U8) {
            if (!sh && !cs)
                GATHER_ROW(uint8_t, k * (float)s_[c]);
            else
                GATHER_ROW(uint8_t,
                           k * (((float)s_[c] - (sh ? sh[c] : 0.0f)) * (cs ? cs[c] : 1.0f)));
        } else {
            if (!sh && !cs)
                GATHER_ROW(float, k *s_[c]);
            else
                GATHER_ROW(float, k *((s_[c] - (sh ? sh[c] : 0.0f)) * (cs ? cs[c] : 1.0f)));
        }
    }
}

int s4j_gather_rows(int64_t rows, int64_t cols, int32_t src_dtype, const void *src,
                    int64_t src_rows, const int32_t *index, float scale, const float *shift,
                    const float *col_scale, float *out, int64_t *err_row) {
    if (rows < 0 || cols < 0 || src_rows < 0 || (src_dtype != S4J_U8 && src_dtype != S4J_F32) ||
        (rows > 0 && (!index || (cols > 0 && (!src || !out)))))
        return S4J_ERR_ARGUMENT;
    for (int64_t i = 0; i < rows; i++) {
        if (index[i] < 0 || index[i] >= src_rows) {
            if (err_row) *err_row = i;
            return S4J_ERR_ARGUMENT;
        }
    }
    if (cols == 0) return S4J_OK;
    const int64_t row_bytes = cols * (src_dtype == S4J_U8 ? 1 : 4);
    // Two threads keep twice the rows in flight; tasks of >= 64 KiB of input.
    gather_job j = {rows,      cols,      (65536 + row_bytes - 1) / row_bytes,
                    row_bytes, src_dtype, src,
                    index,     scale,     shift,
                    col_scale, out};
    s4j_parallel_for((rows + j.rows_per_task - 1) / j.rows_per_task, INT32_MAX, gather_task, &j);
    return S4J_OK;
}

int s4j_sgd_step(int64_t count, float lr, float momentum, float weight_decay, float *w,
                 const float *g, float *v) {
    if (count < 0 || (count > 0 && (!w || !g)) || (!v && momentum != 0.0f)) return S4J_ERR_ARGUMENT;
    if (v) {
        for (int64_t i = 0; i < count; i++) {
            float d = momentum * v[i] + (g[i] + weight_decay * w[i]);
            v[i] = d;
            w[i] -= lr * d;
        }
    } else {
        for (int64_t i = 0; i < count; i++) w[i] -= lr * (g[i] + weight_decay * w[i]);
    }
    return S4J_OK;
}
