"""RMSprop (``torch.optim.RMSprop``): steps scaled by a running RMS of the gradient.

    g <- g + wd * p
    v <- alpha * v + (1 - alpha) * g^2
    centered:  m <- alpha * m + (1 - alpha) * g;  d = sqrt(v - m^2) + eps
    otherwise: d = sqrt(v) + eps
    momentum > 0: b <- momentum * b + g / d;  p <- p - lr * b
    otherwise:    p <- p - lr * g / d
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running RMS of the gradient (the update rule is at the top of this file).

    Book: ch-08-optimizers (eq-08-rmsprop)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def _update(self, p, g, state, group):
        if not state:
            state["step"] = 0
            state["square_avg"] = np.zeros_like(p.data)
            if group["momentum"] > 0:
                state["momentum_buffer"] = np.zeros_like(p.data)
            if group["centered"]:
                state["grad_avg"] = np.zeros_like(p.data)
        state["step"] += 1
        alpha = group["alpha"]
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * (g * g)
        if group["centered"]:
            m = state["grad_avg"]
            m += (g - m) * (1 - alpha)
            avg = np.sqrt(v - m * m) + group["eps"]
        else:
            avg = np.sqrt(v) + group["eps"]
        if group["momentum"] > 0:
            b = state["momentum_buffer"]
            b *= group["momentum"]
            b += g / avg
            p.data -= group["lr"] * b
        else:
            p.data -= group["lr"] * g / avg
