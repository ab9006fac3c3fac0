"""Data sets: anything with ``__len__`` and ``__getitem__`` (as ``torch.utils.data.Dataset``).

``TensorDataset(*tensors)`` wraps equally long arrays or Tensors; item ``i`` is the tuple
``(t[i] for t in tensors)``. Inputs are stored as NumPy arrays (a Tensor's ``.data``), so
indexing a batch is one fancy-index per array.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Dataset", "TensorDataset", "random_split_indices"]


def _as_array(t):
    data = getattr(t, "data", t)
    return np.asarray(data)


class Dataset:
    """Base class: subclasses implement ``__len__`` and ``__getitem__``."""

    def __len__(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def __getitem__(self, index):  # pragma: no cover - abstract
        raise NotImplementedError


class TensorDataset(Dataset):
    """Dataset of equally long arrays/Tensors, indexed along the first dimension."""

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor, got none")
        arrays = tuple(_as_array(t) for t in tensors)
        n = arrays[0].shape[0] if arrays[0].ndim else None
        for i, a in enumerate(arrays):
            if a.ndim == 0 or a.shape[0] != n:
                raise ValueError(
                    "TensorDataset: size mismatch between tensors, expected first dimension "
                    f"{n} for all, got shape {a.shape} for tensor {i}")
        self.tensors = arrays

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        return tuple(a[index] for a in self.tensors)

    def __repr__(self):
        shapes = ", ".join(str(a.shape) for a in self.tensors)
        return f"TensorDataset({shapes})"


def random_split_indices(n, fractions=(0.8, 0.2), seed=0):
    """Split ``range(n)`` into seeded random index arrays with the given fractions."""
    if abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(f"random_split_indices: fractions must sum to 1, got {sum(fractions)}")
    perm = np.random.default_rng(seed).permutation(n)
    counts = [int(np.floor(f * n)) for f in fractions]
    counts[-1] = n - sum(counts[:-1])
    out, start = [], 0
    for c in counts:
        out.append(np.sort(perm[start:start + c]))
        start += c
    return out
