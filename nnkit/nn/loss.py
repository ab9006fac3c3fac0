"""Losses: the functions (each one graph node: the loss and its gradient written out together)
and their modules (as ``torch.nn``; each takes ``reduction='mean'|'sum'|'none'`` and is called as
``loss_fn(input, target)``), plus ``one_hot``.

- regression: ``mse_loss`` / ``MSELoss``, ``l1_loss`` / ``L1Loss``;
- two classes: ``binary_cross_entropy`` / ``BCELoss`` on probabilities,
  ``binary_cross_entropy_with_logits`` / ``BCEWithLogitsLoss`` on logits (stable);
- C classes: ``cross_entropy`` / ``CrossEntropyLoss`` on logits (log-softmax and NLL fused),
  ``nll_loss`` / ``NLLLoss`` on log-probabilities.
"""
from __future__ import annotations

import numpy as np

from ..dtypes import result_type
from ..tensor import Tensor, as_tensor
from .module import Module

__all__ = ["mse_loss", "l1_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits",
           "cross_entropy", "nll_loss", "one_hot", "MSELoss", "L1Loss", "BCELoss", "BCEWithLogitsLoss",
           "CrossEntropyLoss", "NLLLoss"]


def _check_reduction(reduction, fn):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _loss_args(fn, input, target, reduction):
    """``input`` and ``target`` as Tensors of one shape, for an elementwise loss. A target given as
    Python numbers (a list) takes the input's dtype; arrays and Tensors keep theirs."""
    _check_reduction(reduction, fn)
    x = as_tensor(input)
    if isinstance(target, (list, tuple, int, float)) and x.dtype.kind == "f":
        target = np.asarray(target, dtype=x.dtype)
    y = as_tensor(target)
    if x.shape != y.shape:
        raise ValueError(f"{fn}: expected target of the input's shape {tuple(x.shape)}, got target of "
                         f"shape {tuple(y.shape)} (nnkit does not broadcast losses; PyTorch warns)")
    return x, y


def _elementwise_loss(name, x, y, loss, dx, dy, weight, reduction):
    """Fused loss node from elementwise ``loss`` and its partials ``dx``/``dy`` (arrays)."""
    if weight is not None:
        wd = as_tensor(weight).data
        loss = loss * wd
        dx = dx * wd
        dy = None if dy is None else dy * wd
    dt = x.data.dtype if y.data.dtype == x.data.dtype else result_type(x.data, y.data)   # f32, f64: f64
    if dt.kind != "f":
        dt = x.data.dtype
    if reduction == "none":
        val = loss.astype(dt, copy=False)
    elif reduction == "sum":
        val = np.asarray(loss.sum(), dtype=dt)
    else:
        val = np.asarray(loss.mean() if loss.size else np.nan, dtype=dt)
    parents = (x, y) if (dy is not None and y.requires_grad) else (x,)
    out = Tensor._make(val, parents, name)
    def _backward():
        g = out.grad
        if reduction == "mean":
            g = g / max(loss.size, 1)
        if x.requires_grad:
            x._accum_grad(np.asarray(g * dx, dtype=x.data.dtype), fresh=True)
        if dy is not None and y.requires_grad:
            y._accum_grad(np.asarray(g * dy, dtype=y.data.dtype))
    out._backward = _backward
    return out


def mse_loss(input, target, reduction="mean"):
    """mean (or sum) of (x - y)^2.

    Book: ch-07-losses (eq-07-mse-mae, eq-07-mse-mae-grad)."""
    x, y = _loss_args("mse_loss", input, target, reduction)
    d = x.data - y.data
    return _elementwise_loss("mse_loss", x, y, d * d, 2 * d, -2 * d, None, reduction)


