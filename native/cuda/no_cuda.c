/*
 * no_cuda.c — libsoftmax4j_cuda.so for builds without nvcc: the same
 * symbols (so the JNI glue links and both bindings load), every function
 * failing with S4J_ERR_CUDA and saying why. Built only when CMake finds no
 * CUDA compiler.
 */
#include "softmax4j.h"

static const char why[] = "softmax4j was built without nvcc: this library has no CUDA kernels";

const char *s4j_cuda_last_error(void) { return why; }

int s4j_cuda_device_count(int32_t *count) {
    if (count) *count = 0;
    return S4J_ERR_CUDA;
}

int s4j_cuda_malloc(void **p, int64_t bytes) {
    (void)bytes;
    if (p) *p = 0;
    return S4J_ERR_CUDA;
}

#define UNAVAILABLE(...) \
    { return S4J_ERR_CUDA; }
int s4j_cuda_free(void *p)
    UNAVAILABLE() int s4j_cuda_memcpy(void *d, const void *s, int64_t b, int32_t k, void *st)
        UNAVAILABLE() int s4j_cuda_memset(void *p, int32_t v, int64_t b, void *st)
            UNAVAILABLE() int s4j_cuda_stream_create(void **st)
                UNAVAILABLE() int s4j_cuda_stream_destroy(void *st)
                    UNAVAILABLE() int s4j_cuda_stream_synchronize(void *st)
                        UNAVAILABLE() int s4j_cuda_graph_begin(void *st)
                            UNAVAILABLE() int s4j_cuda_graph_end(void *st, void **g)
                                UNAVAILABLE() int s4j_cuda_graph_launch(void *g, void *st)
                                    UNAVAILABLE() int s4j_cuda_graph_destroy(void *g)
                                        UNAVAILABLE() int s4j_cuda_softmax(int64_t n, int64_t c,
                                                                           const float *x, float *y,
                                                                           int32_t log, void *st)
                                            UNAVAILABLE() int s4j_cuda_softmax_ce(
                                                int64_t n, int64_t c, int32_t dt, const void *x,
                                                const int32_t *t, const s4j_ce_options *o, float *l,
                                                float *rl, float *rlse, int32_t *am, void *dx,
                                                void *wk, int64_t wb, void *st)
                                                UNAVAILABLE() int64_t
    s4j_cuda_softmax_ce_workspace_size(int64_t n) {
    return (n + 2) * 8;
}
int s4j_cuda_sgemm(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k, float al,
                   const float *a, int64_t lda, const float *b, int64_t ldb, float be, float *c,
                   int64_t ldc, int32_t math, void *st)
    UNAVAILABLE() int s4j_cuda_gemm_bf16(int32_t ta, int32_t tb, int64_t m, int64_t n, int64_t k,
                                         float al, const void *a, int64_t lda, const void *b,
                                         int64_t ldb, float be, float *c, int64_t ldc, void *st)
        UNAVAILABLE() int s4j_cuda_add_bias(int64_t n, int64_t c, const float *b, float *y,
                                            void *st)
            UNAVAILABLE() int s4j_cuda_column_sums(int64_t n, int64_t c, float al, const float *x,
                                                   float be, float *o, void *st)
                UNAVAILABLE() int s4j_cuda_sgd_step(int64_t n, float lr, float m, float wd,
                                                    float *w, const float *g, float *v, void *st)
                    UNAVAILABLE() int s4j_cuda_gather_rows(int64_t r, int64_t c, int32_t dt,
                                                           const void *s, int64_t sr,
                                                           const int32_t *i, float sc,
                                                           const float *sh, const float *cs,
                                                           float *o, void *st)
                        UNAVAILABLE() int s4j_cuda_step_stats(int64_t n, const float *l, float w,
                                                              const int32_t *am, const int32_t *t,
                                                              double *ls, int64_t *c, void *st)
                            UNAVAILABLE() int s4j_cuda_linear_ce(
                                int64_t n, int64_t d, int64_t v, int32_t dt, const void *x,
                                const void *w, const float *b, const int32_t *t,
                                const s4j_ce_options *o, int64_t bv, int32_t math, float *l,
                                float *rl, float *rlse, float *dx, float *dw, float *db, void *wk,
                                int64_t wb, void *st) UNAVAILABLE() int64_t
    s4j_cuda_linear_ce_workspace_size(int64_t n, int64_t v, int64_t bv, int32_t dt) {
    (void)n, (void)v, (void)bv, (void)dt;
    return 0;
}
int s4j_cuda_csr_sgd_step(int64_t m, int64_t c, int64_t k, const int64_t *rp, const int32_t *ci,
                          const float *va, const int32_t *t, const s4j_ce_options *o, float sc,
                          float al, float bl, float *v, int64_t ldv, float *b, float *z, float *l,
                          int32_t *am, void *wk, int64_t wb, void *st)
    UNAVAILABLE() int s4j_cuda_csr_matmul(int64_t m, int64_t n, int64_t k, const int64_t *rp,
                                          const int32_t *ci, const float *va, float al,
                                          const float *b, int64_t ldb, const float *bi, float be,
                                          float *c, int64_t ldc, const int32_t *cr, int64_t crc,
                                          void *st) UNAVAILABLE()
