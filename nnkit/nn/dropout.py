"""``Dropout(p=0.5)``: inverted dropout in training mode, identity in eval mode."""
from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale survivors by 1/(1-p) while training.
    ``p`` must be in [0, 1) (PyTorch also allows 1)."""

    def __init__(self, p=0.5):
        super().__init__()
        if not (0 <= p < 1):
            raise ValueError(f"Dropout: p must be in [0, 1), got {p}")
        self.p = p

    def forward(self, input):
        return F.dropout(input, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}"
