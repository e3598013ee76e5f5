/*
 * glibc_wrap.c — the glibc 2.17 versions for object code we cannot
 * recompile: libcudart_static.a (in libsoftmax4j_cuda.so) calls dlopen,
 * pthread_*, sem_*, shm_* without a version, so the linker would bind them
 * to GLIBC_2.34 (see glibc_compat.h); libstdc++.a (linked into the JNI glue)
 * reads __libc_single_threaded, GLIBC_2.32.
 *
 * Linked with -Wl,--wrap=NAME for each S4J_LIBC_SYM entry
 * (cmake/Softmax4jGlibc.cmake): every unversioned reference to NAME goes to
 * __wrap_NAME, a hidden one-instruction trampoline here that jumps to
 * NAME@<old version>. A tail jump keeps the arguments, the stack and the
 * return value untouched, whatever the function's signature. The versioned
 * reference itself is not wrapped again (--wrap only renames plain NAME).
 * Each trampoline has a section of its own, so that --gc-sections (the JNI
 * glue) drops those nothing calls, with their references to glibc.
 *
 * S4J_GLIBC_WRAP_LIBSTDCXX (the JNI glue) adds what libstdc++.a needs.
 * What else would need a wrapper shows up in native/test/check_glibc.sh.
 */
#include "glibc_compat.h"

#if !defined(__linux__) || !defined(__x86_64__)
#error "glibc_wrap.c: x86-64 Linux only"
#endif

#define S4J_GLIBC_TRAMPOLINE(name, version)                            \
    __asm__(".section .text.__wrap_" #name ",\"ax\",@progbits\n"       \
            ".globl __wrap_" #name "\n"                                \
            ".hidden __wrap_" #name "\n"                               \
            ".type __wrap_" #name ",@function\n"                       \
            "__wrap_" #name ":\n"                                      \
            "\tjmp s4j_glibc_old_" #name "@PLT\n"                      \
            ".size __wrap_" #name ",.-__wrap_" #name "\n"              \
            ".symver s4j_glibc_old_" #name "," #name "@" #version "\n" \
            ".previous\n");
S4J_GLIBC_LIBC(S4J_GLIBC_TRAMPOLINE)

#ifdef S4J_GLIBC_WRAP_LIBSTDCXX
/* libstdc++ (ext/atomicity.h) skips atomic reference counting while this
 * glibc >= 2.32 variable says the process has one thread. Saying "not
 * single-threaded" is always correct: atomics everywhere, as on glibc 2.17.
 * Linked with -Wl,--wrap=__libc_single_threaded. */
#ifdef __cplusplus
extern "C" {
#endif
__attribute__((visibility("hidden"))) char __wrap___libc_single_threaded = 0;
#ifdef __cplusplus
}
#endif
#endif
