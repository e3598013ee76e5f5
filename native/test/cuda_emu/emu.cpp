/*
 * emu.cpp — the CUDA emulator's execution model (see README.md).
 *
 * Each thread of a block is a fiber: a stack of its own, entered and left
 * by a register switch, all on the calling OS thread. The scheduler runs
 * one block at a time; a thread runs until it must wait (__syncthreads, a
 * warp shuffle) or ends. One warp runs as far as it can before the next
 * starts, and the order of warps and lanes flips from block to block, so a
 * missing barrier shows up as a read before the write (or a write before
 * the read) in one of the two orders. Shared memory is heap memory of the
 * block, filled with garbage; cp.async lands at once or only at its wait.
 * Everything a real GPU would reject (barrier divergence, misaligned
 * cp.async, too much shared memory) stops the program with a message.
 */
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include <sys/mman.h>
#include <ucontext.h>

#include "cuda_runtime.h"

// S4J_EMU_ASAN: this file is built without ASan, the rest with it
#if defined(__SANITIZE_ADDRESS__) || defined(S4J_EMU_ASAN)
#define EMU_ASAN 1
#include <sanitizer/common_interface_defs.h>
#endif

dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace emu {

cudaError_t record(cudaError_t err); // runtime.cpp: the last error
// runtime.cpp: runs op now (its error recorded), or records it on a stream
// that captures, or refuses it as CUDA does (a bad stream, the legacy stream
// while a blocking stream captures, an invalidated capture)
cudaError_t submit(cudaStream_t s, std::function<cudaError_t()> op);

namespace {

// Kernels keep WMMA fragments (~12 KiB) on the stack; ASan's frames are larger.
constexpr size_t STACK_BYTES = 256 << 10, GUARD = 4096;
constexpr size_t STATIC_LIMIT = 48 << 10;   // static shared memory, and the default dynamic limit
constexpr size_t OPT_IN_LIMIT = 163 << 10;  // sm_80's largest opt-in (sm_90: 227 KiB)

// ---------------------------------------------------------------------------
// fibers: a stack per thread, and a switch between stacks

void thread_main();

#if defined(__x86_64__) && !defined(S4J_EMU_UCONTEXT)
// Pushes the registers a call must preserve (SysV ABI), saves the stack
// pointer in *from, continues on stack `to` where the same was pushed.
extern "C" void emu_switch(void **from, void *to);
asm(R"(
    .pushsection .text
    .globl emu_switch
    .hidden emu_switch
    .type emu_switch, @function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size emu_switch, .-emu_switch
    .popsection
)");

using Context = void *; // the saved stack pointer

// A new stack that emu_switch "returns" into thread_main from.
void start(Context &c, char *stack) {
    void **sp = (void **)(stack + STACK_BYTES) - 8; // thread_main sees rsp % 16 == 8, as after a call
    for (int i = 0; i < 6; i++) sp[i] = nullptr;    // rbp = 0 ends stack traces here
    sp[6] = (void *)&thread_main;
    sp[7] = nullptr; // thread_main never returns
    c = sp;
}
void switch_stack(Context &from, Context &to) { emu_switch(&from, to); }
#else
// Elsewhere ucontext: portable, and ~10x slower (a system call per switch).
using Context = ucontext_t;
void start(Context &c, char *stack) {
    getcontext(&c);
    c.uc_stack.ss_sp = stack;
    c.uc_stack.ss_size = STACK_BYTES;
    c.uc_link = nullptr;
    makecontext(&c, thread_main, 0);
}
void switch_stack(Context &from, Context &to) { swapcontext(&from, &to); }
#endif

// ---------------------------------------------------------------------------
// state: one launch, one block at a time

enum class State { ready, at_barrier, at_warp, exited };

struct Copy { // a cp.async in flight
    char *dst;
    const void *src;
    int bytes;
    long group;
};

struct Thread {
    char *stack; // mmap'd, a guard page below
    Context ctx; // saved registers while switched out
    dim3 idx;
    unsigned id; // linear index in the block
    State state;
    unsigned long gen; // the barrier generation it waits on
    where at;          // where it waits
    std::vector<Copy> copies;
    long committed; // cp.async groups committed
};

struct Barrier {
    unsigned arrived, expected;
    unsigned long gen; // completed rounds
};

struct Region { // shared memory: host memory, and its address in the shared window
    char *p;
    size_t bytes, addr;
};

std::vector<std::unique_ptr<Thread>> pool; // grows to the largest block
Thread *cur;                               // the running thread; null in the scheduler
const void *sched_stack;                   // the scheduler's stack, for ASan
size_t sched_stack_bytes;

const kernel_call *running; // the launch whose blocks run
where launched_at;
unsigned long launches, blocks_run;
unsigned nthreads, nwarps;
Barrier block_bar;
std::vector<Barrier> warp_bar;
std::vector<uint64_t> slots; // shuffle values: [warp][round parity][lane]

std::vector<Region> regions; // this block's shared memory
size_t window_top, static_bytes, dynamic_bytes, shared_limit;
char *dynamic_region;
unsigned char poison;
bool reverse, late;
std::map<const void *, int> max_dynamic; // cudaFuncAttributeMaxDynamicSharedMemorySize

// S4J_CUDA_EMU_ORDER=forward|reverse and S4J_CUDA_EMU_CP=early|late fix
// what otherwise alternates from block to block.
int mode(const char *var, const char *first, const char *second) {
    const char *v = getenv(var);
    return v && !strcmp(v, first) ? 0 : v && !strcmp(v, second) ? 1 : -1;
}
const int order_mode = mode("S4J_CUDA_EMU_ORDER", "forward", "reverse");
const int cp_mode = mode("S4J_CUDA_EMU_CP", "early", "late");
const bool verbose = getenv("S4J_CUDA_EMU_VERBOSE") != nullptr;

const char *base(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

// ---------------------------------------------------------------------------
// switching between the scheduler and the threads

Context sched_ctx;

// Switches to another stack (ASan is told, so that it checks the right one).
void jump(Context &save, Context &to, const void *to_stack, size_t to_bytes, bool to_thread) {
#ifdef EMU_ASAN
    void *fake = nullptr;
    __sanitizer_start_switch_fiber(&fake, to_stack, to_bytes);
    switch_stack(save, to);
    // back here: a thread learns the scheduler's stack; the scheduler knows the threads'
    __sanitizer_finish_switch_fiber(fake, to_thread ? nullptr : &sched_stack,
                                    to_thread ? nullptr : &sched_stack_bytes);
#else
    (void)to_stack, (void)to_bytes, (void)to_thread;
    switch_stack(save, to);
#endif
}

void resume(Thread &t) {
    cur = &t;
    threadIdx = t.idx;
    jump(sched_ctx, t.ctx, t.stack, STACK_BYTES, true);
    cur = nullptr;
}

void yield() { jump(cur->ctx, sched_ctx, sched_stack, sched_stack_bytes, false); }

void thread_main() {
#ifdef EMU_ASAN
    __sanitizer_finish_switch_fiber(nullptr, &sched_stack, &sched_stack_bytes);
#endif
    for (;;) { // one round per block
        running->body();
        cur->state = State::exited;
        yield();
    }
}

Thread &thread(unsigned id) {
    while (pool.size() <= id) {
        auto t = std::make_unique<Thread>();
        char *m = (char *)mmap(nullptr, STACK_BYTES + GUARD, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) fail(where::current(), "no memory for a thread's stack");
        mprotect(m, GUARD, PROT_NONE); // an overflow faults instead of corrupting a neighbour
        t->stack = m + GUARD;
        start(t->ctx, t->stack);
        pool.push_back(std::move(t));
    }
    return *pool[id];
}

// ---------------------------------------------------------------------------
// scheduling

unsigned lanes(unsigned warp) { return nthreads - warp * 32 < 32 ? nthreads - warp * 32 : 32; }

// `open`: the block barrier's generation when this pass began; a thread
// released by a later barrier waits for the next pass, so that every phase
// starts in the block's order.
bool runnable(const Thread &t, unsigned long open) {
    switch (t.state) {
    case State::ready: return true;
    case State::at_barrier: return t.gen < open;
    case State::at_warp: return warp_bar[t.id / 32].gen != t.gen;
    default: return false;
    }
}

void arrive(Barrier &b, State s, where w) {
    cur->state = s;
    cur->gen = b.gen;
    cur->at = w;
    if (++b.arrived == b.expected) {
        b.arrived = 0;
        b.gen++;
    }
    yield();
    cur->state = State::ready;
}

// No thread can go on: say where each one is, grouped.
[[noreturn]] void deadlock() {
    fprintf(stderr, "EMU ERROR: block (%u,%u,%u) of the kernel launched at %s:%u is stuck "
                    "(barrier divergence, or a thread that ended early):\n",
            blockIdx.x, blockIdx.y, blockIdx.z, base(launched_at.file_name()), launched_at.line());
    static const char *const what[] = {"running", "at __syncthreads", "at a warp shuffle", "ended"};
    for (unsigned i = 0; i < nthreads;) {
        const Thread &t = thread(i);
        unsigned j = i + 1;
        while (j < nthreads && thread(j).state == t.state &&
               (t.state == State::exited || thread(j).at.line() == t.at.line()))
            j++;
        if (j - i > 1) fprintf(stderr, "  threads %u-%u: %s", i, j - 1, what[(int)t.state]);
        else fprintf(stderr, "  thread %u: %s", i, what[(int)t.state]);
        if (t.state != State::exited) fprintf(stderr, " (%s:%u)", base(t.at.file_name()), t.at.line());
        fprintf(stderr, "\n");
        i = j;
    }
    abort();
}

char *region(size_t bytes, size_t align) {
    void *p = nullptr;
    if (posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, bytes ? bytes : 1))
        fail(where::current(), "no memory for shared memory");
    memset(p, poison, bytes); // what the last block left there: garbage
    window_top = (window_top + align - 1) / align * align;
    regions.push_back({(char *)p, bytes, window_top});
    window_top += bytes;
    return (char *)p;
}

void run_block(dim3 b, size_t dynamic) {
    blockIdx = b;
    blocks_run++;
    // The block's variants: order of warps and lanes, when cp.async lands,
    // and the garbage in shared memory (NaN, or a huge number, for floats).
    const unsigned long k = launches + b.x + b.y + b.z;
    reverse = order_mode >= 0 ? order_mode : k & 1;
    late = cp_mode >= 0 ? cp_mode : (k >> 1) & 1;
    poison = (k >> 2) & 1 ? 0x7f : 0xff;

    window_top = static_bytes = 0;
    dynamic_region = region(dynamic, 128);
    block_bar = {0, nthreads, 0};
    for (unsigned w = 0; w < nwarps; w++) warp_bar[w] = {0, lanes(w), 0};
    for (unsigned i = 0; i < nthreads; i++) {
        Thread &t = thread(i);
        t.id = i;
        t.idx = dim3(i % blockDim.x, i / blockDim.x % blockDim.y, i / (blockDim.x * blockDim.y));
        t.state = State::ready;
        t.copies.clear();
        t.committed = 0;
    }

    for (unsigned left = nthreads; left > 0;) {
        const unsigned long open = block_bar.gen;
        bool ran = false;
        for (unsigned wi = 0; wi < nwarps; wi++) {
            const unsigned w = reverse ? nwarps - 1 - wi : wi, n = lanes(w);
            for (bool again = true; again;) { // this warp, until all of it waits or ended
                again = false;
                for (unsigned li = 0; li < n; li++) {
                    Thread &t = thread(w * 32 + (reverse ? n - 1 - li : li));
                    if (!runnable(t, open)) continue;
                    resume(t);
                    if (t.state == State::exited) left--;
                    again = ran = true;
                }
            }
        }
        if (!ran) deadlock();
    }

    for (const Region &r : regions) free(r.p); // copies still in flight are dropped with it
    regions.clear();
}

const Region &region_at(size_t addr, size_t bytes, where w) {
    for (const Region &r : regions)
        if (addr >= r.addr && addr + bytes <= r.addr + r.bytes) return r;
    fail(w, "shared address 0x%zx (%zu bytes) is outside this block's shared memory", addr, bytes);
}

void land(const Copy &c) {
    memcpy(c.dst, c.src, (size_t)c.bytes);
    memset(c.dst + c.bytes, 0, 16 - (size_t)c.bytes); // cp.async zero-fills the rest
}

void cp_async(unsigned dst, const void *src, int cp_size, int src_size, where w) {
    if (!cur) fail(w, "cp.async outside a kernel");
    if (cp_size != 16) fail(w, "cp.async of %d bytes (only 16 is emulated)", cp_size);
    if (src_size < 0 || src_size > cp_size) fail(w, "cp.async source size %d", src_size);
    if (dst % 16 || (uintptr_t)src % 16)
        fail(w, "cp.async: shared 0x%x or global %p not 16-byte aligned", dst, src);
    const Region &r = region_at(dst, 16, w);
    const Copy c{r.p + (dst - r.addr), src, src_size, cur->committed};
    if (!late) return land(c);
    memset(c.dst, poison, 16); // read before its wait, it is garbage
    cur->copies.push_back(c);
}

} // namespace

// ---------------------------------------------------------------------------
// the kernels' side

[[noreturn]] void fail(where w, const char *fmt, ...) {
    fprintf(stderr, "%s:%u: EMU ERROR: ", w.file_name(), w.line());
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    if (cur)
        fprintf(stderr, " (block (%u,%u,%u), thread (%u,%u,%u), kernel launched at %s:%u)",
                blockIdx.x, blockIdx.y, blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z,
                base(launched_at.file_name()), launched_at.line());
    fprintf(stderr, "\n");
    abort();
}

void sync_block(where w) {
    if (!cur) fail(w, "__syncthreads outside a kernel");
    arrive(block_bar, State::at_barrier, w);
}

unsigned lane() { return cur ? cur->id % 32 : 0; }

uint64_t exchange(unsigned mask, uint64_t v, unsigned src, where w) {
    if (!cur) fail(w, "a warp shuffle outside a kernel");
    const unsigned warp = cur->id / 32, n = lanes(warp);
    const unsigned all = n == 32 ? 0xffffffffu : (1u << n) - 1;
    if (mask != all) fail(w, "shuffle mask 0x%x: only all %u lanes of the warp (0x%x) are emulated", mask, n, all);
    // Two sets of slots, by round: a lane can be at most one round ahead of
    // a lane still reading.
    uint64_t *s = &slots[(warp * 2 + warp_bar[warp].gen % 2) * 32];
    s[cur->id % 32] = v;
    arrive(warp_bar[warp], State::at_warp, w);
    return s[src < n ? src : cur->id % 32];
}

void *shared_alloc(size_t bytes, size_t align, where w) {
    if (!cur) fail(w, "a __shared__ variable outside a kernel");
    static_bytes = (static_bytes + align - 1) / align * align + bytes;
    if (static_bytes > STATIC_LIMIT || static_bytes + dynamic_bytes > shared_limit)
        fail(w, "%zu bytes of static and %zu of dynamic shared memory: more than %zu",
             static_bytes, dynamic_bytes, static_bytes > STATIC_LIMIT ? STATIC_LIMIT : shared_limit);
    return region(bytes, align);
}

unsigned long block_serial() { return blocks_run; }

void *dynamic_shared(size_t align, where w) {
    if (!cur) fail(w, "extern __shared__ outside a kernel");
    if (align > 128) fail(w, "dynamic shared memory aligned to %zu (128 is emulated)", align);
    return dynamic_region;
}

size_t shared_address(const void *p, where w) {
    for (const Region &r : regions)
        if ((const char *)p >= r.p && (const char *)p <= r.p + r.bytes) return r.addr + ((const char *)p - r.p);
    fail(w, "__cvta_generic_to_shared(%p): not shared memory", p);
}

namespace ptx {
void cp_async_cg_shared_global(unsigned dst, const void *src, int cp_size, int src_size, where w) {
    cp_async(dst, src, cp_size, src_size, w);
}
void cp_async_ca_shared_global(unsigned dst, const void *src, int cp_size, int src_size, where w) {
    cp_async(dst, src, cp_size, src_size, w);
}
void cp_async_commit_group(where w) {
    if (!cur) fail(w, "cp.async outside a kernel");
    cur->committed++;
}
// Lands this thread's copies of all but the newest n committed groups
// (copies not yet committed belong to no group and stay in flight).
void cp_async_wait_group(int n, where w) {
    if (!cur) fail(w, "cp.async outside a kernel");
    std::vector<Copy> &q = cur->copies;
    size_t keep = 0;
    for (const Copy &c : q)
        if (c.group < cur->committed - n) land(c);
        else q[keep++] = c;
    q.resize(keep);
}
void cp_async_wait_all(where w) {
    cp_async_commit_group(w);
    cp_async_wait_group(0, w);
}
} // namespace ptx

// ---------------------------------------------------------------------------
// launches

cudaError_t set_attribute(const void *kernel, cudaFuncAttribute attr, int value) {
    if (attr != cudaFuncAttributeMaxDynamicSharedMemorySize || value < 0 ||
        (size_t)value > OPT_IN_LIMIT)
        return record(cudaErrorInvalidValue);
    max_dynamic[kernel] = value;
    return cudaSuccess;
}

namespace {
// What a GPU checks at the launch (the stream aside): the configuration and
// the dynamic shared memory against the kernel's limit.
cudaError_t check_config(const kernel_call &k) {
    const dim3 g = k.cfg.grid, b = k.cfg.block;
    const unsigned long threads = (unsigned long)b.x * b.y * b.z;
    if (!g.x || !g.y || !g.z || g.x > 0x7fffffffu || g.y > 65535 || g.z > 65535 || !threads ||
        threads > 1024 || b.y > 1024 || b.z > 64)
        return cudaErrorInvalidConfiguration;
    const auto attr = max_dynamic.find(k.kernel);
    const size_t limit = attr == max_dynamic.end() ? STATIC_LIMIT : (size_t)attr->second;
    return k.cfg.shared > limit ? cudaErrorInvalidValue : cudaSuccess;
}

// Runs every block of the launch (its checks again: a graph runs its
// kernels long after they were captured).
cudaError_t execute(const kernel_call &k) {
    if (const cudaError_t e = check_config(k)) return e;
    k.check_arguments();
    const dim3 g = k.cfg.grid, b = k.cfg.block;
    const where w = k.w;
    if (verbose)
        fprintf(stderr, "emu: %s:%u: grid (%u,%u,%u), block (%u,%u,%u), %zu bytes dynamic shared\n",
                base(w.file_name()), w.line(), g.x, g.y, g.z, b.x, b.y, b.z, k.cfg.shared);
    launches++;
    running = &k;
    launched_at = w;
    blockDim = b;
    gridDim = g;
    nthreads = b.x * b.y * b.z;
    nwarps = (nthreads + 31) / 32;
    warp_bar.resize(nwarps);
    slots.resize(nwarps * 64);
    dynamic_bytes = k.cfg.shared;
    shared_limit = max_dynamic.count(k.kernel) ? OPT_IN_LIMIT : STATIC_LIMIT;
    thread(nthreads - 1); // the stacks, before any thread runs
    for (unsigned z = 0; z < g.z; z++)
        for (unsigned y = 0; y < g.y; y++)
            for (unsigned x = 0; x < g.x; x++) run_block(dim3(x, y, z), k.cfg.shared);
    running = nullptr;
    return cudaSuccess;
}
} // namespace

void launch_call(std::shared_ptr<const kernel_call> call) {
    if (cur) fail(call->w, "a launch from a kernel (dynamic parallelism) is not emulated");
    // Configuration errors show at the launch, captured or not.
    if (const cudaError_t e = check_config(*call)) {
        record(e);
        return;
    }
    call->check_arguments();
    submit(call->cfg.stream, [call] { return execute(*call); });
}

} // namespace emu
