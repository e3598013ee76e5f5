/*
 * gemm.c — s4j_sgemm, the portable frame: argument checks, packing, the
 * cache-blocked loops and their split over threads. Only the micro-kernels
 * (gemm_scalar.c, gemm_avx2.c) know the ISA.
 *
 * Structure (BLIS / GotoBLAS): for each NC-wide column block of C and each
 * KC-deep slice of k, op(B)[kc x nc] is packed into NR-wide panels (in L3,
 * shared by all threads); each thread packs an MC x KC block of op(A) into
 * MR-tall panels (in L2) and sweeps the micro-kernel over the MR x NR tiles
 * of that block (the B panel in L1). Partial tiles at the edges go through
 * one helper: the micro-kernel writes a full tile to a buffer, the helper
 * copies the valid part. Packing is zero-padded, so micro-kernels only ever
 * see full tiles.
 *
 * Skinny products (n <= 16, or m <= 16 by computing C^T = op(B)^T op(A)^T)
 * are the shapes of softmax regression (256x784 by 784x10; 784x256 by
 * 256x10) where MRxNR tiles would waste lanes and packing A would cost as
 * much as the product: they go to dedicated kernels that pack only B (tiny)
 * and stream A once.
 *
 * Memory traffic of the blocked path: A is read ceil(n/NC) times, B once, C
 * ceil(k/KC) times; at 2048^3 that is 16 MB of A, 16 MB of B and 128 MB of
 * C traffic against 17 GFLOP: compute-bound.
 */
#include <math.h>

#include "internal.h"

// ---------------------------------------------------------------------------
// blocking: KC x NR (16 KiB) B panels stay in L1 (48 KiB), the MC x KC A block
// (144 KiB) in L2 (1 MiB), the KC x NC B block (3 MiB) in L3.

#define KC 256
#define MC 144 // multiple of every MR (4, 6, 12)
#define NC 3072
#define MAX_MR 12
#define MAX_NR 32
#define ALIGN 64

static int64_t round_up(int64_t x, int64_t to) { return (x + to - 1) / to * to; }

static const int64_t B_BYTES = (int64_t)KC * NC * 4;
static const int64_t A_BYTES = (int64_t)MC * KC * 4;

// Skinny products pack op(B) (n <= 16 columns) in k slices of this length.
#define KSLICE (B_BYTES / 4 / S4J_SKINNY_N)

static int is_skinny(int64_t m, int64_t n) { return n <= S4J_SKINNY_N || m <= S4J_SKINNY_N; }

// Bytes of the B area one problem needs (the packed KC x NC block, smaller
// when k or n is); A areas (A_BYTES per thread) follow it.
static int64_t b_area(int64_t m, int64_t n, int64_t k) {
    if (is_skinny(m, n)) return round_up((k < KSLICE ? k : KSLICE) * S4J_SKINNY_N * 4, ALIGN);
    int64_t kc = k < KC ? k : KC, nc = n < NC ? n : NC;
    return round_up(kc * round_up(nc, MAX_NR) * 4, ALIGN);
}

int64_t s4j_sgemm_workspace_size(void) { return B_BYTES + (int64_t)s4j_num_threads() * A_BYTES; }

int64_t s4j_sgemm_work_bytes(int64_t m, int64_t n, int64_t k, int threads) {
    return b_area(m, n, k) + (is_skinny(m, n) ? 0 : (int64_t)threads * A_BYTES);
}

// Work below this many multiply-adds runs on one thread: waking a second
// costs more than it saves.
#define MIN_PARALLEL_FMAS (1 << 18)

// ---------------------------------------------------------------------------
// C = beta C (k == 0 or alpha == 0)

static void scale_c(int64_t m, int64_t n, float beta, float *c, int64_t ldc) {
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++)
            c[i * ldc + j] = beta == 0.0f ? 0.0f : beta * c[i * ldc + j];
}

// ---------------------------------------------------------------------------
// skinny path: n <= S4J_SKINNY_N

typedef struct {
    const s4j_kernel_table *kt;
    int trans_a;
    int64_t m, n, k, rows_per_task;
    float alpha, beta;
    const float *a;
    int64_t lda;
    const float *bpack;
    float *c;
    int64_t rsc, csc;
} skinny_job;

// Columns of C in groups of at most max, as even as possible (10 by 5: 5 + 5).
static int64_t group_width(int64_t n, int64_t max) {
    const int64_t groups = (n + max - 1) / max;
    return (n + groups - 1) / groups;
}

