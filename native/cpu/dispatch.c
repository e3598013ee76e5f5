/*
 * dispatch.c — run-time choice of the instruction set and the thread count:
 * the library's only global state. The scalar table is the default; the
 * AVX2 or AVX-512 one replaces it after a CPUID check at load time
 * (BLIS-style), and S4J_ISA / S4J_NUM_THREADS in the environment override
 * both choices (S4J_GEMM_TILE the AVX-512 GEMM tile, for measuring).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

// The scalar table is complete; the AVX2 one overrides every entry.
static const s4j_kernel_table s4j_kernels_scalar = {
    .row_stats = s4j_row_stats_scalar,
    .row_finish = s4j_row_finish_scalar,
    .row_log_softmax = s4j_row_log_softmax_scalar,
    .row_find = s4j_row_find_scalar,
    .row_softcap_f32 = s4j_row_softcap_f32_scalar,
    .gemm_mr = 4,
    .gemm_nr = 8,
    .sgemm_ukr = s4j_sgemm_ukr_scalar_4x8,
    .skinny_nt_rows = 1,
    .skinny_nt_cols = 1,
    .sgemm_skinny_nt_tile = s4j_sgemm_skinny_nt_tile_scalar,
    .skinny_tn_rows = 8,
    .skinny_tn_cols = S4J_SKINNY_N,
    .sgemm_skinny_tn_tile = s4j_sgemm_skinny_tn_tile_scalar,
    .csr_row = s4j_csr_row_scalar,
};

static const s4j_kernel_table s4j_kernels_avx2 = {
    .rows_small = s4j_rows_small_avx2,
    .row_max_f32 = s4j_row_max_f32_avx2,
    .row_exp_f32 = s4j_row_exp_f32_avx2,
    .row_scale_f32 = s4j_row_scale_f32_avx2,
    .row_stats = s4j_row_stats_avx2,
    .row_finish = s4j_row_finish_avx2,
    .row_log_softmax = s4j_row_log_softmax_avx2,
    .row_find = s4j_row_find_avx2,
    .row_softcap_f32 = s4j_row_softcap_f32_avx2,
    .gemm_mr = 6,
    .gemm_nr = 16,
    .sgemm_ukr = s4j_sgemm_ukr_avx2_6x16,
    .skinny_nt_rows = 2, // 2 x 5 = 10 accumulators: the trainer's 10 classes exactly
    .skinny_nt_cols = 5,
    .sgemm_skinny_nt_tile = s4j_sgemm_skinny_nt_tile_avx2,
    .skinny_tn_rows = 16,
    .skinny_tn_cols = 6,
    .sgemm_skinny_tn_tile = s4j_sgemm_skinny_tn_tile_avx2,
    .csr_row = s4j_csr_row_avx2,
};

// AVX-512: the AVX2 table with the GEMM tiles and the cached-row softmax trio
// overridden (filled by avx512_table at load time, so that it cannot drift
// from AVX2's). The blocked GEMM keeps AVX2's 6x16 tile where 512-bit FMAs
// run as two 256-bit halves (Zen 4): there the 12x32 tile reached 0.68 of
// the FMA peak and 6x16 0.89 at 2048^3 (NOTES.md, SGEMM on Zen 4).
static s4j_kernel_table s4j_kernels_avx512;

static void avx512_table(int tile_12x32) {
    s4j_kernel_table t = s4j_kernels_avx2;
    t.row_max_f32 = s4j_row_max_f32_avx512;
    t.row_exp_f32 = s4j_row_exp_f32_avx512;
    t.row_scale_f32 = s4j_row_scale_f32_avx512;
    if (tile_12x32) {
        t.gemm_mr = 12;
        t.gemm_nr = 32;
        t.sgemm_ukr = s4j_sgemm_ukr_avx512_12x32;
    }
    t.skinny_nt_rows = 4;
    t.sgemm_skinny_nt_tile = s4j_sgemm_skinny_nt_tile_avx512;
    t.skinny_tn_rows = 32;
    t.skinny_tn_cols = 10; // one pass over A for 10 classes
    t.sgemm_skinny_tn_tile = s4j_sgemm_skinny_tn_tile_avx512;
    t.csr_row = s4j_csr_row_avx512;
    s4j_kernels_avx512 = t;
}

static _Atomic(const s4j_kernel_table *) active = &s4j_kernels_scalar;
static _Atomic int active_isa = S4J_ISA_SCALAR;
static _Atomic int num_threads = 1;

// ---------------------------------------------------------------------------
// CPU features

static int cpu_has_avx2(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned fma = 1u << 12, osxsave = 1u << 27, avx = 1u << 28, f16c = 1u << 29;
    if ((c & (fma | osxsave | avx | f16c)) != (fma | osxsave | avx | f16c)) return 0;
    // The OS must save the YMM state (XCR0 bits 1 and 2).
    unsigned lo, hi;
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    if ((lo & 6u) != 6u) return 0;
    if (__get_cpuid_max(0, 0) < 7) return 0;
    __cpuid_count(7, 0, a, b, c, d);
    return (b >> 5) & 1u; // AVX2
}

static int cpu_has_avx512(void) {
    if (!cpu_has_avx2()) return 0;
    unsigned a, b, c, d, lo, hi;
    __cpuid_count(7, 0, a, b, c, d);
    if (!((b >> 16) & 1u)) return 0; // AVX512F
    // The OS must save opmask and both halves of the ZMM registers (XCR0 5-7).
    __asm__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (lo & 0xe6u) == 0xe6u;
}

// AMD family 19h with AVX-512 is Zen 4, whose FPU is 256 bits wide (Zen 3
// has no AVX-512; Zen 5 is family 1Ah and full width).
static int cpu_splits_512bit_fma(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    const int amd = b == 0x68747541u && d == 0x69746e65u && c == 0x444d4163u; // "AuthenticAMD"
    if (!amd || !__get_cpuid(1, &a, &b, &c, &d)) return 0;
    const unsigned family = ((a >> 8) & 0xfu) + ((a >> 20) & 0xffu);
    return family == 0x19 && cpu_has_avx512();
}

static const s4j_kernel_table *table_of(int isa) {
    switch (isa) {
    case S4J_ISA_AVX512:
        return &s4j_kernels_avx512;
    case S4J_ISA_AVX2:
        return &s4j_kernels_avx2;
    default:
        return &s4j_kernels_scalar;
    }
}

int s4j_isa_supported(int isa) {
    switch (isa) {
    case S4J_ISA_SCALAR:
        return 1;
    case S4J_ISA_AVX2:
        return cpu_has_avx2();
    case S4J_ISA_AVX512:
        return cpu_has_avx512();
    default:
        return 0;
    }
}

int s4j_set_isa(int isa) {
    if (isa < S4J_ISA_SCALAR || isa > S4J_ISA_AVX512) return S4J_ERR_ARGUMENT;
    if (!s4j_isa_supported(isa)) return S4J_ERR_UNSUPPORTED;
    atomic_store(&active, table_of(isa));
    atomic_store(&active_isa, isa);
    return S4J_OK;
}

int s4j_isa(void) { return atomic_load(&active_isa); }

const s4j_kernel_table *s4j_active_kernels(void) {
    return atomic_load_explicit(&active, memory_order_acquire);
}

// ---------------------------------------------------------------------------
// Threads

int s4j_num_threads(void) { return atomic_load(&num_threads); }

int s4j_max_threads(void) { return S4J_MAX_THREADS; }

int s4j_set_num_threads(int n) {
    if (n < 1 || n > S4J_MAX_THREADS) return S4J_ERR_ARGUMENT;
    atomic_store(&num_threads, n);
    return S4J_OK;
}

const char *s4j_version(void) { return S4J_VERSION; }

// ---------------------------------------------------------------------------
// Settings: parsed here only, for the environment and (through
// s4j_isa_parse) for Java's system properties alike.

static const char *const isa_names[] = {"scalar", "avx2", "avx512"};

int s4j_isa_parse(const char *name) {
    if (!name) return -1;
    for (int i = 0; i < 3; i++)
        if (strcmp(name, isa_names[i]) == 0) return i;
    return -1;
}

static char settings_line[400];
static int settings_status = S4J_OK;

const char *s4j_settings(void) { return settings_line; }

int s4j_settings_status(void) { return settings_status; }

// A whole number in [1, S4J_MAX_THREADS], or 0.
static int parse_threads(const char *s) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end != '\0' || v < 1 || v > S4J_MAX_THREADS) return 0;
    return (int)v;
}

// ---------------------------------------------------------------------------
// Load-time choice: the best ISA and every CPU this process may use, unless
// S4J_ISA / S4J_NUM_THREADS say otherwise. A value that cannot be honoured
// is never silent: it falls back (a library must not abort its host
// process), and s4j_settings / s4j_settings_status say so.

__attribute__((constructor)) static void s4j_init(void) {
    cpu_set_t set;
    int cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    if (cpus < 1) cpus = 1;
    if (cpus > S4J_MAX_THREADS) cpus = S4J_MAX_THREADS;
    char errors[240] = "";
    const char *threads_why = "one per CPU this process may use",
               *isa_why = "the best this CPU has";

    const char *env = getenv("S4J_NUM_THREADS");
    int n = env ? parse_threads(env) : 0;
    if (n > 0) {
        threads_why = "S4J_NUM_THREADS";
    } else {
        n = cpus;
        if (env)
            snprintf(errors, sizeof errors,
                     "S4J_NUM_THREADS=%.24s is not a whole number in [1, %d]", env,
                     S4J_MAX_THREADS);
    }
    s4j_set_num_threads(n);

    int best = cpu_has_avx512() ? S4J_ISA_AVX512 : cpu_has_avx2() ? S4J_ISA_AVX2 : S4J_ISA_SCALAR;
    int isa = best;
    env = getenv("S4J_ISA");
    int want = env ? s4j_isa_parse(env) : -1;
    const char *isa_error = !env                       ? NULL
                            : want < 0                 ? "is not scalar, avx2 or avx512"
                            : !s4j_isa_supported(want) ? "names a level this CPU cannot run"
                                                       : NULL;
    if (env && !isa_error) {
        isa = want;
        isa_why = "S4J_ISA";
    }
    if (isa_error) {
        size_t used = strlen(errors);
        snprintf(errors + used, sizeof errors - used, "%sS4J_ISA=%.24s %s", used ? "; " : "", env,
                 isa_error);
    }
    // S4J_GEMM_TILE=12x32|6x16: the AVX-512 level's blocked GEMM tile (to
    // measure one against the other); by default chosen per CPU as above
    const int split = cpu_splits_512bit_fma();
    int tile_12x32 = !split;
    const char *tile_why = split ? "6x16: 512-bit FMAs run on 256-bit units here" : "12x32";
    env = getenv("S4J_GEMM_TILE");
    if (env && (strcmp(env, "12x32") == 0 || strcmp(env, "6x16") == 0)) {
        tile_12x32 = env[0] == '1';
        tile_why = tile_12x32 ? "12x32 (S4J_GEMM_TILE)" : "6x16 (S4J_GEMM_TILE)";
    } else if (env) {
        size_t used = strlen(errors);
        snprintf(errors + used, sizeof errors - used, "%sS4J_GEMM_TILE=%.24s is not 12x32 or 6x16",
                 used ? "; " : "", env);
    }
    avx512_table(tile_12x32);
    s4j_set_isa(isa);
    settings_status = errors[0] ? S4J_ERR_ARGUMENT : S4J_OK;
    snprintf(settings_line, sizeof settings_line, "%s%s%s (%s%s%s), %d threads (%s)", errors,
             errors[0] ? "; ignored, so: " : "", isa_names[isa], isa_why,
             isa == S4J_ISA_AVX512 ? "; GEMM tile " : "", isa == S4J_ISA_AVX512 ? tile_why : "", n,
             threads_why);
}
