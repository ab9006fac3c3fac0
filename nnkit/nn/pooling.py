"""Pooling: ``max_pool2d`` and ``avg_pool2d`` (fast), ``max_pool2d_naive`` and
``avg_pool2d_naive`` (the formulas as loops), and the layers ``MaxPool2d`` and ``AvgPool2d``
(as ``torch.nn``; no ``dilation``, ``ceil_mode``, ``return_indices``).

    max:  y[n, c, i, j] = max_{u, v} x_pad[n, c, s_h i + u, s_w j + v]   (padding is -inf)
    avg:  y[n, c, i, j] = sum_{u, v} x_pad[n, c, s_h i + u, s_w j + v] / (kH kW)

The fast versions loop over the kH*kW kernel offsets instead of the output pixels (each offset
is one strided view of the whole batch); the 2x2 / stride-2 max pool of every CNN in the book
has its own two-pass kernel. Tests check each against its ``_naive`` twin.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor
from ._helpers import _out_size, _pair, _tap
from .module import Module

__all__ = ["max_pool2d", "max_pool2d_naive", "avg_pool2d", "avg_pool2d_naive", "MaxPool2d", "AvgPool2d"]


def _pool_args(fn, x, kernel_size, stride, padding):
    kh, kw = _pair(kernel_size)
    sh, sw = (kh, kw) if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    if x.ndim not in (3, 4):
        raise ValueError(f"{fn}: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got input of "
                         f"shape {tuple(x.shape)}")
    if ph > kh // 2 or pw > kw // 2:
        raise ValueError(f"{fn}: pad should be at most half of effective kernel size, got "
                         f"padding {(ph, pw)} for kernel_size {(kh, kw)}")
    shape4 = x.shape if x.ndim == 4 else (1,) + x.shape
    oh, ow = _out_size(fn, shape4, kh, kw, sh, sw, ph, pw)
    return kh, kw, sh, sw, ph, pw, oh, ow


# ============================================================================= max pooling
def max_pool2d_naive(input, kernel_size, stride=None, padding=0):
    """max_pool2d written as loops over every output pixel (for reading and as a test oracle).

    Book: ch-10-cnn (eq-10-pool)."""
    x = as_tensor(input)
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args("max_pool2d_naive", x, kernel_size, stride, padding)
    xd = x.data if x.ndim == 4 else x.data[None]
    N, C = xd.shape[:2]
    xp = np.pad(xd.astype(np.float64), ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    y = np.zeros((N, C, oh, ow), dtype=xd.dtype)
    arg = {}
    for n in range(N):
        for c in range(C):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[n, c, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    u, v = np.unravel_index(np.argmax(patch), patch.shape)
                    y[n, c, i, j] = patch[u, v]
                    arg[n, c, i, j] = (i * sh + u, j * sw + v)
    out = Tensor._make(y if x.ndim == 4 else y[0], (x,), "max_pool2d_naive")
    def _backward():
        g = out.grad if x.ndim == 4 else out.grad[None]
        gxp = np.zeros(xp.shape, dtype=g.dtype)
        for (n, c, i, j), (u, v) in arg.items():
            gxp[n, c, u, v] += g[n, c, i, j]
        gx = gxp[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]]
        x._accum_grad(gx if x.ndim == 4 else gx[0])
    out._backward = _backward
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Maximum over each kH x kW window (stride defaults to the kernel size; padding counts as
    -inf), as ``torch.nn.functional.max_pool2d`` without ``dilation``/``ceil_mode``/
    ``return_indices``. The gradient goes to the first maximum of each window (row-major), as
    PyTorch's. The same numbers as ``max_pool2d_naive``: a running maximum over the kH*kW kernel
    offsets, or ``_max_pool_2x2`` for 2x2 windows at stride 2 on even sizes.

    Book: ch-10-cnn (eq-10-pool)."""
    x = as_tensor(input)
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    xd = x.data if x.ndim == 4 else x.data[None]
    if (kh, kw, sh, sw, ph, pw) == (2, 2, 2, 2, 0, 0) and xd.shape[2] % 2 == 0 \
            and xd.shape[3] % 2 == 0 and xd.flags.c_contiguous:
        return _max_pool_2x2(x, xd)
    if ph or pw:
        fill = -np.inf if xd.dtype.kind == "f" else np.iinfo(xd.dtype).min
        xp = np.pad(xd, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    else:
        xp = xd
    # running maximum over the kernel offsets k = (u, v) in row-major order; ``idx`` keeps the
    # first offset holding the maximum (a later one must be strictly larger), where the gradient goes
    y = _tap(xp, 0, 0, sh, sw, oh, ow).copy()
    idx = np.zeros(y.shape, dtype=np.int16)
    for k in range(1, kh * kw):
        s = _tap(xp, *divmod(k, kw), sh, sw, oh, ow)
        larger = s > y
        np.copyto(y, s, where=larger)
        np.copyto(idx, k, where=larger)
    out = Tensor._make(y if x.ndim == 4 else y[0], (x,), "max_pool2d")
    def _backward():
        g = out.grad if x.ndim == 4 else out.grad[None]
        gxp = np.zeros(xp.shape, dtype=g.dtype)
        for k in range(kh * kw):
            _tap(gxp, *divmod(k, kw), sh, sw, oh, ow)[...] += np.where(idx == k, g, 0)
        gx = gxp[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]] if (ph or pw) else gxp
        x._accum_grad(gx if x.ndim == 4 else gx[0])
    out._backward = _backward
    return out