// m rows of C through the ISA's register tiles (internal.h's contracts).
static void skinny_rows(const skinny_job *j, int64_t m, const float *a, float *c) {
    const s4j_kernel_table *kt = j->kt;
    if (j->trans_a) {
        const int64_t tr = kt->skinny_tn_rows, per = group_width(j->n, kt->skinny_tn_cols);
        for (int64_t i = 0; i < m; i += tr)
            for (int64_t j0 = 0; j0 < j->n; j0 += per)
                kt->sgemm_skinny_tn_tile(m - i < tr ? m - i : tr,
                                         (int)(j->n - j0 < per ? j->n - j0 : per), j->k, j->alpha,
                                         a + i, j->lda, j->bpack + j0, j->n, j->beta,
                                         c + i * j->rsc + j0 * j->csc, j->rsc, j->csc);
    } else {
        const int64_t tr = kt->skinny_nt_rows, per = group_width(j->n, kt->skinny_nt_cols);
        for (int64_t i = 0; i < m; i += tr)
            for (int64_t j0 = 0; j0 < j->n; j0 += per)
                kt->sgemm_skinny_nt_tile(m - i < tr ? m - i : tr,
                                         (int)(j->n - j0 < per ? j->n - j0 : per), j->k, j->alpha,
                                         a + i * j->lda, j->lda, j->bpack + j0 * j->k, j->beta,
                                         c + i * j->rsc + j0 * j->csc, j->rsc, j->csc);
    }
}

static void skinny_task(void *arg, int64_t task, int slot) {
    const skinny_job *j = arg;
    int64_t r0 = task * j->rows_per_task;
    int64_t rows = j->m - r0 < j->rows_per_task ? j->m - r0 : j->rows_per_task;
    skinny_rows(j, rows, j->trans_a ? j->a + r0 : j->a + r0 * j->lda, j->c + r0 * j->rsc);
}

// C (addressed by rsc, csc) = alpha op(A) op(B) + beta C with n <= 16.
static void skinny(const s4j_kernel_table *kt, int ta, int tb, int64_t m, int64_t n, int64_t k,
                   float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float beta, float *c, int64_t rsc, int64_t csc, float *work, int threads) {
    // k in slices that fit the workspace's B area (n x kslice floats)
    const int64_t kslice = KSLICE;
    for (int64_t p0 = 0; p0 < k; p0 += kslice) {
        int64_t kk = k - p0 < kslice ? k - p0 : kslice;
        // nt wants op(B)^T as n x kk rows; tn wants op(B) as kk x n rows.
        for (int64_t p = 0; p < kk; p++)
            for (int64_t jj = 0; jj < n; jj++) {
                float v = tb ? b[jj * ldb + p0 + p] : b[(p0 + p) * ldb + jj];
                if (ta)
                    work[p * n + jj] = v;
                else
                    work[jj * kk + p] = v;
            }
        skinny_job job = {
            kt,  ta,   m, n,   kk, 0, alpha, p0 == 0 ? beta : 1.0f, ta ? a + p0 * lda : a + p0,
            lda, work, c, rsc, csc};
        int tasks = m * n * kk >= MIN_PARALLEL_FMAS ? 4 * threads : 1;
        job.rows_per_task = round_up((m + tasks - 1) / tasks, 32);
        s4j_parallel_for((m + job.rows_per_task - 1) / job.rows_per_task, threads, skinny_task,
                         &job);
    }
}

// ---------------------------------------------------------------------------
// blocked path

typedef struct {
    const s4j_kernel_table *kt;
    int ta, tb;
    int64_t m, n, k;
    float alpha, beta;
    const float *a;
    int64_t lda;
    const float *b;
    int64_t ldb;
    float *c;
    int64_t ldc;
    float *bpack; // up to KC x NC
    char *apack;  // one MC x KC block per slot
    // the current (jc, pc) block
    int64_t jc, nc, pc, kc, mc, npanels_per_task, jgroups;
    float beta_now;
} blocked_job;

