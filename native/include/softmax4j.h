/*
 * softmax4j.h — the whole C ABI of softmax4j.
 *
 * Both Java bindings (FFM downcalls and JavaCPP-generated JNI) bind to the
 * functions declared here, and nothing else. Conventions for every function:
 *
 *  - Plain C99, `s4j_` prefix, row-major matrices, int64_t sizes, int32_t
 *    class labels.
 *  - Every function returns an int status: S4J_OK (0) or one of the
 *    S4J_ERR_* codes below. No function aborts, prints or exits.
 *  - The caller owns all memory. Kernels never allocate on the hot path.
 *  - The only global state is the instruction-set choice and the thread
 *    count (s4j_set_isa, s4j_set_num_threads), read once per call. Every
 *    kernel may be called from many threads at once.
 *  - Pointers to optional outputs may be NULL; "n x c" buffers are dense
 *    (row stride c) unless a leading dimension is given.
 */
#ifndef SOFTMAX4J_H
#define SOFTMAX4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(S4J_BUILDING_LIBRARY)
#define S4J_API __attribute__((visibility("default")))
#else
#define S4J_API
#endif

/* ---- status codes ------------------------------------------------------ */
#define S4J_OK 0
#define S4J_ERR_ARGUMENT 1    /* a size, enum or pointer is invalid */
#define S4J_ERR_TARGET 2      /* a target label is out of range; see err_row */
#define S4J_ERR_UNSUPPORTED 3 /* the CPU lacks the requested instruction set */
#define S4J_ERR_CUDA 4        /* a CUDA call failed: s4j_cuda_last_error() says why */

/* ---- element types of logits and their gradient ------------------------ */
#define S4J_F32 0  /* IEEE binary32 */
#define S4J_BF16 1 /* bfloat16: the upper 16 bits of a binary32 */
#define S4J_F16 2  /* IEEE binary16 */
#define S4J_U8 3   /* unsigned byte: stored features only (s4j_gather_rows) */

/* ---- reductions (PyTorch's F.cross_entropy `reduction`) ---------------- */
#define S4J_REDUCE_NONE 0
#define S4J_REDUCE_SUM 1
#define S4J_REDUCE_MEAN 2

/* ---- instruction sets --------------------------------------------------- */
#define S4J_ISA_SCALAR 0 /* portable C, baseline x86-64 */
#define S4J_ISA_AVX2 1   /* AVX2 + FMA + F16C */
#define S4J_ISA_AVX512 2 /* AVX2 level plus AVX-512F GEMM and softmax kernels */

/* ---- library state ------------------------------------------------------ */

/* Version string "major.minor.patch"; never NULL. */
S4J_API const char *s4j_version(void);

/* The instruction set kernels use now. At load time this is the best one
 * the CPU supports, unless the environment variable
 * S4J_ISA=scalar|avx2|avx512 asks for another; a value it cannot honour
 * (unknown, or a level the CPU lacks) is ignored and reported by
 * s4j_settings / s4j_settings_status. */
S4J_API int s4j_isa(void);

/* 1 if this CPU (and OS) can run `isa`, else 0. */
S4J_API int s4j_isa_supported(int isa);

/* The S4J_ISA_* code of "scalar", "avx2" or "avx512" (exactly), else -1. */
S4J_API int s4j_isa_parse(const char *name);

/* Switch every kernel to `isa`. Returns S4J_ERR_UNSUPPORTED (and changes
 * nothing) when the CPU cannot run it, S4J_ERR_ARGUMENT for an unknown
 * value. Each kernel call reads the choice once, when it starts, and runs
 * on that ISA throughout: calls already running are not affected. */
S4J_API int s4j_set_isa(int isa);

/* Threads a kernel may use: at load time one per CPU this process may run
 * on, or S4J_NUM_THREADS from the environment (a whole number in
 * [1, S4J_MAX_THREADS]; another value is ignored and reported). */
