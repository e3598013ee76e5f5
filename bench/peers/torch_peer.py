#!/usr/bin/env python3
"""PyTorch on the CPU as a peer of softmax4j's benchmarks, at its best configuration.

    /usr/bin/python3 bench/peers/torch_peer.py THREADS DATA_DIR SHAPES...
    /usr/bin/python3 bench/peers/torch_peer.py seeds DATA_DIR N

SHAPES: "NxC" (F.cross_entropy forward+backward on N x C float32 logits) or "NxDxV"
(linear layer D->V + F.cross_entropy, forward+backward); DATA_DIR holds Fashion-MNIST's
IDX files, or "-" for no training benchmarks. bench/run.sh (BenchMain) runs the first form.

A sweep first: every configuration of torch intra-op threads {1, THREADS} x OpenBLAS
threads {1, THREADS} x allocator {glibc, jemalloc (LD_PRELOAD, where installed)} runs in
a child process of its own (pools and preloads are fixed at process start), each child
measuring every benchmark once. Stdout is JSON lines only, flat (strings, numbers and
at most one list of numbers, "ms", per object); progress and failures go to stderr.

  one line per benchmark and configuration, all with "threads", "blas_threads" (OpenBLAS)
  and "alloc" ("glibc" or "jemalloc"):
    {"bench": "ce", "shape": "NxC", ..., "ms": [...]}       warm-up 1, then 7 reps (3 from 50M logits)
    {"bench": "linear_ce", "shape": "NxDxV", ..., "extra_mib": m, "ms": [...]}
        warm-up 1, 2 reps; extra_mib: peak memory of one step beyond inputs and gradients
    {"bench": "epoch", ..., "ms": [...]}                     3 epochs of the book's softmax
        regression (D2L 4.4) over preloaded tensors: the headline training figure
    {"bench": "epoch_dataloader", ..., "workers": w, "ms": [...]}   2 epochs of the book's
        concise loop (D2L 3.7/4.5: a per-sample Dataset as torchvision's FashionMNIST with
        ToTensor, DataLoader, nn.Sequential, nn.CrossEntropyLoss, torch.optim.SGD) at the
        faster of num_workers 0 and THREADS; labelled as the book's loop, never the headline
  then, per benchmark and shape, the configuration with the lowest median, the one to divide by:
    {"bench": ..., "shape": ..., "best": 1, "threads": t, "blas_threads": b, "alloc": a,
     "config": "torch 2 threads, OpenBLAS 1, jemalloc", "ms": [...]}  (+ "extra_mib", "workers")
  then, at the best "epoch" configuration, in a child of its own:
    {"bench": "loop10", "s": seconds, "acc": test accuracy, "config": ..., ...}   10 epochs
  and last {"bench": "version", "torch": ..., "blas": ..., "jemalloc": true/false (in the sweep)}.

seeds: {"bench": "seed", "seed": s, "acc": a} for seeds 0..N-1, the book's test accuracy
after 10 epochs, to compare seed-to-seed spread with softmax4j's (default configuration).
"""
import gzip
import json
import os
import statistics
import struct
import subprocess
import sys
import threading
import time

import torch
import torch.nn.functional as F
from torch import nn

JEMALLOC = "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"
CHILD_TIMEOUT_S = 600


def emit(row):
    print(json.dumps(row), flush=True)


def log(msg):
    print(f"torch_peer: {msg}", file=sys.stderr, flush=True)


