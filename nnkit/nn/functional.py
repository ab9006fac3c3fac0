"""``nnkit.nn.functional`` (import as ``F``): the operations behind the layers, as
``torch.nn.functional``.

Each heavy op (linear, conv2d, pooling, batch/layer norm, the losses) is one fused graph node:
the forward is a few NumPy calls and the backward is written out by hand, so a training step
costs a handful of large array operations instead of many tiny ones. ``conv2d_naive`` and
``max_pool2d_naive`` are the readable loop versions (for the book and as test oracles).
"""
from __future__ import annotations


import ctypes
import os
import sys

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..autograd import get_rng
from ..tensor import Tensor

__all__ = ["relu", "leaky_relu", "elu", "prelu", "sigmoid", "tanh", "softmax", "log_softmax",
           "step", "linear", "conv2d", "conv2d_naive", "max_pool2d", "max_pool2d_naive",
           "avg_pool2d", "dropout", "batch_norm", "layer_norm", "mse_loss", "l1_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
           "nll_loss", "one_hot"]


# ============================================================================= helpers
def _tune_allocator():
    """Ask glibc's malloc to keep freed blocks of up to 32 MB in its heap (mmap threshold) and
    not to hand memory back to the OS until 256 MB are free (trim threshold).

    A training step allocates and frees the same large arrays every iteration; by default
    glibc maps each block > 128 KB afresh and unmaps it on free, so every step pays page
    faults to zero new pages (on this sandboxed machine about 1 ms per 3 MB: it made the CNN
    step ~1.6x slower). Called once when ``nnkit.nn`` is imported; Linux/glibc only; set the
    environment variable ``NNKIT_NO_MALLOPT=1`` to skip it. Returns True if applied."""
    if os.environ.get("NNKIT_NO_MALLOPT") or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-3, 32 * 1024 * 1024) and libc.mallopt(-1, 256 * 1024 * 1024))
    except (OSError, AttributeError):  # not glibc
        return False


