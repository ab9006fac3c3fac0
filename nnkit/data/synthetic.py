"""Small offline data sets made on the spot: logic gates, spirals, moons, circles, sine waves.

All generators return NumPy arrays ``X`` (float32) and ``y`` (int64 class labels, or float32
targets for the sequence task) and take a ``seed``: an int gives the same data every time,
``None`` draws from nnkit's global generator (``nnkit.manual_seed``).
"""
from __future__ import annotations

import numpy as np

from ..random import get_rng

__all__ = ["logic_gate", "GATES", "make_spirals", "make_moons", "make_circles",
           "make_blobs", "make_sine", "sine_sequences"]

#: truth tables of the two-input gates, output for inputs (0,0), (0,1), (1,0), (1,1)
GATES = {
    "and": (0, 0, 0, 1),
    "or": (0, 1, 1, 1),
    "xor": (0, 1, 1, 0),
    "nand": (1, 1, 1, 0),
    "nor": (1, 0, 0, 0),
    "xnor": (1, 0, 0, 1),
}


def _rng(seed):
    return get_rng() if seed is None else np.random.default_rng(seed)


def logic_gate(name="xor", signed=False):
    """Truth table of a two-input gate: ``X`` of shape (4, 2) and ``y`` of shape (4,).

    ``signed=True`` maps inputs and outputs {0, 1} to {-1, +1} (the perceptron's convention).
    """
    key = name.lower()
    if key not in GATES:
        raise ValueError(f"logic_gate: unknown gate {name!r}, expected one of {sorted(GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    y = np.array(GATES[key], dtype=np.int64)
    if signed:
        return 2 * X - 1, 2 * y - 1
    return X, y


def make_spirals(n_samples=300, n_classes=3, noise=0.2, seed=0):
    """``n_classes`` interleaved spiral arms in the plane (CS231n style).

    Point ``j`` of arm ``k``: radius ``r = j / m``, angle ``t = 4 (k + r) + noise * N(0, 1)``,
    position ``r (sin t, cos t)``; ``m = n_samples // n_classes`` points per arm.
    """
    rng = _rng(seed)
    m = n_samples // n_classes
    X = np.zeros((m * n_classes, 2), dtype=np.float32)
    y = np.zeros(m * n_classes, dtype=np.int64)
    for k in range(n_classes):
        r = np.linspace(0.0, 1.0, m)
        t = np.linspace(k * 4.0, (k + 1) * 4.0, m) + rng.standard_normal(m) * noise
        X[k * m:(k + 1) * m] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[k * m:(k + 1) * m] = k
    return X, y


def make_moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles (as ``sklearn.datasets.make_moons``, shuffled)."""
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)],
                   np.c_[1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)]
    X = X + noise * rng.standard_normal(X.shape)
    p = rng.permutation(n_samples)
    return X[p].astype(np.float32), y[p]


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=0):
    """A small circle (class 1, radius ``factor``) inside a large one (class 0, radius 1)."""
    if not 0 < factor < 1:
        raise ValueError(f"make_circles: factor must be in (0, 1), got {factor}")
    rng = _rng(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.c_[np.cos(t_out), np.sin(t_out)],
                   factor * np.c_[np.cos(t_in), np.sin(t_in)]])
    y = np.r_[np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)]
    X = X + noise * rng.standard_normal(X.shape)
    p = rng.permutation(n_samples)
    return X[p].astype(np.float32), y[p]


def make_blobs(n_samples=200, centers=((-1.0, -1.0), (1.0, 1.0)), std=0.5, seed=0):
    """Gaussian blobs around the given centres (linearly separable for the perceptron)."""
    rng = _rng(seed)
    centers = np.asarray(centers, dtype=np.float64)
    k = len(centers)
    y = np.arange(n_samples, dtype=np.int64) % k
    X = centers[y] + std * rng.standard_normal((n_samples, centers.shape[1]))
    p = rng.permutation(n_samples)
    return X[p].astype(np.float32), y[p]


def make_sine(n_points=200, periods=4.0, noise=0.0, seed=0):
    """One sampled sine wave: ``t`` in ``[0, 2 pi periods)`` and ``sin t (+ noise)``."""
    rng = _rng(seed)
    t = np.linspace(0, 2 * np.pi * periods, n_points, endpoint=False)
    x = np.sin(t) + noise * rng.standard_normal(n_points)
    return t.astype(np.float32), x.astype(np.float32)


def sine_sequences(n_sequences=256, seq_len=50, noise=0.0, seed=0, batch_first=True):
    """Next-value prediction on random sine waves, for RNNs.

    Each sequence is ``sin(w t + phi)`` at ``seq_len + 1`` steps ``t = 0, 0.1, ...`` with random
    frequency ``w ~ U(0.5, 1.5)`` and phase ``phi ~ U(0, 2 pi)``. Returns inputs ``X`` (the first
    ``seq_len`` values) and targets ``Y`` (the values one step later), each of shape
    ``(n_sequences, seq_len, 1)`` (``batch_first``) or ``(seq_len, n_sequences, 1)``.
    """
    rng = _rng(seed)
    w = rng.uniform(0.5, 1.5, size=(n_sequences, 1))
    phi = rng.uniform(0, 2 * np.pi, size=(n_sequences, 1))
    t = 0.1 * np.arange(seq_len + 1)[None, :]
    s = np.sin(w * t + phi) + noise * rng.standard_normal((n_sequences, seq_len + 1))
    X = s[:, :-1, None].astype(np.float32)
    Y = s[:, 1:, None].astype(np.float32)
    if not batch_first:
        X, Y = X.transpose(1, 0, 2).copy(), Y.transpose(1, 0, 2).copy()
    return X, Y
