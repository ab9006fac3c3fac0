"""Time training steps of nnkit against PyTorch CPU (if installed) and plain NumPy.

    python benchmarks/bench.py [--repeat 5] [--threads N]

Each workload: one training step = forward, loss, backward, optimizer (SGD) step, on the same
shapes in float32. After a warm-up block, each contender runs ``--repeat`` blocks of steps and
its timing is the *minimum* per-step time over the blocks (the least disturbed run; the machine
may be shared). nnkit and the NumPy floor alternate blocks; PyTorch runs after them, and
there is a pause before the next workload: torch's OpenMP threads keep spinning for a while
after each op and would otherwise steal the cores from NumPy's BLAS threads.
Ratios are nnkit / reference: below 1 means nnkit is faster.
"""
from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np


def timeit(fn, steps, repeat):
    return timeit_many([fn], steps, repeat)[0]


def timeit_many(fns, steps, repeat):
    """Interleaved blocks of ``steps`` calls of each function; min per-step time of each."""
    for fn in fns:
        for _ in range(max(1, steps // 5)):
            fn()
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for k, fn in enumerate(fns):
            t0 = time.perf_counter()
            for _ in range(steps):
                fn()
            best[k] = min(best[k], (time.perf_counter() - t0) / steps)
    return best


# ----------------------------------------------------------------------------- model builders
def nnkit_problem(kind):
    """The nnkit model of a workload and its data: (model, forward function, X, y, loss_fn).
    ``cnn_breakdown.py`` times the layers of the "cnn" one."""
    import nnkit
    from nnkit import nn
    nnkit.manual_seed(0)
    rng = np.random.default_rng(0)
    fwd = None
    if kind == "xor":
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        X = nnkit.tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32))
        y = nnkit.tensor(np.array([[0], [1], [1], [0]], np.float32))
        loss_fn = nn.BCEWithLogitsLoss()
    elif kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        X = nnkit.tensor(rng.standard_normal((128, 784), np.float32))
        y = rng.integers(0, 10, 128)
        loss_fn = nn.CrossEntropyLoss()
    elif kind == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        X = nnkit.tensor(rng.standard_normal((64, 1, 28, 28), np.float32))
        y = rng.integers(0, 10, 64)
        loss_fn = nn.CrossEntropyLoss()
    elif kind == "rnn":
        rnn, head = nn.RNN(32, 128), nn.Linear(128, 10)
        model = nn.ModuleList([rnn, head])
        X = nnkit.tensor(rng.standard_normal((50, 32, 32), np.float32))
        y = rng.integers(0, 10, 32)
        ce = nn.CrossEntropyLoss()
        loss_fn = ce
        fwd = lambda x: head(rnn(x)[1][0])      # noqa: E731  classify from h_T
    return model, fwd or model, X, y, loss_fn


def nnkit_step(kind):
    import nnkit
    from nnkit import nn, optim
    if kind == "linear":
        rng = np.random.default_rng(0)
        nnkit.manual_seed(0)
        model = nn.Linear(1024, 1024)
        X = nnkit.tensor(rng.standard_normal((512, 1024), np.float32), requires_grad=True)
        g = nnkit.tensor(rng.standard_normal((512, 1024), np.float32))
        def step():
            model.weight.grad = model.bias.grad = X.grad = None
            out = model(X)
            out.backward(g)
        return step
    model, fwd, X, y, loss_fn = nnkit_problem(kind)
    opt = optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = loss_fn(fwd(X), y)
        loss.backward()
        opt.step()
    return step