def _t(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def _give(t, g):
    """Add a freshly computed gradient ``g`` (owned by the caller, same shape) into ``t.grad``.
    Same as ``t._accum_grad(g)`` but hands over the array instead of copying it when ``t`` has
    no gradient yet (saves one copy per parameter per step)."""
    if not t.requires_grad:
        return
    if t.grad is None and g.shape == t.data.shape and g.dtype == t.data.dtype and g.flags.c_contiguous \
            and g.flags.writeable and g.flags.owndata:
        t.grad = g
    else:
        t._accum_grad(g)


def _pair(v, name="kernel_size"):
    if isinstance(v, (tuple, list)):
        if len(v) != 2:
            raise ValueError(f"{name} must be an int or a pair, got {v!r}")
        return int(v[0]), int(v[1])
    return int(v), int(v)


def _check_reduction(reduction, fn):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


# ============================================================================= activations
def relu(input):
    """max(0, x)."""
    return _t(input).relu()


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return _t(input).sigmoid()


def tanh(input):
    return _t(input).tanh()


def softmax(input, dim=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (stable: the max is subtracted first)."""
    x = _t(input)
    return x.softmax(_softmax_dim(x.ndim) if dim is None else dim)


def log_softmax(input, dim=None):
    """x_i - log sum_j exp(x_j) along ``dim`` (log-sum-exp with the max subtracted)."""
    x = _t(input)
    return x.log_softmax(_softmax_dim(x.ndim) if dim is None else dim)


def _softmax_dim(ndim):  # PyTorch's legacy implicit dim
    return 0 if ndim in (0, 1, 3) else 1


def leaky_relu(input, negative_slope=0.01):
    """x if x > 0 else negative_slope * x."""
    x = _t(input)
    pos = x.data > 0
    out = Tensor._make(np.where(pos, x.data, x.data * negative_slope).astype(x.data.dtype, copy=False),
                       (x,), "leaky_relu")
    def _backward():
        x._accum_grad(np.where(pos, out.grad, out.grad * negative_slope))
    out._backward = _backward
    return out


def elu(input, alpha=1.0):
    """x if x > 0 else alpha (exp(x) - 1)."""
    x = _t(input)
    pos = x.data > 0
    em1 = np.expm1(np.minimum(x.data, 0))
    out = Tensor._make(np.where(pos, x.data, alpha * em1).astype(x.data.dtype, copy=False), (x,), "elu")
    def _backward():
        x._accum_grad(np.where(pos, out.grad, out.grad * (alpha * (em1 + 1))))
    out._backward = _backward
    return out


def prelu(input, weight):
    """x if x > 0 else a x, with learnable ``a`` (one value, or one per channel = dim 1)."""
    x, a = _t(input), _t(weight)
    n = a.data.size
    if n != 1 and (x.ndim < 2 or x.shape[1] != n):
        raise ValueError(f"prelu: expected input with {n} channels (dim 1) for weight of shape "
                         f"{a.shape}, got input of shape {x.shape}")
    shape = (1, n) + (1,) * (x.ndim - 2) if (n != 1 and x.ndim >= 2) else ()
    aw = a.data.reshape(shape) if shape else a.data.reshape(())
    pos = x.data > 0
    out = Tensor._make(np.where(pos, x.data, aw * x.data).astype(x.data.dtype, copy=False),
                       (x, a), "prelu")
    def _backward():
        g = out.grad
        x._accum_grad(np.where(pos, g, aw * g))
        if a.requires_grad:
            ga = np.where(pos, 0, g * x.data)
            if shape:
                ga = ga.sum(axis=tuple(i for i in range(x.ndim) if i != 1))
            else:
                ga = ga.sum()
            a._accum_grad(np.asarray(ga, dtype=a.data.dtype).reshape(a.shape))
    out._backward = _backward
    return out


def step(input):
    """Heaviside step of the perceptron: 1 where x >= 0, else 0 (not in PyTorch; its gradient
    is zero almost everywhere, so nothing flows back)."""
    x = _t(input)
    out = Tensor._make((x.data >= 0).astype(x.data.dtype if x.data.dtype.kind == "f" else np.float32),
                       (x,), "step")
    out._backward = lambda: None
    return out


# ============================================================================= linear
def linear(input, weight, bias=None):
    """y = x W^T + b, ``x`` of shape (*, in), ``W`` (out, in), ``b`` (out,).

    One matmul forward; backward dx = dy W, dW = dy^T x, db = sum(dy) (two matmuls, one sum).
    """
    x, w = _t(input), _t(weight)
    if x.ndim == 0 or x.shape[-1] != w.shape[-1]:
        raise ValueError(f"linear: expected input with last dimension {w.shape[-1]} (weight shape "
                         f"{tuple(w.shape)}), got input of shape {tuple(x.shape)}")
    y = x.data @ w.data.T
    if bias is not None:
        b = _t(bias)
        y += b.data
        parents = (x, w, b)
    else:
        b = None
        parents = (x, w)
    out = Tensor._make(y, parents, "linear")
    def _backward():
        g = out.grad
        if x.requires_grad:
            _give(x, g @ w.data)
        if w.requires_grad or (b is not None and b.requires_grad):
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            if w.requires_grad:
                x2 = x.data.reshape(-1, x.shape[-1]) if x.ndim != 2 else x.data
                _give(w, g2.T @ x2)
            if b is not None and b.requires_grad:
                _give(b, g2.sum(axis=0))
    out._backward = _backward
    return out


# ============================================================================= convolution
def _windows(xp, kh, kw, sh, sw):
    """View of all kh x kw windows at stride (sh, sw): (N, C, OH, OW, kh, kw), no copy."""
    v = sliding_window_view(xp, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]


def _col2im(gwin, shape, kh, kw, sh, sw):
    """Adjoint of ``_windows``: add window gradients (N, C, OH, OW, kh, kw) back into an array of
    ``shape`` (N, C, Hp, Wp). Loops over the kh*kw kernel offsets only."""
    out = np.zeros(shape, dtype=gwin.dtype)
    oh, ow = gwin.shape[2], gwin.shape[3]
    for i in range(kh):
        for j in range(kw):
            out[:, :, i:i + sh * (oh - 1) + 1:sh, j:j + sw * (ow - 1) + 1:sw] += gwin[:, :, :, :, i, j]
    return out


def _conv_geometry(fn, x_shape, kh, kw, sh, sw, ph, pw):
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: expected 4-D input (N, C, H, W), got input of shape {tuple(x_shape)}")
    if sh < 1 or sw < 1:
        raise ValueError(f"{fn}: stride must be positive, got {(sh, sw)}")
    if ph < 0 or pw < 0:
        raise ValueError(f"{fn}: padding must be non-negative, got {(ph, pw)}")
    H, W = x_shape[2] + 2 * ph, x_shape[3] + 2 * pw
    if kh > H or kw > W:
        raise ValueError(f"{fn}: kernel size ({kh}, {kw}) is larger than the padded input "
                         f"({H}, {W}) (input of shape {tuple(x_shape)}, padding {(ph, pw)})")
    return (H - kh) // sh + 1, (W - kw) // sw + 1


def _check_conv(x, w, b, fn="conv2d"):
    if w.ndim != 4:
        raise ValueError(f"{fn}: expected 4-D weight (out, in, kH, kW), got shape {tuple(w.shape)}")
    if x.ndim != 4 or x.shape[1] != w.shape[1]:
        if x.ndim == 4:
            raise ValueError(f"{fn}: expected input with {w.shape[1]} channels (weight shape "
                             f"{tuple(w.shape)}), got input of shape {tuple(x.shape)}")
        raise ValueError(f"{fn}: expected 4-D input (N, {w.shape[1]}, H, W), got input of shape "
                         f"{tuple(x.shape)}")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"{fn}: expected bias of shape ({w.shape[0]},), got {tuple(b.shape)}")


def conv2d(input, weight, bias=None, stride=1, padding=0):
    """2-D cross-correlation on NCHW input, as ``torch.nn.functional.conv2d`` (no ``dilation``,
    no ``groups``):

        y[n, o, i, j] = b[o] + sum_{c, u, v} x_pad[n, c, s_h i + u, s_w j + v] w[o, c, u, v]

    Stride 1 (the common case) goes through ``_conv2d_strip``: im2col by kH*kW contiguous
    slices of a flat "strip" of the padded images and one large matmul (see there). Other
    strides: the windows of the zero-padded input copied into an (N, C*kH*kW, OH*OW) array
    (one slice copy per kernel offset) times the flattened weight, one batched matmul that
    lands directly in NCHW; backward dW and db from one batched matmul and sums, dx by one
    batched matmul and a loop over the kH*kW kernel offsets (col2im).
    """
    x, w = _t(input), _t(weight)
    b = None if bias is None else _t(bias)
    _check_conv(x, w, b)
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    O, C, kh, kw = w.shape
    oh, ow = _conv_geometry("conv2d", x.shape, kh, kw, sh, sw, ph, pw)
    if (sh, sw) == (1, 1):
        return _conv2d_strip(x, w, b, ph, pw, oh, ow)
    N, H, W = x.shape[0], x.shape[2], x.shape[3]
    P = oh * ow
    xp = np.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if (ph or pw) else x.data
    # im2col, one slice copy per kernel offset: cols[n, (c, u, v), (i, j)] = xp[n, c, s i + u, s j + v]
    cols = np.empty((N, C, kh, kw, oh, ow), dtype=xp.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, :, u, v] = xp[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]
    cols = cols.reshape(N, C * kh * kw, P)
    wmat = w.data.reshape(O, C * kh * kw)
    y = np.matmul(wmat, cols)                                            # (N, O, OH*OW): NCHW
    if b is not None:
        y += b.data[:, None]
    out = Tensor._make(y.reshape(N, O, oh, ow), (x, w) if b is None else (x, w, b), "conv2d")
    def _backward():
        g = out.grad.reshape(N, O, P)
        if w.requires_grad:
            _give(w, np.matmul(g, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape))
        if b is not None and b.requires_grad:
            _give(b, g.sum(axis=(0, 2)))
        if x.requires_grad:
            gc = np.matmul(wmat.T, g).reshape(N, C, kh, kw, oh, ow)
            gxp = np.zeros(xp.shape, dtype=gc.dtype)                      # col2im: kH*kW adds
            for u in range(kh):
                for v in range(kw):
                    gxp[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw] += gc[:, :, u, v]
            x._accum_grad(gxp[:, :, ph:ph + H, pw:pw + W] if (ph or pw) else gxp)
    out._backward = _backward
    return out


def _to_strip(a, Hp, Wp, top, left, tail):
    """Lay (N, C, H, W) out as a channel-major strip (C, N*Hp*Wp + tail) of zeros: image n's
    pixel (r, q) goes to row r + top, column q + left of an Hp x Wp frame, the frames of the
    N images end to end, then ``tail`` more zeros."""
    N, C, H, W = a.shape
    L = N * Hp * Wp
    strip = np.zeros((C, L + tail), dtype=a.dtype)
    strip[:, :L].reshape(C, N, Hp, Wp)[:, :, top:top + H, left:left + W] = a.transpose(1, 0, 2, 3)
    return strip


def _from_strip(strip, N, Hp, Wp, top, left, H, W):
    """Inverse of ``_to_strip``: the (N, C, H, W) block at (top, left) of each frame, NCHW."""
    C = strip.shape[0]
    frames = strip[:, :N * Hp * Wp].reshape(C, N, Hp, Wp)
    return np.ascontiguousarray(frames[:, :, top:top + H, left:left + W].transpose(1, 0, 2, 3))


def _conv2d_strip(x, w, b, ph, pw, oh, ow):
    """Stride-1 conv2d as one large matmul over a flat strip of all the padded images.

    Put the images of channel c end to end in one flat array s_c, each in an Hs x Ws frame
    with Hs = H + pH, Ws = W + pW: pixel (n, r, q) sits at p = (n Hs + pH + r) Ws + pW + q and
    everything else is zero. The zero padding is shared: the pW zero columns at the start of a
    frame row are also the right padding of the row before, and the pH zero rows at the top of
    a frame the bottom padding of the image before (a tail of zeros pads the last one). A
    kernel offset (u, v) is then a plain shift by u Ws + v, for every image at once:

        y[o, p] = b[o] + sum_{c, u, v} w[o, c, u, v] s_c[p + u Ws + v],   p = (n Hs + i) Ws + j

    im2col is kH*kW contiguous slices, cols[(c, u, v), p] = s_c[p + u Ws + v], and the forward
    one (O, C kH kW) @ (C kH kW, N Hs Ws) matmul. Positions past the output (i >= OH or
    j >= OW) compute garbage and are dropped: Hs Ws / (OH OW) - 1 more arithmetic (15% for
    3x3 on 14x14 with padding 1), bought back many times by the long slices.
    The bias rides along as one more column of W times a row of ones appended to cols.
    Backward: g is put on the same strip with zeros at the garbage positions, then
    [dW | db] = g [cols; 1]^T (one matmul), dcols = W^T g, and dx is the adjoint of the slicing
    (col2im): kH*kW shifted adds of contiguous slices, s'[p + u Ws + v] += dcols[(c, u, v), p].
    (A padding wider than kernel - 1 widens the frame to the output size, Ws = max(W + pW, OW).)
    """
    O, C, kh, kw = w.shape
    N, H, W = x.shape[0], x.shape[2], x.shape[3]
    Hs, Ws = max(H + ph, oh), max(W + pw, ow)
    L, tail = N * Hs * Ws, (kh - 1) * Ws + (kw - 1)           # the last window's overhang
    strip = _to_strip(x.data, Hs, Ws, ph, pw, tail)
    K = C * kh * kw
    cols = np.empty((K + (b is not None), L), dtype=strip.dtype)
    taps = cols[:K].reshape(C, kh, kw, L)
    for u in range(kh):
        for v in range(kw):
            taps[:, u, v] = strip[:, u * Ws + v:u * Ws + v + L]
    wmat = w.data.reshape(O, K)
    if b is not None:                       # bias as one more column of W times a row of ones
        cols[K] = 1
        wmat = np.concatenate([wmat, b.data.reshape(O, 1).astype(wmat.dtype)], axis=1)
    y = _from_strip(wmat @ cols, N, Hs, Ws, 0, 0, oh, ow)
    out = Tensor._make(y, (x, w) if b is None else (x, w, b), "conv2d")
    def _backward():
        if not (w.requires_grad or x.requires_grad or (b is not None and b.requires_grad)):
            return
        gs = _to_strip(out.grad, Hs, Ws, 0, 0, 0)            # (O, L), zero at garbage positions
        if w.requires_grad or (b is not None and b.requires_grad):
            # [dW | db] = g [cols; 1]^T in one matmul; same product, faster BLAS order if the
            # larger operand comes first
            gwb = (cols @ gs.T).T if K > O else gs @ cols.T
            _give(w, np.ascontiguousarray(gwb[:, :K]).reshape(w.shape))
            if b is not None:
                _give(b, gwb[:, K].astype(b.data.dtype))
        if x.requires_grad:
            dcols = (wmat[:, :K].T @ gs).reshape(C, kh, kw, L)
            gstrip = np.zeros((C, L + tail), dtype=dcols.dtype)
            for u in range(kh):
                for v in range(kw):
                    gstrip[:, u * Ws + v:u * Ws + v + L] += dcols[:, u, v]
            _give(x, _from_strip(gstrip, N, Hs, Ws, ph, pw, H, W))
    out._backward = _backward
    return out


def conv2d_naive(input, weight, bias=None, stride=1, padding=0):
    """The definition of conv2d, written as loops (for reading, and as a test oracle).

    Forward and backward loop over every output pixel: slow, but each line is the formula."""
    x, w = _t(input), _t(weight)
    b = None if bias is None else _t(bias)
    _check_conv(x, w, b, "conv2d_naive")
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    O, C, kh, kw = w.shape
    oh, ow = _conv_geometry("conv2d_naive", x.shape, kh, kw, sh, sw, ph, pw)
    N = x.shape[0]
    xp = np.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    y = np.zeros((N, O, oh, ow), dtype=np.result_type(x.data, w.data))
    for n in range(N):
        for o in range(O):
            for i in range(oh):
                for j in range(ow):
                    patch = xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                    y[n, o, i, j] = np.sum(patch * w.data[o]) + (b.data[o] if b is not None else 0)
    out = Tensor._make(y, (x, w) if b is None else (x, w, b), "conv2d_naive")
    def _backward():
        g = out.grad
        gxp, gw = np.zeros_like(xp), np.zeros_like(w.data)
        for n in range(N):
            for o in range(O):
                for i in range(oh):
                    for j in range(ow):
                        gxp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw] += g[n, o, i, j] * w.data[o]
                        gw[o] += g[n, o, i, j] * xp[n, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
        x._accum_grad(gxp[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]])
        w._accum_grad(gw)
        if b is not None:
            b._accum_grad(g.sum(axis=(0, 2, 3)))
    out._backward = _backward
    return out


# ============================================================================= pooling
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
    oh, ow = _conv_geometry(fn, shape4, kh, kw, sh, sw, ph, pw)
    return kh, kw, sh, sw, ph, pw, oh, ow


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
        _give(x, gx[0] if squeeze else gx)
    out._backward = _backward
    return out


def _max_pool_tiles(x, xd, kh, kw, oh, ow):
    """max_pool2d for non-overlapping windows (stride == kernel, no padding), separably:
    first the maximum over the kH rows of each window (contiguous rows, fast), then over the
    kW columns. Ties go to the first maximum in row-major window order, as PyTorch. (Masks
    are applied by multiplication: ``np.where``/``copyto(where=)`` are much slower here.)"""
    N, C, H, W = xd.shape
    xr = xd[:, :, :oh * kh, :].reshape(N, C, oh, kh, W)
    m1 = xr[:, :, :, 0, :]
    ridx = np.zeros(m1.shape, dtype=np.int8)           # row of the maximum, per column
    for u in range(1, kh):
        row = xr[:, :, :, u, :]
        ridx = np.maximum(ridx, (row > m1).view(np.int8) * np.int8(u))
        m1 = np.maximum(m1, row)
    m1c = m1[:, :, :, :ow * kw].reshape(N, C, oh, ow, kw)
    rc = ridx[:, :, :, :ow * kw].reshape(N, C, oh, ow, kw)
    y, yr = m1c[..., 0], rc[..., 0]
    cidx = np.zeros(y.shape, dtype=np.int8)
    for v in range(1, kw):
        col, colr = m1c[..., v], rc[..., v]
        upd = ((col > y) | ((col == y) & (colr < yr))).view(np.int8)  # earlier row wins a tie
        cidx = np.maximum(cidx, upd * np.int8(v))
        yr = yr + upd * (colr - yr)
        y = np.maximum(y, col)
    y = np.ascontiguousarray(y)
    squeeze = x.ndim == 3
    out = Tensor._make(y[0] if squeeze else y, (x,), "max_pool2d")
    def _backward():
        g = out.grad[None] if squeeze else out.grad
        gcol = np.zeros((N, C, oh, W), dtype=g.dtype)
        gc = gcol[:, :, :, :ow * kw].reshape(N, C, oh, ow, kw)
        for v in range(kw):
            np.multiply(g, cidx == v, out=gc[..., v])
        gx = np.zeros((N, C, oh, kh, W), dtype=g.dtype)
        for u in range(kh):
            np.multiply(gcol, ridx == u, out=gx[:, :, :, u, :])
        gx = gx.reshape(N, C, oh * kh, W)
        if oh * kh != H:
            gx = np.concatenate([gx, np.zeros((N, C, H - oh * kh, W), dtype=g.dtype)], axis=2)
        _give(x, gx[0] if squeeze else gx)
    out._backward = _backward
    return out


def max_pool2d(input, kernel_size, stride=None, padding=0):
    """Maximum over each kH x kW window (stride defaults to the kernel size; padding counts as
    -inf), as ``torch.nn.functional.max_pool2d`` without ``dilation``/``ceil_mode``/
    ``return_indices``. The gradient goes to the first maximum of each window."""
    x = _t(input)
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args("max_pool2d", x, kernel_size, stride, padding)
    xd = x.data if x.ndim == 4 else x.data[None]
    N, C = xd.shape[:2]
    if ph or pw:
        fill = -np.inf if xd.dtype.kind == "f" else np.iinfo(xd.dtype).min
        xp = np.pad(xd, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    else:
        xp = xd
    if (kh, kw, sh, sw) == (2, 2, 2, 2) and not (ph or pw) and xd.shape[2] % 2 == 0 \
            and xd.shape[3] % 2 == 0 and xd.flags.c_contiguous:
        return _max_pool_2x2(x, xd)
    if (sh, sw) == (kh, kw) and not (ph or pw) and x.data.flags.c_contiguous:
        y = _max_pool_tiles(x, xd, kh, kw, oh, ow)
        if y is not None:
            return y
    # running maximum over the kH*kW kernel offsets (strided views, no window copy); ``idx``
    # remembers the first offset holding the maximum, where the gradient goes
    y = idx = None
    for k in range(kh * kw):
        u, v = divmod(k, kw)
        s_ = xp[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]
        if y is None:
            y = s_.copy()
            idx = np.zeros(y.shape, dtype=np.int16)
        else:
            upd = s_ > y
            np.copyto(y, s_, where=upd)
            np.copyto(idx, k, where=upd)
    if x.ndim == 3:
        y = y[0]
    out = Tensor._make(y, (x,), "max_pool2d")
    def _backward():
        g = out.grad if x.ndim == 4 else out.grad[None]
        gx = np.zeros(xp.shape, dtype=g.dtype)
        for k in range(kh * kw):
            u, v = divmod(k, kw)
            sl = gx[:, :, u:u + sh * (oh - 1) + 1:sh, v:v + sw * (ow - 1) + 1:sw]
            if (sh, sw) == (kh, kw):                  # windows do not overlap: plain writes
                np.copyto(sl, g, where=idx == k)
            else:
                sl += np.where(idx == k, g, 0)
        if ph or pw:
            gx = gx[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]]
        x._accum_grad(gx if x.ndim == 4 else gx[0])
    out._backward = _backward
    return out


def max_pool2d_naive(input, kernel_size, stride=None, padding=0):
    """max_pool2d written as loops over every output pixel (for reading and as a test oracle)."""
    x = _t(input)
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


def avg_pool2d(input, kernel_size, stride=None, padding=0, count_include_pad=True):
    """Mean over each kH x kW window (zero padding; the divisor is kH*kW when
    ``count_include_pad``, else the number of non-padding elements), as
    ``torch.nn.functional.avg_pool2d`` without ``ceil_mode``/``divisor_override``."""
    x = _t(input)
    kh, kw, sh, sw, ph, pw, oh, ow = _pool_args("avg_pool2d", x, kernel_size, stride, padding)
    xd = x.data if x.ndim == 4 else x.data[None]
    xp = np.pad(xd, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if (ph or pw) else xd
    win = _windows(xp, kh, kw, sh, sw)
    if count_include_pad or not (ph or pw):
        div = np.asarray(kh * kw, dtype=xd.dtype)
    else:
        ones = np.pad(np.ones(xd.shape[2:], dtype=xd.dtype), ((ph, ph), (pw, pw)))
        div = sliding_window_view(ones, (kh, kw))[::sh, ::sw].sum(axis=(-1, -2))
    y = win.sum(axis=(-1, -2)) / div
    y = y.astype(xd.dtype, copy=False)
    out = Tensor._make(y if x.ndim == 4 else y[0], (x,), "avg_pool2d")
    def _backward():
        g = out.grad if x.ndim == 4 else out.grad[None]
        gd = (g / div).astype(g.dtype, copy=False)
        gw = np.broadcast_to(gd[..., None, None], gd.shape + (kh, kw))
        gx = _col2im(gw, xp.shape, kh, kw, sh, sw)
        if ph or pw:
            gx = gx[:, :, ph:ph + xd.shape[2], pw:pw + xd.shape[3]]
        x._accum_grad(gx if x.ndim == 4 else gx[0])
    out._backward = _backward
    return out


# ============================================================================= dropout
def _check_p(p, fn):
    if not (0 <= p < 1):
        raise ValueError(f"{fn}: p must be in [0, 1), got {p}")


def dropout(input, p=0.5, training=True):
    """Inverted dropout: zero each element with probability ``p`` and scale the rest by
    1 / (1 - p), so the expectation is unchanged; identity when not ``training``.
    The mask comes from nnkit's generator (``nnkit.manual_seed``). Unlike PyTorch, ``p = 1``
    is rejected (it would zero everything)."""
    _check_p(p, "dropout")
    x = _t(input)
    if not training or p == 0:
        return x
    keep = get_rng().random(x.shape, dtype=np.float32) >= p
    scale = np.asarray(1.0 / (1.0 - p), dtype=x.data.dtype if x.data.dtype.kind == "f" else np.float32)
    mask = keep * scale
    out = Tensor._make(x.data * mask, (x,), "dropout")
    def _backward():
        x._accum_grad(out.grad * mask)
    out._backward = _backward
    return out


# ============================================================================= normalisation
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
    """
    x = _t(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected 2-D or higher input (N, C, ...), got shape {tuple(x.shape)}")
    C = x.shape[1]
    w = None if weight is None else _t(weight)
    b = None if bias is None else _t(bias)
    for name, t in (("weight", w), ("bias", b), ("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and tuple(np.shape(_buf(t))) != (C,):
            raise ValueError(f"batch_norm: expected input with {C} channels to match {name} of shape "
                             f"{tuple(np.shape(_buf(t)))}, got input of shape {tuple(x.shape)}")
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
            _give(w, (g * xhat).sum(axis=axes).astype(w.data.dtype, copy=False))
        if b is not None and b.requires_grad:
            _give(b, g.sum(axis=axes).astype(b.data.dtype, copy=False))
        if x.requires_grad:
            gh = g * w.data.reshape(bshape) if w is not None else g
            if use_batch:
                # dx = invstd * (gh - mean(gh) - xhat * mean(gh * xhat))
                m1 = gh.mean(axis=axes, keepdims=True)
                m2 = (gh * xhat).mean(axis=axes, keepdims=True)
                _give(x, invstd * (gh - m1 - xhat * m2))
            else:
                _give(x, gh * invstd)
    out._backward = _backward
    return out


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last ``len(normalized_shape)`` dimensions of each sample (biased
    variance), then scale by ``weight`` and shift by ``bias`` (elementwise, that shape)."""
    x = _t(input)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if tuple(x.shape[x.ndim - k:]) != ns or x.ndim < k:
        raise ValueError(f"layer_norm: expected input with trailing shape {ns}, got input of shape "
                         f"{tuple(x.shape)}")
    w = None if weight is None else _t(weight)
    b = None if bias is None else _t(bias)
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
            _give(w, np.asarray((g * xhat).sum(axis=lead), dtype=w.data.dtype))
        if b is not None and b.requires_grad:
            _give(b, np.asarray(g.sum(axis=lead), dtype=b.data.dtype))
        if x.requires_grad:
            gh = g * w.data if w is not None else g
            m1 = gh.mean(axis=axes, keepdims=True)
            m2 = (gh * xhat).mean(axis=axes, keepdims=True)
            _give(x, invstd * (gh - m1 - xhat * m2))
    out._backward = _backward
    return out


# ============================================================================= losses
def _same_shape(fn, x, y):
    if x.shape != y.shape:
        raise ValueError(f"{fn}: expected target of the input's shape {tuple(x.shape)}, got target of "
                         f"shape {tuple(y.shape)} (nnkit does not broadcast losses; PyTorch warns)")


def _elementwise_loss(name, x, y, loss, dx, dy, weight, reduction):
    """Fused loss node from elementwise ``loss`` and its partials ``dx``/``dy`` (arrays)."""
    if weight is not None:
        wd = _t(weight).data
        loss = loss * wd
        dx = dx * wd
        dy = None if dy is None else dy * wd
    if reduction == "none":
        val = loss.astype(x.data.dtype, copy=False)
    elif reduction == "sum":
        val = np.asarray(loss.sum(), dtype=x.data.dtype)
    else:
        val = np.asarray(loss.mean() if loss.size else np.nan, dtype=x.data.dtype)
    parents = (x, y) if (dy is not None and y.requires_grad) else (x,)
    out = Tensor._make(val, parents, name)
    def _backward():
        g = out.grad
        if reduction == "mean":
            g = g / max(loss.size, 1)
        if x.requires_grad:
            _give(x, np.asarray(g * dx, dtype=x.data.dtype))
        if dy is not None and y.requires_grad:
            y._accum_grad(np.asarray(g * dy, dtype=y.data.dtype))
    out._backward = _backward
    return out


def mse_loss(input, target, reduction="mean"):
    """mean (or sum) of (x - y)^2."""
    _check_reduction(reduction, "mse_loss")
    x, y = _t(input), _t(target)
    _same_shape("mse_loss", x, y)
    d = x.data - y.data
    return _elementwise_loss("mse_loss", x, y, d * d, 2 * d, -2 * d, None, reduction)


def l1_loss(input, target, reduction="mean"):
    """mean (or sum) of |x - y| (gradient sign(x - y), 0 at 0)."""
    _check_reduction(reduction, "l1_loss")
    x, y = _t(input), _t(target)
    _same_shape("l1_loss", x, y)
    d = x.data - y.data
    s = np.sign(d)
    return _elementwise_loss("l1_loss", x, y, np.abs(d), s, -s, None, reduction)


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """-w [y log(x) + (1 - y) log(1 - x)] on probabilities ``x`` in [0, 1]; each log is clamped
    to >= -100 (as PyTorch), so x = 0 or 1 gives a finite loss. Gradient as PyTorch:
    w (x - y) / max(x (1 - x), 1e-12). No gradient flows to ``target``."""
    _check_reduction(reduction, "binary_cross_entropy")
    x, y = _t(input), _t(target)
    _same_shape("binary_cross_entropy", x, y)
    xd, yd = x.data, y.data
    if np.any((xd < 0) | (xd > 1)) or np.any(np.isnan(xd)):
        raise ValueError("binary_cross_entropy: all elements of input should be between 0 and 1 "
                         "(pass probabilities, e.g. after sigmoid; or use binary_cross_entropy_with_logits)")
    with np.errstate(divide="ignore"):
        lx = np.maximum(np.log(xd), -100)
        l1x = np.maximum(np.log1p(-xd), -100)
    loss = -(yd * lx + (1 - yd) * l1x)
    dx = (xd - yd) / np.maximum(xd * (1 - xd), 1e-12)
    return _elementwise_loss("binary_cross_entropy", x, y, loss, dx, None, weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean", pos_weight=None):
    """BCE on logits ``z``, in the stable form
    (1 - y) z + (1 + (p - 1) y) (log(1 + exp(-|z|)) + max(-z, 0)) with ``p = pos_weight``
    (1 if None). Gradient: (1 - y) - (1 + (p - 1) y) sigmoid(-z). No gradient to ``target``."""
    _check_reduction(reduction, "binary_cross_entropy_with_logits")
    x, y = _t(input), _t(target)
    _same_shape("binary_cross_entropy_with_logits", x, y)
    z, yd = x.data, y.data
    sp = np.log1p(np.exp(-np.abs(z))) + np.maximum(-z, 0)          # softplus(-z), stable
    sig_neg = np.exp(-np.logaddexp(0, z))                            # sigmoid(-z), stable
    if pos_weight is None:
        loss = (1 - yd) * z + sp
        dx = (1 - yd) - sig_neg
    else:
        pw = _t(pos_weight).data
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
    if t.dtype.kind not in "iu":
        raise TypeError(f"{fn}: expected integer class indices as target, got dtype {t.dtype}")
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
    wv = np.ones(C, dtype=logp2.dtype) if weight is None else _t(weight).data.astype(logp2.dtype, copy=False)
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
    non-ignored targets)."""
    _check_reduction(reduction, "cross_entropy")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = _t(input)
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
        wv = 1.0 if weight is None else _t(weight).data
        coef = p2 * wv                                          # (M, C)
        per = -(coef * logp2).sum(axis=1)
        M = per.shape[0]
        if reduction == "none":
            val = per.reshape(shape).astype(x.data.dtype, copy=False)
        elif reduction == "sum":
            val = np.asarray(per.sum(), dtype=x.data.dtype)
        else:
            val = np.asarray(per.sum() / (M if x.ndim >= 2 else 1), dtype=x.data.dtype)
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
    targets: -w[t] logp[t]; 'mean' divides by the summed weights of the non-ignored targets."""
    _check_reduction(reduction, "nll_loss")
    x = _t(input)
    tgt = target.data if isinstance(target, Tensor) else np.asarray(target)
    C = x.shape[1] if x.ndim >= 2 else x.shape[0]
    logp2, shape = _class_last(x.data)
    _check_targets("nll_loss", tgt, C, ignore_index, x.shape, shape)
    return _nll_core("nll_loss", "nll_loss", x, logp2, tgt, shape, C, weight, ignore_index,
                     reduction, 0.0, softmax_back=False)


def one_hot(tensor, num_classes=-1):
    """Integer class indices -> int64 one-hot rows (a new last dimension of ``num_classes``)."""
    t = tensor.data if isinstance(tensor, Tensor) else np.asarray(tensor)
    n = int(t.max()) + 1 if num_classes < 0 else num_classes
    if t.size and (t.min() < 0 or t.max() >= n):
        raise ValueError(f"one_hot: class values must be in [0, {n}), got range [{t.min()}, {t.max()}]")
    return Tensor(np.eye(n, dtype=np.int64)[t])




# Part IV ops, defined next to their modules and re-exported here (as torch.nn.functional)
from .activation import gelu  # noqa: E402
from .sparse import embedding  # noqa: E402
from .attention import scaled_dot_product_attention, scaled_dot_product_attention_naive  # noqa: E402

__all__ += ["gelu", "embedding", "scaled_dot_product_attention", "scaled_dot_product_attention_naive"]