// op(B)[pc:pc+kc, jc + panel*NR : +NR] into NR-wide, zero-padded panels.
static void pack_b_task(void *arg, int64_t task, int slot) {
    const blocked_job *j = arg;
    const int64_t nr = j->kt->gemm_nr;
    int64_t q0 = task * j->npanels_per_task, npan = (j->nc + nr - 1) / nr;
    int64_t q1 = q0 + j->npanels_per_task < npan ? q0 + j->npanels_per_task : npan;
    for (int64_t q = q0; q < q1; q++) {
        float *dst = j->bpack + q * nr * j->kc;
        int64_t col = j->jc + q * nr, w = j->n - col < nr ? j->n - col : nr;
        if (!j->tb) {
            for (int64_t p = 0; p < j->kc; p++) {
                const float *src = j->b + (j->pc + p) * j->ldb + col;
                for (int64_t jj = 0; jj < nr; jj++) dst[p * nr + jj] = jj < w ? src[jj] : 0.0f;
            }
        } else {
            for (int64_t jj = 0; jj < nr; jj++) {
                const float *src = j->b + (col + jj) * j->ldb + j->pc;
                for (int64_t p = 0; p < j->kc; p++) dst[p * nr + jj] = jj < w ? src[p] : 0.0f;
            }
        }
    }
}

// op(A)[ic:ic+mc, pc:pc+kc] into MR-tall, zero-padded panels.
static void pack_a(const blocked_job *j, int64_t ic, int64_t mc, float *dst) {
    const int64_t mr = j->kt->gemm_mr;
    for (int64_t r = 0; r < mc; r += mr, dst += mr * j->kc) {
        int64_t h = mc - r < mr ? mc - r : mr;
        if (!j->ta) {
            for (int64_t ii = 0; ii < mr; ii++) {
                const float *src = j->a + (ic + r + ii) * j->lda + j->pc;
                for (int64_t p = 0; p < j->kc; p++) dst[p * mr + ii] = ii < h ? src[p] : 0.0f;
            }
        } else {
            for (int64_t p = 0; p < j->kc; p++) {
                const float *src = j->a + (j->pc + p) * j->lda + ic + r;
                for (int64_t ii = 0; ii < mr; ii++) dst[p * mr + ii] = ii < h ? src[ii] : 0.0f;
            }
        }
    }
}

// One task: an MC block of rows (packed here) times one group of B panels.
static void macro_task(void *arg, int64_t task, int slot) {
    const blocked_job *j = arg;
    const s4j_kernel_table *kt = j->kt;
    const int64_t mr = kt->gemm_mr, nr = kt->gemm_nr;
    int64_t ib = task / j->jgroups, jg = task % j->jgroups;
    int64_t ic = ib * j->mc, mc = j->m - ic < j->mc ? j->m - ic : j->mc;
    float *apack = (float *)(j->apack + (int64_t)slot * A_BYTES);
    pack_a(j, ic, mc, apack);

    int64_t npan = (j->nc + nr - 1) / nr;
    int64_t per = (npan + j->jgroups - 1) / j->jgroups;
    int64_t q0 = jg * per, q1 = q0 + per < npan ? q0 + per : npan;
    float tile[MAX_MR * MAX_NR] __attribute__((aligned(64)));
    for (int64_t q = q0; q < q1; q++) {
        const float *bp = j->bpack + q * nr * j->kc;
        int64_t col = j->jc + q * nr, w = j->n - col < nr ? j->n - col : nr;
        for (int64_t r = 0; r < mc; r += mr) {
            const float *ap = apack + r * j->kc;
            float *ct = j->c + (ic + r) * j->ldc + col;
            int64_t h = mc - r < mr ? mc - r : mr;
            if (h == mr && w == nr) {
                kt->sgemm_ukr(j->kc, ap, bp, ct, j->ldc, j->alpha, j->beta_now);
            } else {
                kt->sgemm_ukr(j->kc, ap, bp, tile, nr, 1.0f, 0.0f);
                s4j_tile_update(h, w, tile, nr, j->alpha, j->beta_now, ct, j->ldc, 1);
            }
        }
    }
}

