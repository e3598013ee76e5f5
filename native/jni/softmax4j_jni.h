/*
 * softmax4j_jni.h — adapters between the JavaCPP-generated JNI glue and the
 * ABI of softmax4j.h. Not an ABI of its own: each function forwards to the
 * s4j_ function of the same name.
 *
 * Each pointer arrives as (array, offset): a pinned Java array (JavaCPP's
 * @CriticalRegion, no copy) plus a byte offset into it, or a NULL array plus
 * an absolute address (a native MemorySegment). Both NULL/0 means NULL.
 */
#ifndef SOFTMAX4J_JNI_H
#define SOFTMAX4J_JNI_H

#include <stdint.h>

#include "softmax4j.h"

static inline void *s4j_jni_ptr(void *array, int64_t offset) {
    return array ? (void *)((char *)array + offset) : (void *)(uintptr_t)offset;
}
#define S4J_P(name) s4j_jni_ptr(name, name##_off)

static inline int s4j_jni_softmax(int64_t n, int64_t c, void *x, int64_t x_off, void *y,
                                  int64_t y_off, int32_t log) {
    return s4j_softmax(n, c, (const float *)S4J_P(x), (float *)S4J_P(y), log);
}

static inline int s4j_jni_softmax_ce(int64_t n, int64_t c, int32_t dtype, void *logits,
                                     int64_t logits_off, void *targets, int64_t targets_off,
                                     void *opt, int64_t opt_off, void *loss, int64_t loss_off,
                                     void *row_loss, int64_t row_loss_off, void *row_lse,
                                     int64_t row_lse_off, void *row_argmax, int64_t row_argmax_off,
                                     void *dlogits, int64_t dlogits_off, void *err_row,
                                     int64_t err_row_off, void *work, int64_t work_off,
                                     int64_t work_bytes) {
    return s4j_softmax_ce(n, c, dtype, S4J_P(logits), (const int32_t *)S4J_P(targets),
                          (const s4j_ce_options *)S4J_P(opt), (float *)S4J_P(loss),
                          (float *)S4J_P(row_loss), (float *)S4J_P(row_lse),
                          (int32_t *)S4J_P(row_argmax), S4J_P(dlogits), (int64_t *)S4J_P(err_row),
                          S4J_P(work), work_bytes);
}

static inline int s4j_jni_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                                float alpha, void *a, int64_t a_off, int64_t lda, void *b,
                                int64_t b_off, int64_t ldb, float beta, void *c, int64_t c_off,
                                int64_t ldc, void *work, int64_t work_off, int64_t work_bytes) {
    return s4j_sgemm(trans_a, trans_b, m, n, k, alpha, (const float *)S4J_P(a), lda,
                     (const float *)S4J_P(b), ldb, beta, (float *)S4J_P(c), ldc, S4J_P(work),
                     work_bytes);
}

static inline int s4j_jni_add_bias(int64_t n, int64_t c, void *bias, int64_t bias_off, void *y,
                                   int64_t y_off) {
    return s4j_add_bias(n, c, (const float *)S4J_P(bias), (float *)S4J_P(y));
}

static inline int s4j_jni_column_sums(int64_t n, int64_t c, float alpha, void *x, int64_t x_off,
                                      float beta, void *out, int64_t out_off) {
    return s4j_column_sums(n, c, alpha, (const float *)S4J_P(x), beta, (float *)S4J_P(out));
}

static inline int s4j_jni_gather_rows(int64_t rows, int64_t cols, int32_t src_dtype, void *src,
                                      int64_t src_off, int64_t src_rows, void *index,
                                      int64_t index_off, float scale, void *shift,
                                      int64_t shift_off, void *col_scale, int64_t col_scale_off,
                                      void *out, int64_t out_off, void *err_row,
                                      int64_t err_row_off) {
    return s4j_gather_rows(rows, cols, src_dtype, S4J_P(src), src_rows,
                           (const int32_t *)S4J_P(index), scale, (const float *)S4J_P(shift),
                           (const float *)S4J_P(col_scale), (float *)S4J_P(out),
                           (int64_t *)S4J_P(err_row));
}

static inline int s4j_jni_sgd_step(int64_t count, float lr, float momentum, float weight_decay,
                                   void *w, int64_t w_off, void *g, int64_t g_off, void *v,
                                   int64_t v_off) {
    return s4j_sgd_step(count, lr, momentum, weight_decay, (float *)S4J_P(w),
                        (const float *)S4J_P(g), (float *)S4J_P(v));
}