def timed(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(round((time.perf_counter() - t0) * 1e3, 3))
    return times


def ce(shape):
    n, c = (int(v) for v in shape.split("x"))
    g = torch.Generator().manual_seed(42)
    x = (torch.rand(n, c, generator=g) * 4 - 2).requires_grad_(True)
    y = torch.randint(0, c, (n,), generator=g)

    def step():
        x.grad = None
        F.cross_entropy(x, y).backward()

    return timed(step, 3 if n * c >= 50_000_000 else 7)


def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def linear_ce(shape):
    """Linear layer + F.cross_entropy forward+backward; times and peak memory beyond the inputs."""
    n, d, v = (int(s) for s in shape.split("x"))
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(n, d, generator=g) - 0.5).requires_grad_(True)
    w = (torch.rand(v, d, generator=g) - 0.5).requires_grad_(True)
    b = (torch.rand(v, generator=g) - 0.5).requires_grad_(True)
    y = torch.randint(0, v, (n,), generator=g)

    def step():
        x.grad = w.grad = b.grad = None
        F.cross_entropy(x @ w.T + b, y).backward()

    times = timed(step, 2)
    x.grad = w.grad = b.grad = None
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak RSS
        f.write("5")
    before = rss_kib("VmRSS:")
    step()
    grads = (x.numel() + w.numel() + b.numel()) * 4 / 2**20
    extra_mib = (rss_kib("VmHWM:") - before) / 1024 - grads  # beyond inputs and gradients
    return times, round(extra_mib, 1)


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x801:
        return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()
    rows, cols = struct.unpack(">II", data[8:16])
    return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(count, rows * cols)


def load(data_dir):
    """Fashion-MNIST: train images (uint8, 60000 x 784), labels, test images (float, /255), labels."""
    return (idx(f"{data_dir}/train-images-idx3-ubyte.gz"), idx(f"{data_dir}/train-labels-idx1-ubyte.gz"),
            idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").float() / 255, idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz"))


def training(data, epochs, seed=0):
    """The book's loop over preloaded tensors: 784->10, SGD lr 0.1, batch 256; per-epoch ms, test accuracy."""
    xs, ys, xt, yt = data
    torch.manual_seed(seed)
    w = (torch.randn(784, 10) * 0.01).requires_grad_(True)
    b = torch.zeros(10, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1)
    epoch_ms = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(60000)
        for s in range(0, 60000, 256):
            i = perm[s:s + 256]
            x = xs[i].float() / 255
            loss = F.cross_entropy(x @ w + b, ys[i])
            opt.zero_grad()
            loss.backward()
            opt.step()
        epoch_ms.append(round((time.perf_counter() - t0) * 1e3, 3))
    with torch.no_grad():
        acc = ((xt @ w + b).argmax(1) == yt).float().mean().item()
    return epoch_ms, acc


class FashionMNIST(torch.utils.data.Dataset):
    """As torchvision's FashionMNIST with ToTensor: one (1x28x28 float in [0, 1], int label) per sample."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return self.images[i].view(1, 28, 28).float() / 255, int(self.labels[i])


def dataloader_training(data, workers, epochs):
    """The book's concise loop (D2L 3.7 train_epoch_ch3, without its running loss and accuracy); per-epoch ms."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    nn.init.normal_(net[1].weight, std=0.01)
    loss = nn.CrossEntropyLoss(reduction="none")
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(FashionMNIST(data[0], data[1]), batch_size=256, shuffle=True,
                                         num_workers=workers)
    epoch_ms = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        for x, y in loader:
            l = loss(net(x), y)
            opt.zero_grad()
            l.mean().backward()
            opt.step()
        epoch_ms.append(round((time.perf_counter() - t0) * 1e3, 3))
    return epoch_ms


def describe(row):
    t, b = row["threads"], row["blas_threads"]
    s = f"torch {t} thread{'s' * (t != 1)}, OpenBLAS {b}, {row['alloc']}"
    return s + (f", {row['workers']} DataLoader workers" if "workers" in row else "")