#define S4J_MAX_THREADS 1024
S4J_API int s4j_num_threads(void);

/* S4J_MAX_THREADS, for bindings that cannot read the header. */
S4J_API int s4j_max_threads(void);

/* Set the thread count (1..S4J_MAX_THREADS); S4J_ERR_ARGUMENT otherwise. */
S4J_API int s4j_set_num_threads(int n);

/* One line on how the load-time ISA and thread count were chosen and why,
 * e.g. "avx2 (the best this CPU has), 2 threads (one per CPU this process
 * may use)"; when a value was ignored, the line starts with what was wrong
 * ("S4J_ISA=avx3 is not scalar, avx2 or avx512; ignored, so: ..."). Never
 * NULL. */
S4J_API const char *s4j_settings(void);

/* S4J_OK, or S4J_ERR_ARGUMENT when S4J_ISA or S4J_NUM_THREADS held a value
 * that was ignored (s4j_settings names it). */
S4J_API int s4j_settings_status(void);

/* ---- cross-entropy options ------------------------------------------------ */

/* Everything that shapes a cross-entropy besides its data, for
 * s4j_softmax_ce, s4j_linear_ce and their CUDA versions; PyTorch's
 * F.cross_entropy arguments plus z-loss, a gradient scale and soft-capping.
 * C callers start from s4j_ce_options_init (PyTorch's defaults) and set
 * fields by name: the struct may grow, and a new field's default keeps the
 * old meaning. The struct is read on the host, by every kernel, CUDA ones
 * included; class_weight points into the memory the kernel computes on
 * (host memory for the CPU kernels, device memory for CUDA).
 *
 * Invalid values (S4J_ERR_ARGUMENT, nothing written): reduction not one of
 * S4J_REDUCE_*, label_smoothing outside [0, 1), z_loss negative, NaN or
 * infinite, grad_scale not finite, softcap negative, NaN or infinite, or
 * softcap > 0 for a kernel without soft-capping (s4j_softmax_ce). */
typedef struct s4j_ce_options {
    const float *class_weight; /* NULL (all ones) or c weights; default NULL */
    int32_t ignore_index;      /* rows with this target count 0; default -100 */
    int32_t reduction;         /* S4J_REDUCE_*; default S4J_REDUCE_MEAN */
    float label_smoothing;     /* eps in [0, 1); default 0 */
    float z_loss;              /* coefficient of lse^2, >= 0; default 0 */
    float grad_scale;          /* the gradient is d(grad_scale * loss); default 1 */
    float softcap;             /* logits become softcap tanh(z / softcap); 0 (default): none */
} s4j_ce_options;

/* Fills *opt with the defaults above (inline: no library call). */
static inline void s4j_ce_options_init(s4j_ce_options *opt) {
    opt->class_weight = 0;
    opt->ignore_index = -100;
    opt->reduction = S4J_REDUCE_MEAN;
    opt->label_smoothing = 0.0f;
    opt->z_loss = 0.0f;
    opt->grad_scale = 1.0f;
    opt->softcap = 0.0f;
}

/* ---- softmax ------------------------------------------------------------ */

/* y[i,:] = softmax(x[i,:]) (log_softmax when `log` is non-zero) for each of
 * the n rows of c float32 values. x and y may be the same buffer (exactly,
 * not partially overlapping). Max-subtracted, so any finite input is safe;
 * -inf entries get probability 0; a row holding NaN becomes all NaN.
 * Errors: S4J_ERR_ARGUMENT if n < 0, c < 1 (when n > 0) or a pointer is
 * NULL while n > 0. */
S4J_API int s4j_softmax(int64_t n, int64_t c, const float *x, float *y, int32_t log);

/* ---- fused softmax cross-entropy ---------------------------------------- */