def l1_loss(input, target, reduction="mean"):
    """mean (or sum) of |x - y| (gradient sign(x - y), 0 at 0).

    Book: ch-07-losses (eq-07-mse-mae, eq-07-mse-mae-grad)."""
    x, y = _loss_args("l1_loss", input, target, reduction)
    d = x.data - y.data
    s = np.sign(d)
    return _elementwise_loss("l1_loss", x, y, np.abs(d), s, -s, None, reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [y log(x) + (1 - y) log(1 - x)] on probabilities ``x`` in [0, 1]; each log is clamped
    to >= -100 (as PyTorch), so x = 0 or 1 gives a finite loss. Gradient as PyTorch:
    w (x - y) / max(x (1 - x), 1e-12). No gradient flows to ``target``.

    Book: ch-07-losses (eq-07-bce, eq-07-bce-grad)."""
    x, y = _loss_args("binary_cross_entropy", input, target, reduction)
    xd, yd = x.data, y.data
    if np.any((xd < 0) | (xd > 1)) or np.any(np.isnan(xd)):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                         "(pass probabilities, e.g. after sigmoid; or use binary_cross_entropy_with_logits)")
    if yd.dtype != xd.dtype:
        raise RuntimeError(f"binary_cross_entropy: expected target of the input's dtype {xd.dtype}, got "
                           f"{yd.dtype} (PyTorch: 'Found dtype ... but expected ...'); convert it with .to()")
    with np.errstate(divide="ignore"):
        lx = np.maximum(np.log(xd), -100)
        l1x = np.maximum(np.log1p(-xd), -100)
    loss = -(yd * lx + (1 - yd) * l1x)
    dx = (xd - yd) / np.maximum(xd * (1 - xd), 1e-12)
    return _elementwise_loss("binary_cross_entropy", x, y, loss, dx, None, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE on logits ``z``, in the stable form
    (1 - y) z + (1 + (p - 1) y) (log(1 + exp(-|z|)) + max(-z, 0)) with ``p = pos_weight``
    (1 if None). Gradient: (1 - y) - (1 + (p - 1) y) sigmoid(-z). No gradient to ``target``.

    Book: ch-07-losses (eq-07-bce, eq-07-stable)."""
    x, y = _loss_args("binary_cross_entropy_with_logits", input, target, reduction)
    z, yd = x.data, y.data
    sp = np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0)          # softplus(-z), stable
    sig_neg = np.exp(-np.logaddexp(0, z))                            # sigmoid(-z), stable
    if pos_weight is None:
        loss = (1 - yd) * z + sp
        dx = (1 - yd) - sig_neg
    else:
        pw = as_tensor(pos_weight).data
        l = 1 + (pw - 1) * yd
        loss = (1 - yd) * z + l * sp
        dx = (1 - yd) - l * sig_neg
    return _elementwise_loss("binary_cross_entropy_with_logits", x, y, loss, dx, None, weight, reduction)


def _class_last(x):
    """(N, C, d1, ...) -> (N*d1*..., C) and the shape of the per-element result (N, d1, ...)."""
    if x.ndim == 1:
        return x[None, :], ()
    if x.ndim == 2:
        return x, (x.shape[0],)
    moved = np.moveaxis(x, 1, -1)
    return moved.reshape(-1, x.shape[1]), (x.shape[0],) + x.shape[2:]


def _class_first_back(g2, x_shape):
    """Inverse of ``_class_last`` for gradients."""
    if len(x_shape) == 1:
        return g2[0]
    if len(x_shape) == 2:
        return g2
    moved = g2.reshape((x_shape[0],) + x_shape[2:] + (x_shape[1],))
    return np.moveaxis(moved, -1, 1)


def _check_targets(fn, t, C, ignore_index, x_shape, want_shape):
    if t.dtype not in (np.int64, np.uint8):
        raise TypeError(f"{fn}: expected integer class indices as target (int64, or uint8, as PyTorch), got "
                        f"dtype {t.dtype}" + (" (convert with .long())" if t.dtype.kind in "iu" else ""))
    if tuple(t.shape) != tuple(want_shape):
        raise ValueError(f"{fn}: expected target of shape {tuple(want_shape)} for input of shape "
                         f"{tuple(x_shape)}, got target of shape {tuple(t.shape)}")
    bad = (t != ignore_index) & ((t < 0) | (t >= C))
    if bad.any():
        v = int(t[bad].ravel()[0])
        raise ValueError(f"{fn}: target {v} out of range for {C} classes")