def torch_step(kind):
    import torch
    from torch import nn
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    if kind == "xor":
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        X = torch.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=torch.float32)
        y = torch.tensor([[0], [1], [1], [0]], dtype=torch.float32)
        loss_fn = nn.BCEWithLogitsLoss()
    elif kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        X = torch.tensor(rng.standard_normal((128, 784), np.float32))
        y = torch.tensor(rng.integers(0, 10, 128))
        loss_fn = nn.CrossEntropyLoss()
    elif kind == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        X = torch.tensor(rng.standard_normal((64, 1, 28, 28), np.float32))
        y = torch.tensor(rng.integers(0, 10, 64))
        loss_fn = nn.CrossEntropyLoss()
    elif kind == "rnn":
        rnn, head = nn.RNN(32, 128), nn.Linear(128, 10)
        model = nn.ModuleList([rnn, head])
        X = torch.tensor(rng.standard_normal((50, 32, 32), np.float32))
        y = torch.tensor(rng.integers(0, 10, 32))
        loss_fn = nn.CrossEntropyLoss()
        fwd = lambda x: head(rnn(x)[1][0])      # noqa: E731
    elif kind == "linear":
        model = nn.Linear(1024, 1024)
        X = torch.tensor(rng.standard_normal((512, 1024), np.float32), requires_grad=True)
        g = torch.tensor(rng.standard_normal((512, 1024), np.float32))
        def step():
            model.weight.grad = model.bias.grad = X.grad = None
            model(X).backward(g)
        return step
    if kind != "rnn":
        fwd = model
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = loss_fn(fwd(X), y)
        loss.backward()
        opt.step()
    return step


def numpy_linear_floor():
    """The floor for Linear(1024, 1024) at batch 512: its three bare matmuls (y = x W^T,
    dx = g W, dW = g^T x) plus the bias add and bias-gradient sum."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 1024), np.float32)
    W = rng.standard_normal((1024, 1024), np.float32)
    b = rng.standard_normal(1024, np.float32)
    g = rng.standard_normal((512, 1024), np.float32)

    def step():
        y = x @ W.T
        y += b
        g @ W
        g.T @ x
        g.sum(axis=0)
    return step


def numpy_matmuls_only():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 1024), np.float32)
    W = rng.standard_normal((1024, 1024), np.float32)
    g = rng.standard_normal((512, 1024), np.float32)

    def step():
        x @ W.T
        g @ W
        g.T @ x
    return step


WORKLOADS = [
    ("xor", "XOR MLP 2-8-1, batch 4 (overhead bound)", 2000),
    ("mlp", "MLP 784-256-128-10, batch 128", 100),
    ("cnn", "CNN 2x(conv3x3+relu+pool)+fc, 28x28, batch 64", 10),
    ("rnn", "tanh RNN T=50, hidden 128, batch 32", 20),
    ("linear", "Linear(1024,1024) fwd+bwd, batch 512", 20),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    try:
        import torch
        if args.threads:
            torch.set_num_threads(args.threads)
        tver = f"torch {torch.__version__} ({torch.get_num_threads()} threads)"
    except ImportError:
        torch = None
        tver = "torch not installed"
    print(f"# numpy {np.__version__}, {tver}, python {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.machine()}")
    try:
        from threadpoolctl import threadpool_info
        for info in threadpool_info():
            if info.get("user_api") == "blas":
                print(f"# BLAS: {info.get('internal_api')} {info.get('version')} "
                      f"{info.get('architecture')} threads={info.get('num_threads')}")
    except ImportError:
        pass
    print(f"{'workload':48s} {'nnkit ms':>9s} {'torch ms':>9s} {'nnkit/torch':>11s} {'numpy ms':>9s} {'nnkit/numpy':>11s}")
    for kind, label, steps in WORKLOADS:
        if args.only and kind not in args.only:
            continue
        time.sleep(0.5)                      # let torch's OpenMP threads go idle
        fns = [nnkit_step(kind)]
        if kind == "linear":
            fns += [numpy_linear_floor(), numpy_matmuls_only()]
        ts = timeit_many(fns, steps, args.repeat)
        tn = ts[0]
        tf, tm = (ts[1], ts[2]) if kind == "linear" else (float("nan"), float("nan"))
        tt = timeit(torch_step(kind), steps, args.repeat) if torch is not None else float("nan")
        row = f"{label:48s} {tn * 1e3:9.3f} {tt * 1e3:9.3f} {tn / tt:11.2f}"
        if kind == "linear":
            row += f" {tf * 1e3:9.3f} {tn / tf:11.2f}   (3 bare matmuls only: {tm * 1e3:.3f} ms, ratio {tn / tm:.2f})"
        print(row, flush=True)


if __name__ == "__main__":
    main()
