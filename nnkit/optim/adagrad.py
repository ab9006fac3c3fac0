"""Adagrad (``torch.optim.Adagrad``): per-coordinate steps scaled by the accumulated squared
gradient.

    t <- t + 1;  g <- g + wd * p
    clr = lr / (1 + (t - 1) * lr_decay)
    G <- G + g * g                      (G starts at initial_accumulator_value)
    p <- p - clr * g / (sqrt(G) + eps)
"""
from __future__ import annotations

import numpy as np

from .optimizer import Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step divided by the root of its summed squared gradients (the
    update rule is at the top of this file).

    Book: ch-08-optimizers (eq-08-adagrad)."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(f"Invalid initial_accumulator_value value: {initial_accumulator_value}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))
        for group in self.param_groups:  # PyTorch creates the state eagerly
            for p in group["params"]:
                self._init_state(self.state[p], p, group)

    @staticmethod
    def _init_state(state, p, group):
        state["step"] = 0.0
        state["sum"] = np.full_like(p.data, group["initial_accumulator_value"])

    def _update(self, p, g, state, group):
        if not state:                      # a group added later by add_param_group
            self._init_state(state, p, group)
        state["step"] += 1
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * p.data
        clr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        s = state["sum"]
        s += g * g
        p.data -= clr * g / (np.sqrt(s) + group["eps"])