def child(mode, threads, blas_threads, alloc, data_dir, shapes):
    """In a child process started with its allocator preloaded: set the pools, then measure."""
    from threadpoolctl import threadpool_limits
    with open("/proc/self/maps") as f:
        if (alloc == "jemalloc") != ("libjemalloc" in f.read()):
            sys.exit(f"allocator {alloc} not in effect")
    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    threadpool_limits(limits=blas_threads, user_api="blas")
    config = {"threads": threads, "blas_threads": blas_threads, "alloc": alloc}
    if mode == "loop10":
        epoch_ms, acc = training(load(data_dir), 10)
        emit({"bench": "loop10", "s": round(sum(epoch_ms) / 1e3, 3), "acc": acc, **config,
              "config": describe(config)})
        return
    for shape in shapes:
        if shape.count("x") == 2:
            ms, mib = linear_ce(shape)
            emit({"bench": "linear_ce", "shape": shape, **config, "extra_mib": mib, "ms": ms})
        else:
            emit({"bench": "ce", "shape": shape, **config, "ms": ce(shape)})
    if data_dir != "-":
        data = load(data_dir)
        emit({"bench": "epoch", **config, "ms": training(data, 3)[0]})
        runs = {w: dataloader_training(data, w, 2) for w in sorted({0, threads})}
        w = min(runs, key=lambda k: statistics.median(runs[k]))
        emit({"bench": "epoch_dataloader", **config, "workers": w, "ms": runs[w]})


def spawn(mode, threads, blas_threads, alloc, data_dir, shapes):
    """Runs a child with its pools and allocator set at process start; forwards and returns its rows."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(blas_threads))
    env.pop("LD_PRELOAD", None)
    if alloc == "jemalloc":
        env["LD_PRELOAD"] = JEMALLOC
    args = [sys.executable, os.path.abspath(__file__), mode, str(threads), str(blas_threads), alloc, data_dir,
            *shapes]
    t0 = time.perf_counter()
    p = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, text=True)
    timer = threading.Timer(CHILD_TIMEOUT_S, p.kill)
    timer.start()
    rows = []
    for line in p.stdout:
        if line.startswith("{"):
            rows.append(json.loads(line))
            emit(rows[-1])
    rc = p.wait()
    timed_out = timer.finished.is_set()
    timer.cancel()
    name = describe({"threads": threads, "blas_threads": blas_threads, "alloc": alloc})
    failed = "" if rc == 0 else f", FAILED (exit {rc}{', timed out' * timed_out}), the rest skipped"
    log(f"{mode} {name}: {time.perf_counter() - t0:.1f} s{failed}")
    return rows


def sweep(threads, data_dir, shapes):
    t0 = time.perf_counter()
    allocs = ["glibc"] + (["jemalloc"] if os.path.exists(JEMALLOC) else [])
    counts = sorted({1, threads})
    rows = [r for t in counts for b in counts for a in allocs for r in spawn("child", t, b, a, data_dir, shapes)]
    log(f"sweep: {time.perf_counter() - t0:.1f} s")
    best = {}
    for r in rows:
        key = (r["bench"], r.get("shape"))
        if key not in best or statistics.median(r["ms"]) < statistics.median(best[key]["ms"]):
            best[key] = r
    for r in best.values():
        head = {k: r[k] for k in ("bench", "shape") if k in r}
        emit({**head, "best": 1, **r, "config": describe(r)})
    if ("epoch", None) in best:
        r = best[("epoch", None)]
        spawn("loop10", r["threads"], r["blas_threads"], r["alloc"], data_dir, [])
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    emit({"bench": "version", "torch": torch.__version__, "blas": blas,
          "jemalloc": any(r["alloc"] == "jemalloc" for r in rows)})


def main():
    if sys.argv[1] == "seeds":
        data = load(sys.argv[2])
        for seed in range(int(sys.argv[3])):
            emit({"bench": "seed", "seed": seed, "acc": training(data, 10, seed)[1]})
    elif sys.argv[1] in ("child", "loop10"):
        mode, threads, blas_threads, alloc, data_dir, *shapes = sys.argv[1:]
        child(mode, int(threads), int(blas_threads), alloc, data_dir, shapes)
    else:
        sweep(int(sys.argv[1]), sys.argv[2], sys.argv[3:])


if __name__ == "__main__":
    main()
