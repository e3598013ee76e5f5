#!/usr/bin/env python3
"""PyTorch on the CPU as a peer of softmax4j's benchmarks (bench/run.sh runs it).

Prints one JSON object per line:
  {"bench": "ce", "shape": "NxC", "ms": [...]}   F.cross_entropy forward+backward, float32
  {"bench": "epoch", "ms": [...]}                 one epoch of the book's softmax regression
  {"bench": "loop10", "s": x, "acc": y}           10 epochs, as the book's chapter
with as many threads as given (torch.set_num_threads), inputs built like the Java side's.
"""
import gzip
import os
import json
import struct
import sys
import time

import torch
import torch.nn.functional as F


def median_ms(fn, reps):
    fn()  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return times


def ce(shape, reps):
    n, c = (int(v) for v in shape.split("x"))
    g = torch.Generator().manual_seed(42)
    x = (torch.rand(n, c, generator=g) * 4 - 2).requires_grad_(True)
    y = torch.randint(0, c, (n,), generator=g)

    def step():
        x.grad = None
        F.cross_entropy(x, y).backward()

    return median_ms(step, reps)


def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def linear_ce(shape, reps):
    """Linear layer + F.cross_entropy forward+backward; time and peak memory beyond the inputs."""
    n, d, v = (int(s) for s in shape.split("x"))
    g = torch.Generator().manual_seed(1)
    x = (torch.rand(n, d, generator=g) - 0.5).requires_grad_(True)
    w = (torch.rand(v, d, generator=g) - 0.5).requires_grad_(True)
    b = (torch.rand(v, generator=g) - 0.5).requires_grad_(True)
    y = torch.randint(0, v, (n,), generator=g)

    def step():
        x.grad = w.grad = b.grad = None
        F.cross_entropy(x @ w.T + b, y).backward()

    times = median_ms(step, reps)
    x.grad = w.grad = b.grad = None
    with open("/proc/self/clear_refs", "w") as f:  # reset the peak RSS
        f.write("5")
    before = rss_kib("VmRSS:")
    step()
    grads = (x.numel() + w.numel() + b.numel()) * 4 / 2**20
    extra_mib = (rss_kib("VmHWM:") - before) / 1024 - grads  # beyond inputs and gradients
    return times, extra_mib


def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 0x801:
        return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()
    rows, cols = struct.unpack(">II", data[8:16])
    return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(count, rows * cols)


def training(data_dir, epochs, seed=0):
    """The book's loop over preloaded tensors: 784->10, SGD lr 0.1, batch 256."""
    xs = idx(f"{data_dir}/train-images-idx3-ubyte.gz")
    ys = idx(f"{data_dir}/train-labels-idx1-ubyte.gz")
    xt = idx(f"{data_dir}/t10k-images-idx3-ubyte.gz").float() / 255
    yt = idx(f"{data_dir}/t10k-labels-idx1-ubyte.gz")
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
        epoch_ms.append((time.perf_counter() - t0) * 1e3)
    with torch.no_grad():
        acc = ((xt @ w + b).argmax(1) == yt).float().mean().item()
    return epoch_ms, acc


def main():
    if sys.argv[1] == "seeds":
        # torch_peer.py seeds DATA_DIR N: the book's test accuracy for seeds 0..N-1,
        # to compare seed-to-seed spread with softmax4j's
        for seed in range(int(sys.argv[3])):
            _, acc = training(sys.argv[2], 10, seed)
            print(json.dumps({"bench": "seed", "seed": seed, "acc": acc}), flush=True)
        return
    threads, data_dir, shapes = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    torch.set_num_threads(threads)
    for shape in shapes:
        if shape.count("x") == 2:
            ms, mib = linear_ce(shape, 2)
            print(json.dumps({"bench": "linear_ce", "shape": shape, "ms": ms, "extra_mib": mib}), flush=True)
            continue
        n, c = (int(v) for v in shape.split("x"))
        reps = 3 if n * c >= 50_000_000 else 11
        print(json.dumps({"bench": "ce", "shape": shape, "ms": ce(shape, reps)}), flush=True)
    if data_dir != "-":
        epoch_ms, acc = training(data_dir, 10)
        print(json.dumps({"bench": "epoch", "ms": epoch_ms}), flush=True)
        print(json.dumps({"bench": "loop10", "s": sum(epoch_ms) / 1e3, "acc": acc}), flush=True)
    blas = os.path.realpath("/usr/lib/x86_64-linux-gnu/libblas.so.3")
    print(json.dumps({"bench": "version", "torch": torch.__version__, "blas": blas}), flush=True)


if __name__ == "__main__":
    main()
