"""Dropout: ``dropout`` (inverted dropout, one graph node) and the ``Dropout`` layer (as
``torch.nn.Dropout``): in training mode each element is zeroed with probability ``p`` and the
survivors are scaled by 1/(1-p); in eval mode it is the identity."""
from __future__ import annotations

import numpy as np

from ..random import get_rng
from ..tensor import Tensor, as_tensor
from .module import Module

__all__ = ["dropout", "Dropout"]


def _check_p(p, fn):
    if not (0 <= p < 1):
        raise ValueError(f"{fn}: p must be in [0, 1), got {p}")


def dropout(input, p=0.5, training=True, inplace=False):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1 / (1 - p), so the expectation is unchanged; identity when not ``training``.
    The mask comes from nnkit's generator (``nnkit.manual_seed``). Unlike PyTorch, ``p = 1``
    is rejected (it would zero everything); ``inplace`` is accepted, but nnkit always returns a
    new tensor.

    Book: ch-09-regularization (eq-09-dropout)."""
    _check_p(p, "dropout")
    x = as_tensor(input)
    if not training or p == 0:
        return x
    keep = get_rng().random(x.shape, dtype=np.float32) >= p
    scale = np.asarray(1.0 / (1.0 - p), dtype=x.data.dtype if x.data.dtype.kind == "f" else np.float32)
    mask = keep * scale
    out = Tensor._make(x.data * mask, (x,), "dropout")
    def _backward():
        x._accum_grad(out.grad * mask, fresh=True)
    out._backward = _backward
    return out


class Dropout(Module):
    """Zero each element with probability ``p`` and scale survivors by 1/(1-p) while training.
    ``p`` must be in [0, 1) (PyTorch also allows 1).

    Book: ch-09-regularization (eq-09-dropout)."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        _check_p(p, "Dropout")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