/* Softmax cross-entropy over n rows of c logits, forward and (when dlogits
 * is not NULL) backward in the same pass over the data. Semantics are those
 * of PyTorch's F.cross_entropy(logits, targets, weight, ignore_index,
 * reduction, label_smoothing) plus an optional z-loss (options in *opt):
 *
 *   lse_i  = log sum_c exp(x_ic)
 *   loss_i = (1-eps) w[y_i] (lse_i - x_i,y_i)
 *          + (eps/c) sum_k w[k] (lse_i - x_ik)
 *          + zc lse_i^2                                (0 if y_i == ignore)
 *
 * with w = opt->class_weight (all ones when NULL), eps = opt->label_smoothing,
 * zc = opt->z_loss. Reduction SUM adds the loss_i; MEAN divides that sum by
 * sum_{i not ignored} w[y_i] (the number of non-ignored rows when
 * unweighted), and is NaN when every row is ignored, as in PyTorch; NONE
 * leaves per-row values in row_loss (required) and stores their sum in
 * *loss.
 *
 * The gradient written to dlogits is d(opt->grad_scale * reduced loss)/dx; for
 * NONE it is d(grad_scale * sum_i loss_i)/dx. Ignored rows get zeros.
 * It is formed in float32 and rounded once to `dtype`.
 *
 * n, c        rows and classes; n >= 0, c >= 1 (c is free when n == 0)
 * dtype       S4J_F32, S4J_BF16 or S4J_F16: element type of logits and
 *             dlogits; all arithmetic is float32 (sums of rows in double)
 * logits      n x c elements of dtype
 * targets     n labels, each in [0, c) or equal to opt->ignore_index
 * opt         the options (s4j_ce_options; softcap must be 0)
 * loss        out, 1 float: the reduced loss (required)
 * row_loss    out, NULL or n floats: loss_i (0 for ignored rows)
 * row_lse     out, NULL or n floats: lse_i (for every row)
 * row_argmax  out, NULL or n int32: first index of the row maximum (the
 *             first NaN if the row holds one) — accuracy for free
 * dlogits     out, NULL or n x c elements of dtype; may be exactly the
 *             logits buffer (in-place gradient)
 * err_row     out, NULL or 1 int64: on S4J_ERR_TARGET the first bad row
 * work, work_bytes  optional scratch (NULL, 0 allowed), 64-byte aligned:
 *             with s4j_softmax_ce_workspace_size(c) bytes, float32 rows up
 *             to 65536 classes are computed with one exp per element and
 *             the gradient is streamed to memory without being read first
 *             (~1/3 less memory traffic); results are the same either way
 *
 * Determinism: the loss is bit-identical for any thread count; computed
 * with and without dlogits it may differ in the last bit (float32 rows up
 * to 65536 classes then sum in another order).
 *
 * Numerics: max-subtracted log-sum-exp, so any finite logits (1e30, -1e30,
 * all below -200, up to +-FLT_MAX) give the right loss and gradient; -inf
 * entries act as masks (probability 0); NaN in a row makes that row's loss,
 * lse and gradient NaN and nothing else; +inf logits give NaN. Per-row
 * scalars (lse, loss, gradient coefficients) are formed in double and each
 * output rounded to float once: +-inf only where the exact value is beyond
 * float range (2 * FLT_MAX - x_y of one row, say), never from an
 * intermediate.
 *
 * Errors (nothing is written): S4J_ERR_ARGUMENT for bad sizes or dtype,
 * invalid options, or required pointers that are NULL;
 * S4J_ERR_TARGET when a target is outside [0, c) and not ignore_index. */
S4J_API int s4j_softmax_ce(int64_t n, int64_t c, int32_t dtype, const void *logits,
                           const int32_t *targets, const s4j_ce_options *opt, float *loss,
                           float *row_loss, float *row_lse, int32_t *row_argmax, void *dlogits,
                           int64_t *err_row, void *work, int64_t work_bytes);

/* Bytes of the optional s4j_softmax_ce workspace for rows of c classes at
 * the current thread count (0 when c gains nothing from it). */
