"""``embedding`` and ``Embedding`` (as ``torch.nn.functional.embedding`` / ``torch.nn.Embedding``):
a lookup table from integer indices to learned vectors.

    out[..., :] = weight[input[...], :]

An embedding is a linear layer applied to one-hot vectors, ``one_hot(i) @ weight``, computed
without building the one-hot matrix in the forward, which is one gather. The backward adds each
output gradient into the row it came from (repeated indices add up): as one product with the
one-hot matrix when that is small, else with ``np.add.at``.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from .module import Module, Parameter

__all__ = ["Embedding", "embedding"]

_ONE_HOT_MAX = 1 << 22        # backward through a one-hot matrix up to this many entries


def _check_padding_idx(padding_idx, num_embeddings, fn):
    """PyTorch's rule: ``padding_idx`` in [-num_embeddings, num_embeddings), negative counts from
    the end. Returns the non-negative index, or None."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{fn}: padding_idx must be within [-{num_embeddings}, {num_embeddings}) "
                         f"for num_embeddings={num_embeddings}, got {padding_idx}")
    return padding_idx % num_embeddings


def embedding(input, weight, padding_idx=None):
    """Rows of ``weight`` (num_embeddings, embedding_dim) picked by the integer ``input`` of any
    shape; the result has shape ``input.shape + (embedding_dim,)``.

    ``padding_idx``: that row receives no gradient (its value is used as it is; ``nn.Embedding``
    initialises it to zeros). As ``torch.nn.functional.embedding`` without ``max_norm``,
    ``scale_grad_by_freq`` and ``sparse``. Raises ``TypeError`` for non-integer indices and
    ``IndexError`` for an index outside [0, num_embeddings) (PyTorch: "index out of range").

    Book: ch-13-attention (tokens to vectors, before eq-13-sinusoid)."""
    w = weight if isinstance(weight, Tensor) else Tensor(weight)
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if w.ndim != 2:
        raise ValueError(f"embedding: expected a 2-D weight (num_embeddings, embedding_dim), got "
                         f"weight of shape {tuple(w.shape)}")
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: expected integer indices (int64 or int32), got dtype {idx.dtype}")
    V = w.shape[0]
    if idx.size and (idx.min() < 0 or idx.max() >= V):
        bad = idx[(idx < 0) | (idx >= V)].ravel()[0]
        raise IndexError(f"embedding: index {int(bad)} out of range for an embedding of "
                         f"{V} rows (valid indices 0..{V - 1})")
    pad = _check_padding_idx(padding_idx, V, "embedding")
    out = Tensor._make(w.data[idx], (w,), "embedding")

    def _backward():
        flat, g_out = idx.reshape(-1), out.grad.reshape(-1, w.shape[1])
        if V * flat.size <= _ONE_HOT_MAX:
            # small table: dW = onehot^T g, one matrix product (much faster than np.add.at)
            onehot = np.zeros((V, flat.size), dtype=g_out.dtype)
            onehot[flat, np.arange(flat.size)] = 1
            g = onehot @ g_out
        else:
            g = np.zeros_like(w.data)
            np.add.at(g, flat, g_out)               # repeated indices add up
        if pad is not None:
            g[pad] = 0
        w._accum_grad(g)
    out._backward = _backward
    return out


class Embedding(Module):
    """A table of ``num_embeddings`` learned vectors of size ``embedding_dim``: ``weight`` of shape
    (num_embeddings, embedding_dim), initialised N(0, 1) as PyTorch; the row ``padding_idx`` (if
    given) starts at zero and is never updated by gradients.

    ``Embedding(V, D)(x)`` maps integer ``x`` of any shape to ``x.shape + (D,)``. Without PyTorch's
    ``max_norm``, ``norm_type``, ``scale_grad_by_freq`` and ``sparse``.

    Book: ch-13-attention (tokens to vectors, before eq-13-sinusoid)."""

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, _weight=None, _freeze=False,
                 dtype=np.float32):
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        if self.num_embeddings < 1 or self.embedding_dim < 1:
            raise ValueError(f"Embedding: num_embeddings and embedding_dim must be positive, got "
                             f"{num_embeddings} and {embedding_dim}")
        self.padding_idx = _check_padding_idx(padding_idx, self.num_embeddings, "Embedding")
        if _weight is None:
            self.weight = Parameter(np.empty((self.num_embeddings, self.embedding_dim), dtype=dtype),
                                    requires_grad=not _freeze)
            self.reset_parameters()
        else:
            arr = np.asarray(_weight.data if isinstance(_weight, Tensor) else _weight)
            if arr.shape != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({self.num_embeddings}, "
                                 f"{self.embedding_dim}), got {arr.shape}")
            self.weight = Parameter(arr.astype(dtype if arr.dtype.kind != "f" else arr.dtype, copy=True),
                                    requires_grad=not _freeze)

    def reset_parameters(self):
        from . import init
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0

    def forward(self, input):
        return embedding(input, self.weight, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding a copy of the 2-D ``embeddings``; frozen (no gradient) by default."""
        arr = np.asarray(embeddings.data if isinstance(embeddings, Tensor) else embeddings)
        if arr.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected a 2-D array, got shape {arr.shape}")
        return cls(arr.shape[0], arr.shape[1], padding_idx=padding_idx, _weight=arr, _freeze=freeze,
                   dtype=arr.dtype)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