def _max_pool_2x2(x, xd):
    """2x2 / stride-2 max pool of even-sized (N, C, H, W) input, in two passes of two slices,
    columns first:

        columns:  m[r, j] = max(x[r, 2j], x[r, 2j+1]),   right[r, j] = x[r, 2j+1] > x[r, 2j]
        rows:     y[i, j] = max(m[2i, j], m[2i+1, j]),   bottom[i, j] = m[2i+1, j] > m[2i, j]

    The strict ``>`` gives ties to the left column, then to the upper row: the gradient goes to
    the first maximum in row-major window order, as PyTorch (all of the upper row comes before
    the lower one, so the row pass needs no further tie rule). The backward routes g through
    the same two choices in reverse, rows (``bottom``) then columns (``right``): four products
    with boolean masks, each written straight into its slice of the result."""
    N, C, H, W = xd.shape
    oh, ow = H // 2, W // 2
    xl, xr = xd[..., 0::2], xd[..., 1::2]
    right = xr > xl
    m = np.maximum(xl, xr).reshape(N, C, oh, 2, ow)
    mt, mb = m[:, :, :, 0], m[:, :, :, 1]
    bottom = mb > mt
    y = np.maximum(mt, mb)
    squeeze = x.ndim == 3
    out = Tensor._make(y[0] if squeeze else y, (x,), "max_pool2d")
    def _backward():
        g = out.grad[None] if squeeze else out.grad
        gm = np.empty((N, C, oh, 2, ow), dtype=g.dtype)
        np.multiply(g, bottom, out=gm[:, :, :, 1])
        np.multiply(g, ~bottom, out=gm[:, :, :, 0])
        gm = gm.reshape(N, C, H, ow)
        gx = np.empty((N, C, H, W), dtype=g.dtype)
        np.multiply(gm, right, out=gx[..., 1::2])
        np.multiply(gm, ~right, out=gx[..., 0::2])
        x._accum_grad(gx[0] if squeeze else gx, fresh=True)
    out._backward = _backward
    return out