def _nll_core(fn, name, x, logp2, tgt, shape, C, weight, ignore_index, reduction, label_smoothing,
              softmax_back):
    """Shared forward/backward of nll_loss and cross_entropy (class indices).

    Per element: (1 - e) * (-w[t] logp[t]) + e / C * (-sum_c w[c] logp[c]); 'mean' divides by
    sum of w[t] over non-ignored elements (PyTorch's convention)."""
    t = tgt.reshape(-1)
    valid = t != ignore_index
    ts = np.where(valid, t, 0)
    M = t.shape[0]
    rows = np.arange(M)
    wv = np.ones(C, dtype=logp2.dtype) if weight is None else as_tensor(weight).data.astype(logp2.dtype, copy=False)
    if weight is not None and wv.shape != (C,):
        raise ValueError(f"{fn}: expected weight of shape ({C},), got {tuple(wv.shape)}")
    wt = wv[ts] * valid                                           # (M,)
    e = float(label_smoothing)
    picked = logp2[rows, ts]
    per = -(1 - e) * wt * picked
    if e > 0:
        smooth = -(logp2 * wv).sum(axis=1) * valid
        per = per + (e / C) * smooth
    denom = wt.sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        if reduction == "none":
            val = per.reshape(shape).astype(logp2.dtype, copy=False)
        elif reduction == "sum":
            val = np.asarray(per.sum(), dtype=logp2.dtype)
        else:
            val = np.asarray(per.sum() / denom, dtype=logp2.dtype)
    out = Tensor._make(val, (x,), name)
    def _backward():
        g = out.grad
        if reduction == "none":
            gi = g.reshape(-1)
        elif reduction == "sum":
            gi = np.broadcast_to(g, (M,))
        else:
            with np.errstate(invalid="ignore", divide="ignore"):
                gi = np.broadcast_to(g / denom, (M,))
        gi = gi.astype(logp2.dtype, copy=False)
        # A = dLoss/dlogp: -(1-e) w[t] gi at the target, -(e/C) w[c] gi v everywhere
        if e > 0:
            A = (-(e / C) * (gi * valid))[:, None] * wv[None, :]
        else:
            A = np.zeros_like(logp2)
        A[rows, ts] -= (1 - e) * wt * gi
        if softmax_back:
            # through log_softmax: dx = A - softmax * sum_c A
            A = A - np.exp(logp2) * A.sum(axis=1, keepdims=True)
        x._accum_grad(_class_first_back(A.astype(x.data.dtype, copy=False), x.shape))
    out._backward = _backward
    return out


def _log_softmax_rows(z):
    m = z.max(axis=1, keepdims=True)
    zs = z - m
    return zs - np.log(np.exp(zs).sum(axis=1, keepdims=True))


