"""Normalisation: ``batch_norm`` and ``layer_norm`` (each one graph node with a closed-form
backward) and the layers ``BatchNorm1d``, ``BatchNorm2d`` and ``LayerNorm`` (as ``torch.nn``).

Both compute y = (x - mean) / sqrt(var + eps) * weight + bias; they differ in the axes of the
statistics: batch norm over the batch (and space) for each channel, layer norm over the last
dimensions of each sample. With xhat = (x - mean) / sqrt(var + eps) and gh = dL/dy * weight,
the backward over the m normalised elements is

    dL/dx = (gh - mean(gh) - xhat * mean(gh * xhat)) / sqrt(var + eps)
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor
from ._helpers import _check_dtypes
from .module import Module, Parameter

__all__ = ["batch_norm", "layer_norm", "BatchNorm1d", "BatchNorm2d", "LayerNorm"]


def _buf(t):
    return None if t is None else (t.data if isinstance(t, Tensor) else t)


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation over every dimension but the channel dimension 1:

        y = (x - mean) / sqrt(var + eps) * weight + bias

    In training, ``mean``/``var`` are the batch's (biased variance) and the running
    statistics are updated in place: ``r <- (1 - momentum) r + momentum * stat``, using the
    *unbiased* variance n/(n-1) var for ``running_var`` (as PyTorch). In eval the running
    statistics are used. Input (N, C), (N, C, L) or (N, C, H, W).

    Book: ch-12-deep-networks (eq-12-norm)."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected 2-D or higher input (N, C, ...), got shape {tuple(x.shape)}")
    C = x.shape[1]
    w = None if weight is None else as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    for name, t in (("weight", w), ("bias", b), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(np.shape(_buf(t))) != (C,):
            raise ValueError(f"batch_norm: expected input with {C} channels to match {name} of shape "
                             f"{tuple(np.shape(_buf(t)))}, got input of shape {tuple(x.shape)}")
    _check_dtypes("batch_norm", x, weight=w, bias=b, running_mean=_buf(running_mean), running_var=_buf(running_var))
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (1, C) + (1,) * (x.ndim - 2)
    xd = x.data
    n = xd.size // C
    use_batch = training or running_mean is None or running_var is None
    if use_batch:
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input of shape {tuple(x.shape)}")
        mean = xd.mean(axis=axes, keepdims=True)
        xc = xd - mean
        var = np.mean(xc * xc, axis=axes, keepdims=True)
        if training and running_mean is not None:
            rm, rv = _buf(running_mean), _buf(running_var)
            rm *= 1 - momentum
            rm += momentum * mean.reshape(C)
            rv *= 1 - momentum
            rv += momentum * var.reshape(C) * (n / (n - 1))
    else:
        mean = _buf(running_mean).reshape(bshape).astype(xd.dtype, copy=False)
        var = _buf(running_var).reshape(bshape).astype(xd.dtype, copy=False)
        xc = xd - mean
    invstd = (1.0 / np.sqrt(var + eps)).astype(xd.dtype, copy=False)
    xhat = xc * invstd
    y = xhat * w.data.reshape(bshape) if w is not None else xhat.copy()
    if b is not None:
        y += b.data.reshape(bshape)
    parents = tuple(t for t in (x, w, b) if t is not None)
    out = Tensor._make(y, parents, "batch_norm")
    def _backward():
        g = out.grad
        if w is not None and w.requires_grad:
            w._accum_grad((g * xhat).sum(axis=axes).astype(w.data.dtype, copy=False), fresh=True)
        if b is not None and b.requires_grad:
            b._accum_grad(g.sum(axis=axes).astype(b.data.dtype, copy=False), fresh=True)
        if x.requires_grad:
            gh = g * w.data.reshape(bshape) if w is not None else g
            if use_batch:
                # dx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat))
                m1 = gh.mean(axis=axes, keepdims=True)
                m2 = (gh * xhat).mean(axis=axes, keepdims=True)
                x._accum_grad(invstd * (gh - m1 - xhat * m2), fresh=True)
            else:
                x._accum_grad(gh * invstd, fresh=True)
    out._backward = _backward
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample (biased
    variance), then scale by ``weight`` and shift by ``bias`` (elementwise, that shape).

    Book: ch-12-deep-networks (eq-12-norm)."""
    x = as_tensor(input)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if tuple(x.shape[x.ndim - k:]) != ns or x.ndim < k:
        raise ValueError(f"layer_norm: expected input with trailing shape {ns}, got input of shape "
                         f"{tuple(x.shape)}")
    w = None if weight is None else as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    _check_dtypes("layer_norm", x, weight=w, bias=b)
    axes = tuple(range(x.ndim - k, x.ndim))
    lead = tuple(range(x.ndim - k))
    xd = x.data
    mean = xd.mean(axis=axes, keepdims=True)
    xc = xd - mean
    var = np.mean(xc * xc, axis=axes, keepdims=True)
    invstd = (1.0 / np.sqrt(var + eps)).astype(xd.dtype, copy=False)
    xhat = xc * invstd
    y = xhat * w.data if w is not None else xhat.copy()
    if b is not None:
        y += b.data
    out = Tensor._make(y, tuple(t for t in (x, w, b) if t is not None), "layer_norm")
    def _backward():
        g = out.grad
        if w is not None and w.requires_grad:
            w._accum_grad(np.asarray((g * xhat).sum(axis=lead), dtype=w.data.dtype), fresh=True)
        if b is not None and b.requires_grad:
            b._accum_grad(np.asarray(g.sum(axis=lead), dtype=b.data.dtype), fresh=True)
        if x.requires_grad:
            gh = g * w.data if w is not None else g
            m1 = gh.mean(axis=axes, keepdims=True)
            m2 = (gh * xhat).mean(axis=axes, keepdims=True)
            x._accum_grad(invstd * (gh - m1 - xhat * m2), fresh=True)
    out._backward = _backward
    return out


# ============================================================================= layers
class _BatchNorm(Module):
    _ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 dtype=np.float32):
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def forward(self, input):
        shape = tuple(input.shape)
        if len(shape) not in self._ndims:
            raise ValueError(f"{type(self).__name__}: expected {' or '.join(f'{d}-D' for d in self._ndims)} "
                             f"input, got input of shape {shape}")
        if shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected input with {self.num_features} channels "
                             f"(dim 1), got input of shape {shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if self.momentum is None:            # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or not self.track_running_stats
        return batch_norm(input,
                            self.running_mean if (not self.training or self.track_running_stats) else None,
                            self.running_var if (not self.training or self.track_running_stats) else None,
                         self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Per-feature batch normalisation of (N, C) or (N, C, L) input:
    y = (x - mean) / sqrt(var + eps) * weight + bias; batch statistics while training (biased
    variance to normalise, unbiased variance into ``running_var``; momentum 0.1), running
    statistics in eval mode.

    Book: ch-12-deep-networks (eq-12-norm)."""

    _ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Per-channel batch normalisation of (N, C, H, W) input (statistics over N, H, W).

    Book: ch-12-deep-networks (eq-12-norm)."""

    _ndims = (4,)


class LayerNorm(Module):
    """Normalise each sample over its last dimensions ``normalized_shape``;
    elementwise affine ``weight`` (ones) and ``bias`` (zeros; none with ``bias=False``) of that shape.

    Book: ch-12-deep-networks (eq-12-norm)."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float32):
        super().__init__()
        ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = ns, eps, elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(np.ones(ns, dtype=dtype))
        else:
            self.register_parameter("weight", None)
        if elementwise_affine and bias:
            self.bias = Parameter(np.zeros(ns, dtype=dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, input):
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