S4J_API int64_t s4j_softmax_ce_workspace_size(int64_t c);

/* ---- fused linear + softmax cross-entropy (large vocabularies) ----------- */

/* loss of softmax(z) against targets with z = cap(X W^T + b), and the
 * gradients dX, dW, db, without ever holding the n x v logits: they are
 * computed tile by tile (row block x class block), reduced with a running
 * max and sum, and recomputed for the gradient. Same loss, options and
 * outputs as s4j_softmax_ce; cap(u) = opt->softcap tanh(u / opt->softcap)
 * when softcap > 0 (logit soft-capping), the identity when 0.
 *
 * x  n x d, w  v x d (the classifier, one row per class), bias  NULL or v,
 * all float32 row-major; targets n int32.
 * block_v     the plan: > 0, tiles of block_v classes (two passes over the
 *             vocabulary, the logits computed twice); < 0, row-chunked with
 *             -block_v rows per chunk (each chunk's rows x v logits held at
 *             once: three GEMMs like materialising; not with softcap); 0,
 *             automatic: row-chunked when a chunk of at least 256 rows fits
 *             min(1/4 of the n x v logits, 64 MiB), else tiles of 1024
 * loss        out, required; row_loss (required for NONE), row_lse: NULL or n
 * dx, dw, db  out, NULL or n x d, v x d, v; each written in full when given
 *             (accumulated in float32 over tiles). None given: forward only.
 * work        s4j_linear_ce_workspace_size(n, d, v, block_v, softcap) bytes,
 *             64-byte aligned: one tile (256 rows x block_v) or one chunk
 *             (rows x v), per-row statistics and the GEMMs' packing area
 *             (tiled: ~2.3 MiB at n=2048, d=1024: 0.9% of the logits at
 *             v=32768; row-chunked: the chunk, at most 64 MiB by default).
 * Errors: as s4j_softmax_ce, plus S4J_ERR_ARGUMENT for a missing or small
 * workspace or block_v < 0 with softcap > 0. */
S4J_API int s4j_linear_ce(int64_t n, int64_t d, int64_t v, const float *x, const float *w,
                          const float *bias, const int32_t *targets, const s4j_ce_options *opt,
                          int64_t block_v, float *loss, float *row_loss, float *row_lse, float *dx,
                          float *dw, float *db, void *work, int64_t work_bytes, int64_t *err_row);

/* Bytes of workspace s4j_linear_ce needs at the current thread count. */
S4J_API int64_t s4j_linear_ce_workspace_size(int64_t n, int64_t d, int64_t v, int64_t block_v,
                                             float softcap);

/* ---- GEMM ---------------------------------------------------------------- */

/* C = alpha op(A) op(B) + beta C in float32, all matrices row-major.
 * op(A) is m x k: A is stored m x k (row stride lda >= k), or k x m
 * (lda >= m) when trans_a != 0. op(B) is k x n: stored k x n (ldb >= n), or
 * n x k (ldb >= k) when trans_b != 0. C is m x n with ldc >= n.
 * When beta == 0, C is only written (NaN in C does not leak). C must not
 * overlap A or B. Any m, n, k >= 0; with k == 0, C = beta C.
 * Packed, cache-blocked (BLIS loop structure) with an AVX2/FMA or scalar
 * micro-kernel, a dedicated path for n <= 16 (the skinny shapes of softmax
 * regression), multi-threaded over blocks of C.
 * work, work_bytes: packing workspace, 64-byte aligned;
 * s4j_sgemm_workspace_size() bytes suffice for any problem at full speed.
 * Smaller problems need less (the packed block shrinks with k and n), and
 * with less than a problem's full need fewer threads are used.
 * Errors: S4J_ERR_ARGUMENT for negative sizes, too-small leading
 * dimensions, NULL pointers (when m, n > 0) or a workspace too small or
 * misaligned even for one thread. */
S4J_API int s4j_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                      float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                      float beta, float *c, int64_t ldc, void *work, int64_t work_bytes);