def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Cross entropy of logits (N, C) or (N, C, d1, ...) against integer class indices (N) /
    (N, d1, ...), or against class probabilities of the input's shape, fused with a stable
    log-softmax (log-sum-exp with the max subtracted). Gradient: softmax - one_hot (scaled).

    Supports ``weight``, ``ignore_index`` (index targets), ``label_smoothing`` and the three
    reductions, with PyTorch's normalisation for 'mean' (divides by the summed weights of the
    non-ignored targets).

    Book: ch-07-losses (eq-07-ce, eq-07-ce-grad, eq-07-stable)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = as_tensor(input)
    if x.ndim < 1:
        raise ValueError("cross_entropy: expected input of shape (N, C) or (N, C, d1, ...), got a scalar")
    tgt = target.data if isinstance(target, Tensor) else np.asarray(target)
    C = x.shape[1] if x.ndim >= 2 else x.shape[0]
    z2, shape = _class_last(x.data)
    logp2 = _log_softmax_rows(z2)
    if tgt.dtype.kind == "f":                                   # class probabilities
        if tgt.shape != x.shape:
            raise ValueError(f"cross_entropy: expected probability target of the input's shape "
                             f"{tuple(x.shape)}, got {tuple(tgt.shape)}")
        p2, _ = _class_last(tgt)
        if label_smoothing > 0:
            p2 = p2 * (1 - label_smoothing) + label_smoothing / C
        wv = 1.0 if weight is None else as_tensor(weight).data
        coef = p2 * wv                                          # (M, C)
        per = -(coef * logp2).sum(axis=1)
        M = per.shape[0]
        dt = result_type(x.data, tgt)                           # float32 logits, float64 target: float64
        if reduction == "none":
            val = per.reshape(shape).astype(dt, copy=False)
        elif reduction == "sum":
            val = np.asarray(per.sum(), dtype=dt)
        else:
            val = np.asarray(per.sum() / (M if x.ndim >= 2 else 1), dtype=dt)
        out = Tensor._make(val, (x,), "cross_entropy")
        def _backward():
            g = out.grad
            gi = g.reshape(-1) if reduction == "none" else np.broadcast_to(
                g / (M if (reduction == "mean" and x.ndim >= 2) else 1), (M,))
            A = -coef * gi[:, None]
            A = A - np.exp(logp2) * A.sum(axis=1, keepdims=True)
            x._accum_grad(_class_first_back(A.astype(x.data.dtype, copy=False), x.shape))
        out._backward = _backward
        return out
    _check_targets("cross_entropy", tgt, C, ignore_index, x.shape, shape)
    return _nll_core("cross_entropy", "cross_entropy", x, logp2, tgt, shape, C, weight, ignore_index,
                     reduction, label_smoothing, softmax_back=True)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities (N, C) or (N, C, d1, ...) at integer
    targets: -w[t] logp[t]; 'mean' divides by the summed weights of the non-ignored targets.

    Book: ch-07-losses (eq-07-ce)."""
    _check_reduction(reduction, "nll_loss")
    x = as_tensor(input)
    tgt = target.data if isinstance(target, Tensor) else np.asarray(target)
    C = x.shape[1] if x.ndim >= 2 else x.shape[0]
    logp2, shape = _class_last(x.data)
    _check_targets("nll_loss", tgt, C, ignore_index, x.shape, shape)
    return _nll_core("nll_loss", "nll_loss", x, logp2, tgt, shape, C, weight, ignore_index,
                     reduction, 0.0, softmax_back=False)


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot rows (a new last dimension of ``num_classes``).

    Book: ch-07-losses (eq-07-ce)."""
    t = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    n = int(t.max()) + 1 if num_classes < 0 else num_classes
    if t.size and (t.min() < 0 or t.max() >= n):
        raise ValueError(f"one_hot: class values must be in [0, {n}), got range [{t.min()}, {t.max()}]")
    return Tensor(np.eye(n, dtype=np.int64)[t])


# ============================================================================= modules
class _Loss(Module):
    def __init__(self, reduction="mean"):
        super().__init__()
        _check_reduction(reduction, type(self).__name__)
        self.reduction = reduction

    def extra_repr(self):
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """(x - y)^2, averaged or summed.

    Book: ch-07-losses (eq-07-mse-mae)."""

    def forward(self, input, target):
        return mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|x - y|, averaged or summed.

    Book: ch-07-losses (eq-07-mse-mae)."""

    def forward(self, input, target):
        return l1_loss(input, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross entropy on probabilities (logs clamped at -100).

    Book: ch-07-losses (eq-07-bce)."""

    def __init__(self, weight=None, reduction="mean"):
        super().__init__(reduction)
        self.weight = weight

    def forward(self, input, target):
        return binary_cross_entropy(input, target, self.weight, self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross entropy in one stable expression.

    Book: ch-07-losses (eq-07-bce, eq-07-stable)."""

    def __init__(self, weight=None, reduction="mean", pos_weight=None):
        super().__init__(reduction)
        self.weight, self.pos_weight = weight, pos_weight

    def forward(self, input, target):
        return binary_cross_entropy_with_logits(input, target, self.weight, self.reduction, self.pos_weight)


class CrossEntropyLoss(_Loss):
    """Logits + integer targets (or class probabilities), fused stable log-softmax + NLL.

    Book: ch-07-losses (eq-07-ce, eq-07-ce-grad)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0):
        super().__init__(reduction)
        self.weight, self.ignore_index, self.label_smoothing = weight, ignore_index, label_smoothing

    def forward(self, input, target):
        return cross_entropy(input, target, self.weight, self.ignore_index, self.reduction,
                               self.label_smoothing)


class NLLLoss(_Loss):
    """Negative log-likelihood of log-probabilities (use after LogSoftmax).

    Book: ch-07-losses (eq-07-ce)."""

    def __init__(self, weight=None, ignore_index=-100, reduction="mean"):
        super().__init__(reduction)
        self.weight, self.ignore_index = weight, ignore_index

    def forward(self, input, target):
        return nll_loss(input, target, self.weight, self.ignore_index, self.reduction)
