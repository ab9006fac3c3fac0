"""Stochastic gradient descent, in PyTorch's form (``torch.optim.SGD``).

With gradient ``g``, weight decay ``wd``, momentum ``mu``, dampening ``tau``:

    g <- g + wd * p
    b <- g                              (first step)
    b <- mu * b + (1 - tau) * g         (later steps)
    g <- g + mu * b  if nesterov else  b
    p <- p - lr * g

Relation to the lecture notes' ``v <- mu v - lr g; p <- p + v``: with ``tau = 0`` and a constant
``lr`` the two are the same trajectory, ``v = -lr * b`` (PyTorch keeps the learning rate out of
the buffer, so changing ``lr`` mid-run takes effect at once instead of being remembered by ``v``).
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """SGD with optional momentum, dampening, Nesterov momentum and weight decay (the update rule
    is at the top of this file).

    Book: ch-08-optimizers (eq-08-sgd, eq-08-mom-note, eq-08-mom-torch)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, p, g, state, group):
        lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
        if wd != 0:
            g = g + wd * p.data
        if mu != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype, copy=True)
            else:
                buf *= mu
                buf += (1 - group["dampening"]) * g
            g = g + mu * buf if group["nesterov"] else buf
        p.data -= lr * g
