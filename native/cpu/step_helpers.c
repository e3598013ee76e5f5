/*
 * step_helpers.c — the small kernels around the GEMMs of a training step:
 * bias add, column sums (bias gradient), minibatch gather of uint8 rows
 * scaled to float, and the SGD update. Each is one pass over memory; plain
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

int s4j_column_sums(int64_t n, int64_t c, float alpha, const float *x, float beta,
                    float *out) {
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
            out[j0 + j] = (float)(alpha * acc[j] + (beta == 0.0f ? 0.0 : (double)beta * out[j0 + j]));
    }
    return S4J_OK;
}

int s4j_gather_scaled_u8(int64_t rows, int64_t cols, const uint8_t *src, int64_t src_rows,
                         const int32_t *index, float scale, float *out, int64_t *err_row) {
    if (rows < 0 || cols < 0 || src_rows < 0 ||
        (rows > 0 && cols > 0 && (!src || !index || !out)))
        return S4J_ERR_ARGUMENT;
    for (int64_t i = 0; i < rows; i++) {
        if (index[i] < 0 || index[i] >= src_rows) {
            if (err_row) *err_row = i;
            return S4J_ERR_ARGUMENT;
        }
    }
    for (int64_t i = 0; i < rows; i++) {
        const uint8_t *s = src + (int64_t)index[i] * cols;
        float *o = out + i * cols;
        for (int64_t j = 0; j < cols; j++) o[j] = scale * (float)s[j];
    }
    return S4J_OK;
}

int s4j_sgd_step(int64_t count, float lr, float momentum, float weight_decay, float *w,
                 const float *g, float *v) {
    if (count < 0 || (count > 0 && (!w || !g)) || (!v && momentum != 0.0f))
        return S4J_ERR_ARGUMENT;
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