/* Bytes of workspace s4j_sgemm uses at the current thread count; the same
 * for every problem size (the blocking is fixed). */
S4J_API int64_t s4j_sgemm_workspace_size(void);

/* ---- helpers of the training step ---------------------------------------- */

/* y[i, j] += bias[j] for n rows of c floats. */
S4J_API int s4j_add_bias(int64_t n, int64_t c, const float *bias, float *y);

/* out[j] = alpha sum_i x[i, j] + beta out[j] over n rows of c floats
 * (the bias gradient). beta == 0: out is not read. Sums in double. */
S4J_API int s4j_column_sums(int64_t n, int64_t c, float alpha, const float *x, float beta,
                            float *out);

/* A minibatch of stored features, scaled on the way:
 *   out[i, j] = scale * (src[index[i], j] - shift[j]) * col_scale[j]
 * for `rows` rows of `cols` values; src holds src_rows rows (row stride
 * cols) of src_dtype S4J_U8 (e.g. pixels) or S4J_F32. shift and col_scale
 * are NULL (0 and 1) or cols floats: a standardisation fitted on the
 * training set. S4J_ERR_ARGUMENT (*err_row set, nothing written) when an
 * index is outside [0, src_rows); S4J_ERR_ARGUMENT for another dtype. */
S4J_API int s4j_gather_rows(int64_t rows, int64_t cols, int32_t src_dtype, const void *src,
                            int64_t src_rows, const int32_t *index, float scale, const float *shift,
                            const float *col_scale, float *out, int64_t *err_row);

/* One SGD step over `count` parameters (PyTorch's SGD, no dampening):
 * d = g + weight_decay w; v = momentum v + d (skipped when v == NULL,
 * which requires momentum == 0); w -= lr d (or lr v). */
S4J_API int s4j_sgd_step(int64_t count, float lr, float momentum, float weight_decay, float *w,
                         const float *g, float *v);

/* ---- sparse rows ----------------------------------------------------------- */

/* Sparse times dense, the product of a training step on sparse features:
 *   C[r(i), :] = alpha sum_p values[p] B[col_idx[p], :] + beta C[r(i), :] (+ bias)
 * for each row i of the m x k CSR matrix A, p in [row_ptr[i], row_ptr[i+1]),
 * over n columns; r(i) = i, or c_rows[i] when c_rows is not NULL: a scatter
 * into rows of a larger C (c_row_count rows), e.g. the rows of W that a
 * batch touches, so that dW = X^T G updates only those (with A = X^T of the
 * batch, compacted to its used features, and alpha = -lr: the SGD step).
 *  - row_ptr: m + 1 int64 offsets, row_ptr[0] == 0, non-decreasing;
 *    col_idx: int32, strictly increasing within a row, each in [0, k);
 *    c_rows: strictly increasing, each in [0, c_row_count).
 *  - B is k x n (row stride ldb >= n); C's row stride ldc >= n.
 *  - beta == 0: C is not read. bias: NULL or n floats added to every row.
 * Each row is summed in float, in the order of its entries. An A breaking
 * these rules gives S4J_ERR_ARGUMENT with *err_row = the first bad row
 * (row_ptr, col_idx or c_rows), nothing written. */
S4J_API int s4j_csr_matmul(int64_t m, int64_t n, int64_t k, const int64_t *row_ptr,
                           const int32_t *col_idx, const float *values, float alpha, const float *b,
                           int64_t ldb, const float *bias, float beta, float *c, int64_t ldc,
                           const int32_t *c_rows, int64_t c_row_count, int64_t *err_row);

