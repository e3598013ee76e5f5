/*
 * threads.c — a small persistent thread pool for s4j_parallel_for.
 *
 * Why not OpenMP: libgomp would be one more shared library the jar must
 * ship, and its teams multiply when many Java threads call at once. Here
 * one job runs at a time; a second caller arriving meanwhile simply runs
 * its job alone (it is already one of several parallel callers).
 *
 * Workers are started on first use and never stopped. After a job they
 * spin for a short while before sleeping, because the trainer issues
 * thousands of back-to-back calls of ~50 us each and a condition-variable
 * wake-up costs tens of microseconds.
 *
 * Tasks are claimed from one 64-bit word holding (generation << 32 | next
 * task), so a worker that wakes late for an old job can never claim a task
 * of a newer one.
 */
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>

#include "internal.h"

#define MAX_WORKERS 1023
#define SPIN_ROUNDS 20000 // ~50-100 us of pause instructions

typedef struct {
    pthread_mutex_t submit; // held by the caller running the current job
    pthread_mutex_t mu;     // guards the job description and sleeping
    pthread_cond_t wake;
    int nworkers; // started so far
    int sleepers; // workers waiting on `wake`
    // the current job, written under mu
    s4j_task_fn fn;
    void *ctx;
    int64_t ntasks;
    int max_workers; // workers with index >= this sit the job out
    _Atomic uint32_t generation;
    _Atomic uint64_t claim; // generation << 32 | next task
    _Atomic int64_t done;
} pool_t;

static pool_t pool = {
    .submit = PTHREAD_MUTEX_INITIALIZER,
    .mu = PTHREAD_MUTEX_INITIALIZER,
    .wake = PTHREAD_COND_INITIALIZER,
};

// Claims and runs tasks of job `gen` until none are left.
static void run_tasks(uint32_t gen, s4j_task_fn fn, void *ctx, int64_t ntasks, int slot) {
    for (;;) {
        uint64_t c = atomic_load_explicit(&pool.claim, memory_order_acquire);
        for (;;) {
            if ((uint32_t)(c >> 32) != gen || (int64_t)(c & 0xffffffffu) >= ntasks) return;
            if (atomic_compare_exchange_weak_explicit(&pool.claim, &c, c + 1, memory_order_acq_rel,
                                                      memory_order_acquire))
                break;
        }
        fn(ctx, (int64_t)(c & 0xffffffffu), slot);
        atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
    }
}

static void *worker_main(void *arg) {
    const int index = (int)(intptr_t)arg;
    uint32_t seen = 0;
    for (;;) {
        // Spin briefly, then sleep until the generation moves.
        for (int i = 0; i < SPIN_ROUNDS &&
                        atomic_load_explicit(&pool.generation, memory_order_acquire) == seen;
             i++)
            _mm_pause();
        pthread_mutex_lock(&pool.mu);
        while (atomic_load(&pool.generation) == seen) {
            pool.sleepers++;
            pthread_cond_wait(&pool.wake, &pool.mu);
            pool.sleepers--;
        }
        seen = atomic_load(&pool.generation);
        s4j_task_fn fn = pool.fn;
        void *ctx = pool.ctx;
        int64_t ntasks = pool.ntasks;
        int take_part = index < pool.max_workers;
        pthread_mutex_unlock(&pool.mu);
        if (take_part) run_tasks(seen, fn, ctx, ntasks, index + 1);
    }
    return NULL;
}

// Starts workers up to `want`; returns how many exist. Caller holds submit.
static int grow_pool(int want) {
    if (want > MAX_WORKERS) want = MAX_WORKERS;
    while (pool.nworkers < want) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int rc = pthread_create(&t, &attr, worker_main, (void *)(intptr_t)pool.nworkers);
        pthread_attr_destroy(&attr);
        if (rc != 0) break; // run with the workers we have
        pool.nworkers++;
    }
    return pool.nworkers;
}

void s4j_parallel_for(int64_t ntasks, int max_threads, s4j_task_fn fn, void *ctx) {
    int threads = s4j_num_threads();
    if (max_threads < threads) threads = max_threads;
    if (ntasks <= 0) return;
    if (ntasks == 1 || threads <= 1 || ntasks > 0xffffffffLL ||
        pthread_mutex_trylock(&pool.submit) != 0) {
        for (int64_t t = 0; t < ntasks; t++) fn(ctx, t, 0);
        return;
    }
    int workers = grow_pool(threads - 1);

    pthread_mutex_lock(&pool.mu);
    uint32_t gen = atomic_load(&pool.generation) + 1;
    pool.fn = fn;
    pool.ctx = ctx;
    pool.ntasks = ntasks;
    pool.max_workers = workers < threads - 1 ? workers : threads - 1;
    atomic_store(&pool.done, 0);
    atomic_store_explicit(&pool.claim, (uint64_t)gen << 32, memory_order_release);
    atomic_store_explicit(&pool.generation, gen, memory_order_release);
    if (pool.sleepers > 0) pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.mu);

    run_tasks(gen, fn, ctx, ntasks, 0);
    // Wait for tasks claimed by workers; yield now and then in case a worker
    // was descheduled on a busy machine.
    for (unsigned spins = 0; atomic_load_explicit(&pool.done, memory_order_acquire) < ntasks;
         spins++) {
        if ((spins & 1023) == 1023)
            sched_yield();
        else
            _mm_pause();
    }
    pthread_mutex_unlock(&pool.submit);
}