static inline int s4j_jni_csr_matmul(int64_t m, int64_t n, int64_t k, void *row_ptr,
                                     int64_t row_ptr_off, void *col_idx, int64_t col_idx_off,
                                     void *values, int64_t values_off, float alpha, void *b,
                                     int64_t b_off, int64_t ldb, void *bias, int64_t bias_off,
                                     float beta, void *c, int64_t c_off, int64_t ldc, void *c_rows,
                                     int64_t c_rows_off, int64_t c_row_count, void *err_row,
                                     int64_t err_row_off) {
    return s4j_csr_matmul(m, n, k, (const int64_t *)S4J_P(row_ptr), (const int32_t *)S4J_P(col_idx),
                          (const float *)S4J_P(values), alpha, (const float *)S4J_P(b), ldb,
                          (const float *)S4J_P(bias), beta, (float *)S4J_P(c), ldc,
                          (const int32_t *)S4J_P(c_rows), c_row_count, (int64_t *)S4J_P(err_row));
}

static inline int s4j_jni_csr_sgd_step(int64_t m, int64_t c, int64_t k, void *row_ptr,
                                       int64_t row_ptr_off, void *col_idx, int64_t col_idx_off,
                                       void *values, int64_t values_off, void *targets,
                                       int64_t targets_off, void *opt, int64_t opt_off, float scale,
                                       float alpha, float bias_lr, void *v, int64_t v_off,
                                       int64_t ldv, void *bias, int64_t bias_off, void *logits,
                                       int64_t logits_off, void *loss, int64_t loss_off,
                                       void *row_argmax, int64_t row_argmax_off, void *err_row,
                                       int64_t err_row_off) {
    return s4j_csr_sgd_step(m, c, k, (const int64_t *)S4J_P(row_ptr),
                            (const int32_t *)S4J_P(col_idx), (const float *)S4J_P(values),
                            (const int32_t *)S4J_P(targets), (const s4j_ce_options *)S4J_P(opt),
                            scale, alpha, bias_lr, (float *)S4J_P(v), ldv, (float *)S4J_P(bias),
                            (float *)S4J_P(logits), (float *)S4J_P(loss),
                            (int32_t *)S4J_P(row_argmax), (int64_t *)S4J_P(err_row));
}

static inline int s4j_jni_linear_ce(int64_t n, int64_t d, int64_t v, void *x, int64_t x_off,
                                    void *w, int64_t w_off, void *bias, int64_t bias_off,
                                    void *targets, int64_t targets_off, void *opt, int64_t opt_off,
                                    int64_t block_v, void *loss, int64_t loss_off, void *row_loss,
                                    int64_t row_loss_off, void *row_lse, int64_t row_lse_off,
                                    void *dx, int64_t dx_off, void *dw, int64_t dw_off, void *db,
                                    int64_t db_off, void *work, int64_t work_off,
                                    int64_t work_bytes, void *err_row, int64_t err_row_off) {
    return s4j_linear_ce(
        n, d, v, (const float *)S4J_P(x), (const float *)S4J_P(w), (const float *)S4J_P(bias),
        (const int32_t *)S4J_P(targets), (const s4j_ce_options *)S4J_P(opt), block_v,
        (float *)S4J_P(loss), (float *)S4J_P(row_loss), (float *)S4J_P(row_lse), (float *)S4J_P(dx),
        (float *)S4J_P(dw), (float *)S4J_P(db), S4J_P(work), work_bytes, (int64_t *)S4J_P(err_row));
}

// OpenBLAS's cblas_sgemm (row-major), called through the address Java found
// with FFM's SymbolLookup in the library the openblas preset loaded: the
// preset's own float[] methods copy arrays, this pins them.
typedef void (*s4j_cblas_sgemm_fn)(int order, int trans_a, int trans_b, int m, int n, int k,
                                   float alpha, const float *a, int lda, const float *b, int ldb,
                                   float beta, float *c, int ldc);

static inline int s4j_jni_cblas_sgemm(int64_t fn, int32_t trans_a, int32_t trans_b, int32_t m,
                                      int32_t n, int32_t k, float alpha, void *a, int64_t a_off,
                                      int32_t lda, void *b, int64_t b_off, int32_t ldb, float beta,
                                      void *c, int64_t c_off, int32_t ldc) {
    enum { ROW_MAJOR = 101, NO_TRANS = 111, TRANS = 112 };
    ((s4j_cblas_sgemm_fn)(uintptr_t)fn)(
        ROW_MAJOR, trans_a ? TRANS : NO_TRANS, trans_b ? TRANS : NO_TRANS, m, n, k, alpha,
        (const float *)S4J_P(a), lda, (const float *)S4J_P(b), ldb, beta, (float *)S4J_P(c), ldc);
    return 0;
}

#endif
