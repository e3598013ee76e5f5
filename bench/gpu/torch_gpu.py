#!/usr/bin/env python3
"""PyTorch on the GPU as the second yardstick of softmax4j's GPU figures (bench/gpu/check.sh runs it).

Prints one JSON object per line:
  {"bench": "version", "torch": v, "cuda": v, "device": name, "cc": "9.0"}
  {"bench": "copy", "mib": m, "ms": [...], "median_ms": t, "gbs": g}
      a large device-to-device copy_, counting bytes read + written: the bandwidth ceiling
  {"bench": "ce", "dtype": d, "shape": "NxC", "ms": [...], "median_ms": t, "gbs": g}
      F.cross_entropy forward+backward, counting the logits read once + the gradient written
      once (what a fused kernel must move; PyTorch's unfused one moves more)
  {"bench": "matmul", "dtype": d, "shape": "MxNxK", "ms": [...], "median_ms": t, "tflops": f}
      torch.matmul in bf16, float32 with TF32 allowed ("f32-tf32") and float32 without ("f32")
  {"bench": "linear_ce", "dtype": d, "shape": "NxDxV", "ms": [...], "median_ms": t, "extra_mib": m}
      F.cross_entropy(F.linear(x, w, b), y) forward+backward (dx, dw, db) in eager mode, with
      the peak memory it allocates beyond its inputs and gradients
Each figure is timed with CUDA events around every call after warm-up; the median of
--reps calls (>= 20). Inputs are fresh random numbers, never zeros (zeros run faster).
Usage: python3 bench/gpu/torch_gpu.py [--reps N] > torch-gpu.jsonl
"""
import argparse
import json
import statistics
import sys

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:
    sys.exit(f"torch_gpu.py: PyTorch is not installed for {sys.executable} ({e})")


def emit(**fields):
    print(json.dumps(fields), flush=True)


def time_ms(fn, reps, warmup=5):
    """Milliseconds of each of reps calls of fn, by CUDA events on the current stream."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    pairs = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
             for _ in range(reps)]
    for start, end in pairs:
        start.record()
        fn()
        end.record()
    torch.cuda.synchronize()
    return [start.elapsed_time(end) for start, end in pairs]


def timed(ms):
    """The per-call times and their median, as JSON fields."""
    return {"ms": [round(t, 4) for t in ms], "median_ms": round(statistics.median(ms), 4)}


def copy_bandwidth(gen, reps):
    # 1 GiB each way: far beyond the L2 cache (50 MiB on an H100)
    n = 1 << 28
    src = torch.randn(n, device="cuda", generator=gen)
    dst = torch.full_like(src, float("nan"))
    ms = time_ms(lambda: dst.copy_(src), reps)
    assert torch.equal(dst, src), "copy_ did not copy"
    t = timed(ms)
    gbs = 2 * n * src.element_size() / (t["median_ms"] * 1e-3) / 1e9
    emit(bench="copy", mib=n * src.element_size() // 2**20, **t, gbs=round(gbs, 1))
    del src, dst


def cross_entropy(gen, n, c, dtype, name, reps):
    x = (torch.randn(n, c, device="cuda", generator=gen) * 2).to(dtype).requires_grad_(True)
    y = torch.randint(0, c, (n,), device="cuda", generator=gen)

    def step():
        x.grad = None
        F.cross_entropy(x, y).backward()

    ms = time_ms(step, reps)
    loss = F.cross_entropy(x.detach().float(), y).item()
    assert 0 < loss < float("inf") and torch.isfinite(x.grad).all(), f"cross-entropy {loss}"
    t = timed(ms)
    moved = 2 * n * c * x.element_size()  # logits read + gradient written
    emit(bench="ce", dtype=name, shape=f"{n}x{c}", **t,
         gbs=round(moved / (t["median_ms"] * 1e-3) / 1e9, 1))
    del x, y


def allow_tf32(on):
    # PyTorch 2.9 replaced allow_tf32 by fp32_precision and rejects mixing the two
    try:
        torch.backends.cuda.matmul.fp32_precision = "tf32" if on else "ieee"
    except (AttributeError, AssertionError):  # before 2.9 (which raises AssertionError)
        torch.backends.cuda.matmul.allow_tf32 = on


def matmul(gen, size, dtype, name, reps):
    a = torch.randn(size, size, device="cuda", generator=gen).to(dtype)
    b = torch.randn(size, size, device="cuda", generator=gen).to(dtype)
    c = torch.empty(size, size, device="cuda", dtype=dtype)
    ms = time_ms(lambda: torch.matmul(a, b, out=c), reps)
    assert torch.isfinite(c).all(), "matmul gave non-finite values"
    t = timed(ms)
    emit(bench="matmul", dtype=name, shape=f"{size}x{size}x{size}", **t,
         tflops=round(2 * size**3 / (t["median_ms"] * 1e-3) / 1e12, 1))
    del a, b, c


def linear_ce(gen, n, d, v, dtype, name, reps):
    x = (torch.rand(n, d, device="cuda", generator=gen) * 8 - 4).to(dtype).requires_grad_(True)
    w = ((torch.rand(v, d, device="cuda", generator=gen) * 2 - 1) * 4 / d**0.5).to(dtype).requires_grad_(True)
    b = (torch.rand(v, device="cuda", generator=gen) * 8 - 4).to(dtype).requires_grad_(True)
    y = torch.randint(0, v, (n,), device="cuda", generator=gen)

    def step():
        x.grad = w.grad = b.grad = None
        F.cross_entropy(F.linear(x, w, b), y).backward()

    step()  # the gradients exist from here on: count only what a step adds
    torch.cuda.synchronize()
    base = torch.cuda.memory_allocated()
    torch.cuda.reset_peak_memory_stats()
    step()
    torch.cuda.synchronize()
    extra = torch.cuda.max_memory_allocated() - base
    ms = time_ms(step, reps)
    assert torch.isfinite(w.grad).all(), "linear cross-entropy gave non-finite gradients"
    emit(bench="linear_ce", dtype=name, shape=f"{n}x{d}x{v}", **timed(ms),
         extra_mib=round(extra / 2**20, 1))
    del x, w, b, y


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=30, help="timed calls per figure (>= 20)")
    args = ap.parse_args()
    if args.reps < 20:
        ap.error("--reps must be >= 20")
    if not torch.cuda.is_available():
        print(f"torch_gpu.py: CUDA is not available to PyTorch {torch.__version__} "
              f"(built for CUDA {torch.version.cuda}): run it on the GPU machine", file=sys.stderr)
        return 2
    props = torch.cuda.get_device_properties(0)
    emit(bench="version", torch=torch.__version__, cuda=torch.version.cuda, device=props.name,
         cc=f"{props.major}.{props.minor}")
    gen = torch.Generator(device="cuda").manual_seed(42)
    copy_bandwidth(gen, args.reps)
    cross_entropy(gen, 8192, 128256, torch.bfloat16, "bf16", args.reps)
    cross_entropy(gen, 8192, 32768, torch.float32, "f32", args.reps)
    matmul(gen, 4096, torch.bfloat16, "bf16", args.reps)
    allow_tf32(True)
    matmul(gen, 4096, torch.float32, "f32-tf32", args.reps)
    linear_ce(gen, 8192, 2048, 128256, torch.float32, "f32-tf32", args.reps)
    linear_ce(gen, 8192, 2048, 128256, torch.bfloat16, "bf16", args.reps)
    allow_tf32(False)
    matmul(gen, 4096, torch.float32, "f32", args.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