# ============================================================================= average pooling
def _avg_divisor(xd, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad):
    """kH*kW, or (count_include_pad=False) each window's number of non-padding elements (OH, OW)."""
    if count_include_pad or not (ph or pw):
        return np.asarray(kh * kw, dtype=xd.dtype)
    ones = np.pad(np.ones((1, 1) + xd.shape[2:], dtype=xd.dtype), ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return sum(_tap(ones, u, v, sh, sw, oh, ow) for u in range(kh) for v in range(kw))[0, 0]


def avg_pool2d_naive(input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """avg_pool2d written as loops over every output pixel (for reading and as a test oracle).

    Book: ch-10-cnn (eq-10-pool)."""
    x = as_tensor(input)
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args("avg_pool2d_naive", x, kernel_size, stride, padding)
    xd = x.data if x.ndim == 4 else x.data[None]
    N, C = xd.shape[:2]
    xp = np.pad(xd, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    inside = np.pad(np.ones(xd.shape[2:]), ((ph, ph), (pw, pw)))      # 1 on the input, 0 on padding
    div = np.zeros((oh, ow))
    y = np.zeros((N, C, oh, ow), dtype=xd.dtype)
    for i in range(oh):
        for j in range(ow):
            win = (slice(i * sh, i * sh + kh), slice(j * sw, j * sw + kw))
            div[i, j] = kh * kw if count_include_pad else inside[win].sum()
            for n in range(N):
                for c in range(C):
                    y[n, c, i, j] = xp[n, c][win].sum() / div[i, j]
    out = Tensor._make(y if x.ndim == 4 else y[0], (x,), "avg_pool2d_naive")
    def _backward():
        g = out.grad if x.ndim == 4 else out.grad[None]
        gxp = np.zeros(xp.shape, dtype=g.dtype)
        for i in range(oh):
            for j in range(ow):
                gxp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += (g[:, :, i, j] / div[i, j])[:, :, None, None]
        gx = gxp[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]]
        x._accum_grad(gx if x.ndim == 4 else gx[0])
    out._backward = _backward
    return out


def avg_pool2d(input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each kH x kW window (zero padding; the divisor is kH*kW when
    ``count_include_pad``, else the number of non-padding elements), as
    ``torch.nn.functional.avg_pool2d`` without ``ceil_mode``/``divisor_override``. The same
    numbers as ``avg_pool2d_naive``: a sum over the kH*kW kernel offsets, and in backward each
    offset's slice gets g / divisor.

    Book: ch-10-cnn (eq-10-pool)."""
    x = as_tensor(input)
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    xd = x.data if x.ndim == 4 else x.data[None]
    xp = np.pad(xd, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if (ph or pw) else xd
    div = _avg_divisor(xd, kh, kw, sh, sw, ph, pw, oh, ow, count_include_pad)
    y = _tap(xp, 0, 0, sh, sw, oh, ow).copy()
    for k in range(1, kh * kw):
        y += _tap(xp, *divmod(k, kw), sh, sw, oh, ow)
    y = (y / div).astype(xd.dtype, copy=False)
    out = Tensor._make(y if x.ndim == 4 else y[0], (x,), "avg_pool2d")
    def _backward():
        g = out.grad if x.ndim == 4 else out.grad[None]
        gd = (g / div).astype(g.dtype, copy=False)
        gxp = np.zeros(xp.shape, dtype=g.dtype)
        for k in range(kh * kw):
            _tap(gxp, *divmod(k, kw), sh, sw, oh, ow)[...] += gd
        gx = gxp[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]] if (ph or pw) else gxp
        x._accum_grad(gx if x.ndim == 4 else gx[0])
    out._backward = _backward
    return out


# ============================================================================= layers
class MaxPool2d(Module):
    """Maximum over kernel_size windows; ``stride`` defaults to ``kernel_size``.

    Book: ch-10-cnn (eq-10-pool)."""

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding

    def forward(self, input):
        return max_pool2d(input, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kernel_size windows; ``stride`` defaults to ``kernel_size``.

    Book: ch-10-cnn (eq-10-pool)."""

    def __init__(self, kernel_size, stride=None, padding=0, count_include_pad=True):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.count_include_pad = count_include_pad

    def forward(self, input):
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
