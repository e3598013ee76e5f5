/*
 * glibc_compat.h — keeps the shipped libraries loadable on glibc 2.17
 * (RHEL/CentOS 7, Amazon Linux 2; and so RHEL 8, Ubuntu 20.04) although they
 * are built on a newer glibc (Debian 12: 2.36).
 *
 * A reference to a glibc function is bound, at link time, to that function's
 * newest ("default") version in the build machine's glibc. For the functions
 * below that version is newer than 2.17, so an old dynamic loader refuses the
 * library ("version `GLIBC_2.34' not found"). Each entry names the version
 * that 2.17 already has; the new glibc still exports it (as a compatibility
 * symbol), so the library runs the same everywhere.
 *
 * Used two ways (cmake/Softmax4jGlibc.cmake):
 *  - force-included (-include, nvcc --pre-include) into every C, C++ and CUDA
 *    translation unit of the shipped libraries: .symver rebinds this file's
 *    references (a .symver of a function the file never calls emits nothing);
 *  - glibc_wrap.c turns the S4J_GLIBC_LIBC list into -Wl,--wrap trampolines
 *    for object code we cannot recompile (libcudart_static.a).
 * native/test/check_glibc.sh, run by `mvn verify`, checks the result.
 *
 * Behaviour does not change. glibc 2.34 merged libpthread, libdl and librt
 * into libc and gave their functions a GLIBC_2.34 default version; the old
 * versions are aliases of the same code. libm's GLIBC_2.27 (float) and 2.29
 * (double) exp/log/pow dropped the SVID error wrapper; the old versions are
 * that wrapper around the same code, so only errno handling differs (the
 * kernels never read errno). On glibc 2.17 itself they are its own
 * functions, the pthread/dl/rt ones in libpthread.so.0, libdl.so.2 and
 * librt.so.1: the libraries keep those in NEEDED (s4j_glibc_needed, CMake).
 *
 * A newer build machine may need more (glibc 2.38 headers turn strtol into
 * __isoc23_strtol, for one): native/test/check_glibc.sh names
 * each symbol that is over the floor.
 *
 * Entries: (name, the version glibc 2.17 has), one per line: the CMake
 * module reads the S4J_LIBC_SYM lines for its --wrap list.
 */
#ifndef S4J_GLIBC_COMPAT_H
#define S4J_GLIBC_COMPAT_H

/* One entry per line (the CMake module reads them), so no formatter here. */
/* clang-format off */
/* libm: new default versions in glibc 2.27 (float) and 2.29 (double) */
#define S4J_GLIBC_LIBM(S4J_LIBM_SYM) \
    S4J_LIBM_SYM(expf, GLIBC_2.2.5) \
    S4J_LIBM_SYM(logf, GLIBC_2.2.5) \
    S4J_LIBM_SYM(powf, GLIBC_2.2.5) \
    S4J_LIBM_SYM(exp2f, GLIBC_2.2.5) \
    S4J_LIBM_SYM(log2f, GLIBC_2.2.5) \
    S4J_LIBM_SYM(exp, GLIBC_2.2.5) \
    S4J_LIBM_SYM(log, GLIBC_2.2.5) \
    S4J_LIBM_SYM(pow, GLIBC_2.2.5) \
    S4J_LIBM_SYM(exp2, GLIBC_2.2.5) \
    S4J_LIBM_SYM(log2, GLIBC_2.2.5)

/* libdl, libpthread, librt: moved into libc with default version GLIBC_2.34.
 * This list is what our code, JavaCPP's glue and libcudart_static.a call
 * (objdump -T before the fix); a function missing here is caught by the check.
 * Data symbols cannot be rebound this way: glibc_wrap.c has the one we meet. */
#define S4J_GLIBC_LIBC(S4J_LIBC_SYM) \
    S4J_LIBC_SYM(dlopen, GLIBC_2.2.5) \
    S4J_LIBC_SYM(dlclose, GLIBC_2.2.5) \
    S4J_LIBC_SYM(dlerror, GLIBC_2.2.5) \
    S4J_LIBC_SYM(dlsym, GLIBC_2.2.5) \
    S4J_LIBC_SYM(dlvsym, GLIBC_2.2.5) \
    S4J_LIBC_SYM(dlmopen, GLIBC_2.3.4) \
    S4J_LIBC_SYM(pthread_create, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_detach, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_join, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_kill, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_once, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_key_create, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_key_delete, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_getspecific, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_setspecific, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_mutex_trylock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_mutexattr_init, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_mutexattr_destroy, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_mutexattr_settype, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_mutexattr_setpshared, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_condattr_setpshared, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_init, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_destroy, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_rdlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_wrlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_tryrdlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_trywrlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_timedrdlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_timedwrlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlock_unlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlockattr_init, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlockattr_destroy, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_rwlockattr_setpshared, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_spin_init, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_spin_destroy, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_spin_lock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_spin_trylock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(pthread_spin_unlock, GLIBC_2.2.5) \
    S4J_LIBC_SYM(sem_init, GLIBC_2.2.5) \
    S4J_LIBC_SYM(sem_destroy, GLIBC_2.2.5) \
    S4J_LIBC_SYM(sem_post, GLIBC_2.2.5) \
    S4J_LIBC_SYM(sem_wait, GLIBC_2.2.5) \
    S4J_LIBC_SYM(sem_trywait, GLIBC_2.2.5) \
    S4J_LIBC_SYM(sem_timedwait, GLIBC_2.2.5) \
    S4J_LIBC_SYM(shm_open, GLIBC_2.2.5) \
    S4J_LIBC_SYM(shm_unlink, GLIBC_2.2.5)
/* clang-format on */

/* Host code of x86-64 Linux only (nvcc also reads this file for device code). */
#if defined(__linux__) && defined(__x86_64__) && !defined(__CUDA_ARCH__)
#define S4J_GLIBC_SYMVER(name, version) __asm__(".symver " #name "," #name "@" #version);
S4J_GLIBC_LIBM(S4J_GLIBC_SYMVER)
S4J_GLIBC_LIBC(S4J_GLIBC_SYMVER)
#undef S4J_GLIBC_SYMVER
#endif

#endif