static void blocked(const s4j_kernel_table *kt, int ta, int tb, int64_t m, int64_t n, int64_t k,
                    float alpha, const float *a, int64_t lda, const float *b, int64_t ldb,
                    float beta, float *c, int64_t ldc, char *work, int threads) {
    blocked_job j = {.kt = kt,
                     .ta = ta,
                     .tb = tb,
                     .m = m,
                     .n = n,
                     .k = k,
                     .alpha = alpha,
                     .beta = beta,
                     .a = a,
                     .lda = lda,
                     .b = b,
                     .ldb = ldb,
                     .c = c,
                     .ldc = ldc,
                     .bpack = (float *)work,
                     .apack = work + b_area(m, n, k)};
    const int64_t mr = kt->gemm_mr, nr = kt->gemm_nr;
    if (m * n * k < MIN_PARALLEL_FMAS) threads = 1;
    // Row blocks: as many as needed for MC, rounded up to a multiple of the
    // threads so that they come out even; mc shrinks accordingly.
    int64_t nblocks = (m + MC - 1) / MC;
    nblocks = round_up(nblocks, threads);
    j.mc = round_up((m + nblocks - 1) / nblocks, mr);
    nblocks = (m + j.mc - 1) / j.mc;
    // Split the B panels too, so that there are ~8 tasks per thread: claimed
    // dynamically, they even out unequal row blocks and a thread the OS
    // delays. Each task packs its A block again, which costs ~1/nr of its
    // multiply-adds per panel group... far less than the idle time it saves.
    int64_t npan_max = (n < NC ? n + nr - 1 : NC) / nr;
    j.jgroups = threads == 1 ? 1 : (8 * threads + nblocks - 1) / nblocks;
    if (j.jgroups > npan_max / 4) j.jgroups = npan_max / 4 > 1 ? npan_max / 4 : 1;

    for (j.jc = 0; j.jc < n; j.jc += NC) {
        j.nc = n - j.jc < NC ? n - j.jc : NC;
        int64_t npan = (j.nc + nr - 1) / nr;
        for (j.pc = 0; j.pc < k; j.pc += KC) {
            j.kc = k - j.pc < KC ? k - j.pc : KC;
            j.beta_now = j.pc == 0 ? beta : 1.0f;
            j.npanels_per_task = (npan + 2 * threads - 1) / (2 * threads);
            s4j_parallel_for((npan + j.npanels_per_task - 1) / j.npanels_per_task, threads,
                             pack_b_task, &j);
            s4j_parallel_for(nblocks * j.jgroups, threads, macro_task, &j);
        }
    }
}

// ---------------------------------------------------------------------------
// entry point

int s4j_sgemm(int32_t trans_a, int32_t trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c,
              int64_t ldc, void *work, int64_t work_bytes) {
    return s4j_sgemm_on(s4j_active_kernels(), s4j_num_threads(), trans_a, trans_b, m, n, k, alpha,
                        a, lda, b, ldb, beta, c, ldc, work, work_bytes);
}

int s4j_sgemm_on(const s4j_kernel_table *kt, int threads, int32_t trans_a, int32_t trans_b,
                 int64_t m, int64_t n, int64_t k, float alpha, const float *a, int64_t lda,
                 const float *b, int64_t ldb, float beta, float *c, int64_t ldc, void *work,
                 int64_t work_bytes) {
    const int ta = trans_a != 0, tb = trans_b != 0;
    if (m < 0 || n < 0 || k < 0) return S4J_ERR_ARGUMENT;
    if (lda < (ta ? (m > 1 ? m : 1) : (k > 1 ? k : 1)) ||
        ldb < (tb ? (k > 1 ? k : 1) : (n > 1 ? n : 1)) || ldc < (n > 1 ? n : 1))
        return S4J_ERR_ARGUMENT;
    if (m == 0 || n == 0) return S4J_OK;
    if (!c || (k > 0 && (!a || !b))) return S4J_ERR_ARGUMENT;
    if (k == 0 || alpha == 0.0f) {
        scale_c(m, n, beta, c, ldc);
        return S4J_OK;
    }
    // Threads: as many as the workspace has A areas for (skinny: no A areas).
    int64_t b_need = b_area(m, n, k);
    int64_t slots = work_bytes < b_need ? 0
                    : is_skinny(m, n)   ? threads
                                        : (work_bytes - b_need) / A_BYTES;
    if (!work || (uintptr_t)work % ALIGN != 0 || slots < 1) return S4J_ERR_ARGUMENT;
    if (threads > slots) threads = (int)slots;

    if (n <= S4J_SKINNY_N) {
        skinny(kt, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 1, work, threads);
    } else if (m <= S4J_SKINNY_N) {
        // C^T = op(B)^T op(A)^T: op(B)^T is B with the opposite transpose flag.
        skinny(kt, !tb, !ta, n, m, k, alpha, b, ldb, a, lda, beta, c, 1, ldc, work, threads);
    } else {
        blocked(kt, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, work, threads);
    }
    return S4J_OK;
}