/* One SGD step of softmax regression on a batch of m CSR rows (the sparse
 * training step), fused into one call, without the batch transposed:
 *   Z = scale X V + bias                      (m x c, into logits)
 *   loss, row_argmax, G = d loss / dZ         s4j_softmax_ce with *opt, G in place of Z
 *   bias -= bias_lr * column sums of G        (bias NULL: none)
 *   V[col_idx[p], :] += alpha values[p] G[i, :]   for every entry p of row i
 * so a step reads and writes only the rows of V the batch uses: O(nnz c)
 * whatever k. X (row_ptr, col_idx, values) follows s4j_csr_matmul's rules
 * with k columns; V is k x c (row stride ldv >= c). With W = scale V (a
 * lazily decayed weight, scale the decay so far), W -= lr X^T G is alpha =
 * -lr / scale', scale' the scale after this step; bias_lr = lr.
 * The update of a column used by several rows is applied row by row (in
 * float, in row order); it is split over threads by slices of c.
 * opt->reduction must be MEAN or SUM; targets as s4j_softmax_ce.
 * Errors: S4J_ERR_ARGUMENT as s4j_csr_matmul (*err_row = the row), or for
 * missing pointers or reduction NONE; S4J_ERR_TARGET (*err_row = the row).
 * On error V and bias are unchanged (logits may have been written). */
S4J_API int s4j_csr_sgd_step(int64_t m, int64_t c, int64_t k, const int64_t *row_ptr,
                             const int32_t *col_idx, const float *values, const int32_t *targets,
                             const s4j_ce_options *opt, float scale, float alpha, float bias_lr,
                             float *v, int64_t ldv, float *bias, float *logits, float *loss,
                             int32_t *row_argmax, int64_t *err_row);

/* ---- CUDA (libsoftmax4j_cuda.so) ----------------------------------------- */
/* A separate library, built where nvcc is found, with the CUDA runtime
 * linked in statically: it needs only the NVIDIA driver, and loads (then
 * reports S4J_ERR_CUDA) without one. Pointers marked "device" are CUDA
 * device memory; `stream` is a cudaStream_t (NULL: the default stream).
 * Launchers return as soon as the work is queued; errors of the launch are
 * reported, errors of the execution surface at the next synchronisation. */

/* Number of CUDA devices in *count; S4J_ERR_CUDA (and *count = 0) when there
 * is no usable driver or device. */
S4J_API int s4j_cuda_device_count(int32_t *count);

/* Text of this thread's last CUDA error, "" when none; never NULL. */
S4J_API const char *s4j_cuda_last_error(void);

S4J_API int s4j_cuda_malloc(void **device_ptr, int64_t bytes);
S4J_API int s4j_cuda_free(void *device_ptr);

/* kind: 0 host to device, 1 device to host, 2 device to device. Synchronous
 * with respect to the host when stream is NULL. */
S4J_API int s4j_cuda_memcpy(void *dst, const void *src, int64_t bytes, int32_t kind, void *stream);
/* A stream ordered with the default stream (blocking: copies on the default
 * stream wait for its work, and it for theirs). */
S4J_API int s4j_cuda_stream_create(void **stream);
S4J_API int s4j_cuda_stream_destroy(void *stream);
S4J_API int s4j_cuda_stream_synchronize(void *stream);

/* CUDA graphs: s4j_cuda_graph_begin starts recording what is queued on
 * `stream` (not the default stream) instead of running it; s4j_cuda_graph_end
 * stops and returns the recording as an executable graph (*graph), which
 * s4j_cuda_graph_launch runs, all of it, with one call, as often as wanted
 * (the arguments as they were when recorded). A failed s4j_cuda_graph_end
 * leaves *graph NULL and the stream usable. Everything but
 * s4j_cuda_softmax_ce with class weights (which reads their sum back) can be
 * recorded. */
S4J_API int s4j_cuda_graph_begin(void *stream);
S4J_API int s4j_cuda_graph_end(void *stream, void **graph);
S4J_API int s4j_cuda_graph_launch(void *graph, void *stream);
S4J_API int s4j_cuda_graph_destroy(void *graph);

