"""``DataLoader``: iterate over a data set in (shuffled) mini-batches.

As ``torch.utils.data.DataLoader(dataset, batch_size=1, shuffle=False, drop_last=False)``,
plus ``seed``: with ``shuffle=True`` the order of epoch ``k`` is drawn from a
``numpy.random.Generator`` seeded once with ``seed`` (so a run is reproducible and
successive epochs differ). ``seed=None`` draws from nnkit's global generator
(``nnkit.manual_seed``). No worker processes, no ``collate_fn``: batches are built with
one fancy-index per array and returned as Tensors (``requires_grad=False``): a tuple of
batches for items that are tuples, a dict for dicts, and the batch itself for items that are
one array, as PyTorch's default collate (which gives a list, not a tuple, for tuple items).
"""
from __future__ import annotations

import numpy as np

from ..random import get_rng
from ..tensor import Tensor
from .dataset import TensorDataset

__all__ = ["DataLoader"]


def _stack(values):
    """One batch array from the items' values (arrays, Tensors or numbers)."""
    return np.stack([np.asarray(v.data if isinstance(v, Tensor) else v) for v in values])


class DataLoader:
    """Mini-batches of ``dataset`` of size ``batch_size`` (the last may be smaller unless
    ``drop_last``), in order or freshly shuffled every epoch.

    Book: ch-08-optimizers (eq-08-sgd)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, seed=None, drop_last=False,
                 as_tensor=True):
        if int(batch_size) != batch_size or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.drop_last = bool(drop_last)
        self.as_tensor = as_tensor
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self._rng if self._rng is not None else get_rng()
        return rng.permutation(n)

    def __iter__(self):
        order = self._order()
        n, bs = len(order), self.batch_size
        stop = n - n % bs if self.drop_last else n
        fast = isinstance(self.dataset, TensorDataset)
        wrap = Tensor if self.as_tensor else (lambda a: a)
        for start in range(0, stop, bs):
            idx = order[start:start + bs]
            if fast:
                yield tuple(wrap(a) for a in self.dataset[idx])
                continue
            items = [self.dataset[int(i)] for i in idx]
            first = items[0]
            if isinstance(first, (tuple, list)):          # (x, y) pairs: a tuple of batches
                yield tuple(wrap(_stack(col)) for col in zip(*items))
            elif isinstance(first, dict):                   # dicts: a dict of batches, as PyTorch
                yield {k: wrap(_stack([it[k] for it in items])) for k in first}
            else:                                           # one array per item: the batch itself
                yield wrap(_stack(items))

    def __repr__(self):
        return (f"DataLoader(dataset={self.dataset!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")
