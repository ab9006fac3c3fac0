"""Gradient clipping, as ``torch.nn.utils.clip_grad_norm_``.

An exploding gradient (chapter 11) makes one training step huge. Clipping by the total norm keeps the
gradient's direction and bounds its length: all gradients are scaled by the same factor
``min(1, max_norm / (total_norm + 1e-6))``, where ``total_norm`` is the norm of all gradients
concatenated into one vector.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from ...tensor import Tensor

__all__ = ["clip_grad_norm_"]


def _vector_norm(g: np.ndarray, p: float) -> np.ndarray:
    """``torch.linalg.vector_norm(g, p)`` of a flat array, as a 0-d array of ``g``'s dtype.

    Finite ``p > 0`` divides by ``max|g|`` first, so squares of huge gradients cannot overflow to
    inf while the norm itself is representable.
    """
    a = np.abs(g.reshape(-1))
    if a.size == 0:
        return np.zeros((), dtype=g.dtype)
    if p == math.inf:
        return a.max()
    if p == -math.inf:
        return a.min()
    if p == 0:
        return np.asarray(np.count_nonzero(a), dtype=g.dtype)
    if p > 0:
        scale = a.max()
        if not np.isfinite(scale) or scale == 0:
            return np.asarray(scale, dtype=g.dtype)     # inf, nan or an all-zero gradient
        return np.asarray(scale * np.sum((a / scale) ** p) ** (1 / p), dtype=g.dtype)
    with np.errstate(divide="ignore"):                  # negative p: as torch, 0 ** p = inf
        return np.asarray(np.sum(a ** p) ** (1 / p), dtype=g.dtype)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Scale the gradients of ``parameters`` in place so that their total norm is at most ``max_norm``.

    - ``parameters``: one Tensor or an iterable of Tensors; those whose ``.grad`` is ``None`` are
      skipped.
    - ``max_norm``: the largest allowed total norm.
    - ``norm_type``: the order ``p`` of the norm (``2.0``, ``1``, ``float("inf")``, ...). The total
      norm is the ``p``-norm of the vector of the per-parameter ``p``-norms, as in PyTorch; for
      ``p > 0`` and ``inf`` that is the ``p``-norm of all gradients concatenated.
    - ``error_if_nonfinite``: raise ``RuntimeError`` if the total norm is nan or inf (otherwise the
      gradients are scaled by it anyway, and become nan or zero, as in PyTorch).
    - ``foreach``: accepted for PyTorch compatibility (``None``, ``True`` or ``False``); NumPy has
      one implementation, so it changes nothing.

    Returns the total norm of the gradients *before* clipping, as a 0-d Tensor (``0.0`` if no
    parameter has a gradient). The scale factor is ``min(1, max_norm / (total_norm + 1e-6))``, so
    gradients already inside the ball are left unchanged.

    Differences from PyTorch, on purpose: a negative or nan ``max_norm`` raises ``ValueError``
    (PyTorch would flip the gradients' sign or fill them with nan), and finite norms are computed
    with a rescaling that does not overflow.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        try:
            parameters = list(parameters)
        except TypeError:
            raise TypeError("clip_grad_norm_: parameters must be a Tensor or an iterable of Tensors, "
                            f"got {type(parameters).__name__}") from None
    for i, p in enumerate(parameters):
        if not isinstance(p, Tensor):
            raise TypeError(f"clip_grad_norm_: parameters[{i}] must be a Tensor, got {type(p).__name__}")
    for name, value in (("max_norm", max_norm), ("norm_type", norm_type)):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"clip_grad_norm_: {name} must be a real number, got {value!r}")
    max_norm, norm_type = float(max_norm), float(norm_type)
    if math.isnan(max_norm) or max_norm < 0:
        raise ValueError(f"clip_grad_norm_: max_norm must be a number >= 0, got {max_norm}")
    if math.isnan(norm_type):
        raise ValueError("clip_grad_norm_: norm_type must not be nan")
    if foreach is not None and not isinstance(foreach, bool):
        raise TypeError(f"clip_grad_norm_: foreach must be None, True or False, got {foreach!r}")

    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(np.zeros((), dtype=np.float32))
    dtype = np.result_type(*grads)
    norms = np.array([_vector_norm(g, norm_type) for g in grads], dtype=dtype)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite norm "
            "anyway, set `error_if_nonfinite=False`")
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        coef = np.minimum(dtype.type(max_norm) / (total + dtype.type(1e-6)), dtype.type(1.0))
        for g in grads:
            g *= coef.astype(g.dtype)
    return Tensor(np.asarray(total, dtype=dtype))
