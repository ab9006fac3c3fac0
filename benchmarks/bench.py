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
def problem(lib, kind):
    """A workload's model and data, built with ``lib`` = ``nnkit`` or ``torch``: nnkit follows
    PyTorch's names, so the same code builds both. Returns (model, forward, X, y, loss_fn);
    ``cnn_breakdown.py`` times the layers of the "cnn" one."""
    nn = lib.nn
    lib.manual_seed(0)
    rng = np.random.default_rng(0)
    fwd = None
    if kind == "xor":
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        X = lib.tensor(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32))
        y = lib.tensor(np.array([[0], [1], [1], [0]], np.float32))
        loss_fn = nn.BCEWithLogitsLoss()
    elif kind == "mlp":
        model = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        X = lib.tensor(rng.standard_normal((128, 784), np.float32))
        y = lib.tensor(rng.integers(0, 10, 128))
        loss_fn = nn.CrossEntropyLoss()
    elif kind == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                              nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
        X = lib.tensor(rng.standard_normal((64, 1, 28, 28), np.float32))
        y = lib.tensor(rng.integers(0, 10, 64))
        loss_fn = nn.CrossEntropyLoss()
    elif kind == "rnn":
        rnn, head = nn.RNN(32, 128), nn.Linear(128, 10)
        model = nn.ModuleList([rnn, head])
        X = lib.tensor(rng.standard_normal((50, 32, 32), np.float32))
        y = lib.tensor(rng.integers(0, 10, 32))
        loss_fn = nn.CrossEntropyLoss()
        fwd = lambda x: head(rnn(x)[1][0])      # noqa: E731  classify from h_T
    elif kind == "transformer":
        model = char_transformer(lib)
        if lib.__name__ == "torch":               # the same weights as nnkit's model
            import nnkit
            ref = char_transformer(nnkit)
            model.load_state_dict({k: lib.tensor(v.data) for k, v in ref.state_dict().items()})
        T, V = CHAPTER_13["context"], CHAPTER_13["vocab"]
        X = lib.tensor(rng.integers(0, V, (CHAPTER_13["batch"], T)))
        y = lib.tensor(rng.integers(0, V, CHAPTER_13["batch"] * T))
        mask = lib.tensor(np.triu(np.full((T, T), -np.inf, np.float32), 1))
        loss_fn = nn.CrossEntropyLoss()
        fwd = lambda x: model(x, mask).reshape(-1, V)      # noqa: E731
    else:
        raise ValueError(f"unknown workload {kind!r}")
    return model, fwd or model, X, y, loss_fn


# chapter 13's character-level Transformer (notebooks/13_attention.ipynb): 20,256 parameters
CHAPTER_13 = {"vocab": 32, "context": 32, "d": 32, "heads": 4, "d_ff": 64, "layers": 2, "batch": 16}


def char_transformer(lib):
    """Token + learned position embeddings, a pre-norm ``TransformerEncoder``, a final
    ``LayerNorm`` and a ``Linear`` read-out, built with ``lib.nn`` (seeded)."""
    nn, c = lib.nn, CHAPTER_13
    lib.manual_seed(0)

    class CharTransformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(c["vocab"], c["d"])
            self.pos = nn.Embedding(c["context"], c["d"])
            layer = nn.TransformerEncoderLayer(c["d"], c["heads"], c["d_ff"], dropout=0.0,
                                               batch_first=True, norm_first=True)
            kw = {"enable_nested_tensor": False} if lib.__name__ == "torch" else {}
            self.encoder = nn.TransformerEncoder(layer, c["layers"], **kw)
            self.norm = nn.LayerNorm(c["d"])
            self.out = nn.Linear(c["d"], c["vocab"])

        def forward(self, idx, mask):
            positions = np.arange(idx.shape[1])
            if lib.__name__ == "torch":
                positions = lib.from_numpy(positions)
            h = self.tok(idx) + self.pos(positions)
            return self.out(self.norm(self.encoder(h, mask=mask, is_causal=True)))

    return CharTransformer()


def training_step(lib, kind):
    """One training step (forward, loss, backward, SGD step) of a workload in ``lib``; for
    "linear", ``Linear(1024, 1024)`` forward + backward with a given output gradient."""
    if kind == "linear":
        lib.manual_seed(0)
        rng = np.random.default_rng(0)
        model = lib.nn.Linear(1024, 1024)
        X = lib.tensor(rng.standard_normal((512, 1024), np.float32), requires_grad=True)
        g = lib.tensor(rng.standard_normal((512, 1024), np.float32))

        def step():
            model.weight.grad = model.bias.grad = X.grad = None
            model(X).backward(g)
        return step
    model, fwd, X, y, loss_fn = problem(lib, kind)
    opt = lib.optim.SGD(model.parameters(), lr=0.01)

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
    ("transformer", "char Transformer (ch. 13), 2 layers d=32, T=32, batch 16", 50),
]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)")
    ap.add_argument("--only", nargs="*", default=None)
    args = ap.parse_args()
    import nnkit
    import nnkit.optim  # noqa: F401
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
    print(f"{'workload':48s} {'nnkit ms':>9s} {'torch ms':>9s} {'nnkit/torch':>11s} {'numpy ms':>9s} "
          f"{'nnkit/numpy':>11s}")
    for kind, label, steps in WORKLOADS:
        if args.only and kind not in args.only:
            continue
        time.sleep(0.5)                      # let torch's OpenMP threads go idle
        fns = [training_step(nnkit, kind)]
        if kind == "linear":
            fns += [numpy_linear_floor(), numpy_matmuls_only()]
        ts = timeit_many(fns, steps, args.repeat)
        tn = ts[0]
        tf, tm = (ts[1], ts[2]) if kind == "linear" else (float("nan"), float("nan"))
        tt = timeit(training_step(torch, kind), steps, args.repeat) if torch is not None else float("nan")
        row = f"{label:48s} {tn * 1e3:9.3f} {tt * 1e3:9.3f} {tn / tt:11.2f}"
        if kind == "linear":
            row += f" {tf * 1e3:9.3f} {tn / tf:11.2f}   (3 bare matmuls only: {tm * 1e3:.3f} ms, ratio {tn / tm:.2f})"
        print(row, flush=True)


if __name__ == "__main__":
    main()
