"""Where the CNN training step spends its time, in nnkit and (if installed) PyTorch.

    python benchmarks/cnn_breakdown.py [--repeat 7]

The benchmark's CNN (``bench.py``: conv3x3 1->16 + ReLU + maxpool2, conv3x3 16->32 + ReLU +
maxpool2, Linear; 28x28, batch 64, float32) is the one workload where nnkit stays slower than
PyTorch CPU. This script prints the evidence for why, in three parts:

1. nnkit, layer by layer, forward and backward, timed inside real training steps.
2. PyTorch, the same layers in isolation (forward + backward of each layer alone).
3. The floor of nnkit's conv2d for the 16->32 layer: its three GEMMs alone (forward, dW,
   dcols) on arrays of the shapes the strip method uses, against PyTorch's whole conv2d.

Times are the minimum per-call time over ``--repeat`` blocks (milliseconds).
"""
from __future__ import annotations

import argparse
import time

import numpy as np


def best_ms(fn, calls, repeat):
    for _ in range(max(2, calls // 5)):
        fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - t0) / calls)
    return best * 1e3


def nnkit_layers(steps, repeat):
    """Per-layer forward/backward time (ms) in nnkit, measured inside training steps."""
    import nnkit
    from nnkit import optim

    from bench import problem               # the benchmark's own CNN (this folder)
    model, _, X, y, loss_fn = problem(nnkit, "cnn")
    opt = optim.SGD(model.parameters(), lr=0.01)
    names = [f"{i} {type(m).__name__}" for i, m in enumerate(model)]
    tot = {}

    def add(key, dt):
        tot[key] = tot.get(key, 0.0) + dt

    def step(record):
        opt.zero_grad()
        h, outs = X, []
        for name, m in zip(names, model):
            t0 = time.perf_counter()
            h = m(h)
            if record:
                add((name, "fwd"), time.perf_counter() - t0)
            outs.append((name, h))
        t0 = time.perf_counter()
        loss = loss_fn(h, y)
        if record:
            add(("loss", "fwd"), time.perf_counter() - t0)
            for name, node in outs:                 # time each node's backward closure
                if node._backward is not None:
                    def timed(f=node._backward, name=name):
                        t = time.perf_counter()
                        f()
                        add((name, "bwd"), time.perf_counter() - t)
                    node._backward = timed
        loss.backward()
        t0 = time.perf_counter()
        opt.step()
        if record:
            add(("SGD step", "-"), time.perf_counter() - t0)

    whole = best_ms(lambda: step(False), steps, repeat)
    for _ in range(steps * repeat):
        step(True)
    per = {k: v / (steps * repeat) * 1e3 for k, v in tot.items()}
    return whole, per


def torch_layers(calls, repeat):
    """Forward + backward time (ms) of each layer of the CNN alone, in PyTorch."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    x1 = torch.randn(64, 1, 28, 28)
    x2 = torch.randn(64, 16, 14, 14, requires_grad=True)
    a1 = torch.randn(64, 16, 28, 28, requires_grad=True)
    a2 = torch.randn(64, 32, 14, 14, requires_grad=True)
    conv1, conv2 = nn.Conv2d(1, 16, 3, padding=1), nn.Conv2d(16, 32, 3, padding=1)
    pool = nn.MaxPool2d(2)

    def fb(f, inp):
        def run():
            out = f(inp)
            out.backward(torch.ones_like(out))
        return run
    rows = {
        "conv1 1->16 (fwd+bwd)": fb(conv1, x1),
        "relu1 (fwd+bwd)": fb(torch.relu, a1),
        "pool1 (fwd+bwd)": fb(pool, a1),
        "conv2 16->32 (fwd+bwd)": fb(conv2, x2),
        "relu2 (fwd+bwd)": fb(torch.relu, a2),
        "pool2 (fwd+bwd)": fb(pool, a2),
    }
    return {k: best_ms(f, calls, repeat) for k, f in rows.items()}


def conv2_gemm_floor(calls, repeat):
    """The three GEMMs of nnkit's strip conv2d for the 16->32 layer (14x14, padding 1, batch
    64: frames of 15 x 15, so L = 64 * 225 columns, K = 16 * 9 (+1 bias row))."""
    rng = np.random.default_rng(0)
    L, K, O = 64 * 15 * 15, 16 * 9, 32
    cols = rng.standard_normal((K + 1, L), np.float32)
    wmat = rng.standard_normal((O, K + 1), np.float32)
    gs = rng.standard_normal((O, L), np.float32)
    return {
        "forward  W @ cols": best_ms(lambda: wmat @ cols, calls, repeat),
        "dW       cols @ g^T": best_ms(lambda: cols @ gs.T, calls, repeat),
        "dcols    W^T @ g": best_ms(lambda: wmat[:, :K].T @ gs, calls, repeat),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    r = args.repeat

    whole, per = nnkit_layers(20, r)
    print(f"1. nnkit training step: {whole:.2f} ms; per layer (ms, inside the step):")
    for (name, phase), ms in per.items():
        print(f"   {name:<14} {phase:<4} {ms:7.3f}")
    try:
        import torch
    except ImportError:
        torch = None
        print("2. PyTorch not installed: skipped")
    if torch is not None:
        time.sleep(0.5)
        print(f"2. PyTorch {torch.__version__} ({torch.get_num_threads()} threads), each layer alone (ms):")
        for k, ms in torch_layers(50, r).items():
            print(f"   {k:<24} {ms:7.3f}")
        time.sleep(0.5)
    floor = conv2_gemm_floor(50, r)
    print(f"3. nnkit conv2 (16->32) GEMMs alone: total {sum(floor.values()):.3f} ms")
    for k, ms in floor.items():
        print(f"   {k:<22} {ms:7.3f}")

if __name__ == "__main__":
    main()