/* s4j_softmax_ce on the GPU, same semantics and arguments, all arrays in
 * device memory (loss and opt->class_weight included; *opt itself is host
 * memory, read before the launch). One block per row: rows
 * of up to 8192 elements are read from memory once (kept in shared memory),
 * longer ones twice (an online max/sum pass, then the gradient pass). The
 * reduced loss is summed in double in a fixed order (deterministic).
 * work: device scratch of s4j_cuda_softmax_ce_workspace_size(n) bytes.
 * Targets are not checked here (that needs a host round-trip): validate
 * them once, e.g. when a data set is uploaded; out-of-range targets give
 * NaN losses, never out-of-bounds accesses. */
S4J_API int s4j_cuda_softmax_ce(int64_t n, int64_t c, int32_t dtype, const void *logits,
                                const int32_t *targets, const s4j_ce_options *opt, float *loss,
                                float *row_loss, float *row_lse, int32_t *row_argmax, void *dlogits,
                                void *work, int64_t work_bytes, void *stream);

S4J_API int64_t s4j_cuda_softmax_ce_workspace_size(int64_t n);

/* s4j_softmax on the GPU (x, y device memory; y may be x). */
S4J_API int s4j_cuda_softmax(int64_t n, int64_t c, const float *x, float *y, int32_t log,
                             void *stream);

S4J_API int s4j_cuda_memset(void *device_ptr, int32_t value, int64_t bytes, void *stream);

/* GEMM on the GPU: C = alpha op(A) op(B) + beta C with the arguments and
 * row-major layout of s4j_sgemm (beta == 0: C is only written, NaN in C does
 * not leak; any m, n, k >= 0), A, B and C in device memory.
 * math: S4J_GEMM_FP32  float32 FMA, shared-memory tiles (CPU results to rounding)
 *       S4J_GEMM_TF32  tensor cores, A and B rounded to TF32 (10-bit mantissa),
 *                      float32 accumulation (relative error ~1e-3 of |A||B|)
 * Errors: S4J_ERR_ARGUMENT for bad sizes, leading dimensions, NULL pointers
 * or math; S4J_ERR_CUDA for launch failures. */
#define S4J_GEMM_FP32 0
#define S4J_GEMM_TF32 1
S4J_API int s4j_cuda_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                           float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                           float beta, float *c, int64_t ldc, int32_t math, void *stream);

/* The same with bfloat16 A and B (float32 C and accumulation), on tensor cores. */
S4J_API int s4j_cuda_gemm_bf16(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k,
                               float alpha, const void *a, int64_t lda, const void *b, int64_t ldb,
                               float beta, float *c, int64_t ldc, void *stream);

/* s4j_linear_ce on the GPU: the same loss, options and outputs (loss and
 * opt->class_weight included, all in device memory; *opt is host memory), x and w of `dtype` S4J_F32 or S4J_BF16
 * (the bias, the gradients and everything else float32), the logits never
 * held: tiles of up to 4096 rows x block_v classes (0: 2048), two passes as
 * on the CPU. math: S4J_GEMM_FP32 or S4J_GEMM_TF32 for float32 inputs
 * (ignored for bf16, which runs on bf16 tensor cores with the gradient tile
 * rounded to bf16). Never waits for the GPU. Targets are not checked (as in
 * s4j_cuda_softmax_ce): an out-of-range target gives NaN.
 * work: device memory of s4j_cuda_linear_ce_workspace_size(n, v, block_v,
 * dtype) bytes, 256-byte aligned (cudaMalloc's are): per-row statistics
 * (36 bytes a row) and the tile; 32 MiB at n = 8192 with the defaults. */
S4J_API int s4j_cuda_linear_ce(int64_t n, int64_t d, int64_t v, int32_t dtype, const void *x,
                               const void *w, const float *bias, const int32_t *targets,
                               const s4j_ce_options *opt, int64_t block_v, int32_t math,
                               float *loss, float *row_loss, float *row_lse, float *dx, float *dw,
                               float *db, void *work, int64_t work_bytes, void *stream);

S4J_API int64_t s4j_cuda_linear_ce_workspace_size(int64_t n, int64_t v, int64_t block_v,
                                                  int32_t dtype);

/* The training step's helpers on device memory, contracts of the CPU ones
 * (s4j_add_bias, s4j_column_sums, s4j_sgd_step). Column sums add in a fixed
 * order (deterministic). */
S4J_API int s4j_cuda_add_bias(int64_t n, int64_t c, const float *bias, float *y, void *stream);
S4J_API int s4j_cuda_column_sums(int64_t n, int64_t c, float alpha, const float *x, float beta,
                                 float *out, void *stream);
S4J_API int s4j_cuda_sgd_step(int64_t count, float lr, float momentum, float weight_decay, float *w,
                              const float *g, float *v, void *stream);

/* s4j_gather_rows on the GPU (src, index, shift, col_scale, out in device
 * memory). Indexes are not checked here (that needs a host round-trip; check
 * them where they are made): a row whose index is outside [0, src_rows) is
 * filled with NaN. */
S4J_API int s4j_cuda_gather_rows(int64_t rows, int64_t cols, int32_t src_dtype, const void *src,
                                 int64_t src_rows, const int32_t *index, float scale,
                                 const float *shift, const float *col_scale, float *out,
                                 void *stream);

/* s4j_csr_matmul on the GPU: the same product, scatter and beta/bias rules,
 * every array in device memory (C must not overlap the others). Each element
 * of C is one thread's float sum over its row's entries in order
 * (deterministic). The CSR matrix itself (row_ptr, col_idx, c_rows) is not
 * checked here (that needs a host round-trip; the Java layer checks it
 * first): a matrix breaking the rules of s4j_csr_matmul is undefined
 * behaviour, out-of-bounds accesses included. Sizes and pointers are checked
 * as there (S4J_ERR_ARGUMENT), except that the entry count row_ptr[m] is not
 * read: col_idx, values and b are required whenever m, n, k > 0. */
S4J_API int s4j_cuda_csr_matmul(int64_t m, int64_t n, int64_t k, const int64_t *row_ptr,
                                const int32_t *col_idx, const float *values, float alpha,
                                const float *b, int64_t ldb, const float *bias, float beta,
                                float *c, int64_t ldc, const int32_t *c_rows, int64_t c_row_count,
                                void *stream);

/* s4j_csr_sgd_step on the GPU, every array in device memory (loss included;
 * *opt is host memory, read before the launch): the same step from the same
 * kernels (s4j_cuda_csr_matmul, s4j_cuda_softmax_ce, s4j_cuda_column_sums),
 * the update of V by atomic adds, so a column used by several rows sums their
 * updates in no fixed order (last-bit differences from run to run). Neither
 * the CSR matrix nor the targets are checked here (s4j_cuda_csr_matmul,
 * s4j_cuda_softmax_ce); work: s4j_cuda_softmax_ce_workspace_size(m) bytes. */
S4J_API int s4j_cuda_csr_sgd_step(int64_t m, int64_t c, int64_t k, const int64_t *row_ptr,
                                  const int32_t *col_idx, const float *values,
                                  const int32_t *targets, const s4j_ce_options *opt, float scale,
                                  float alpha, float bias_lr, float *v, int64_t ldv, float *bias,
                                  float *logits, float *loss, int32_t *row_argmax, void *work,
                                  int64_t work_bytes, void *stream);

/* Running statistics of training steps, kept on the device so that they are
 * read once per epoch: *loss_sum += (double)*loss * weight and
 * *correct += #{i < n : row_argmax[i] == targets[i]}. */
S4J_API int s4j_cuda_step_stats(int64_t n, const float *loss, float weight,
                                const int32_t *row_argmax, const int32_t *targets, double *loss_sum,
                                int64_t *correct, void *stream);

#ifdef __cplusplus
}
#endif
#endif /* SOFTMAX4J_H */
