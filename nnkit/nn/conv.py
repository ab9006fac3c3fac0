"""2-D convolution: ``conv2d`` (fast), ``conv2d_naive`` (the formula as loops) and the ``Conv2d``
layer (as ``torch.nn.Conv2d``, NCHW, without ``dilation``, ``groups`` and ``padding_mode``;
``padding`` is an int or a pair, not the strings 'same'/'valid').

Both compute the cross-correlation

    y[n, o, i, j] = b[o] + sum_{c, u, v} x_pad[n, c, s_h i + u, s_w j + v] w[o, c, u, v]

``conv2d`` turns it into matrix products (im2col): stride 1 on a flat strip of all the images
(``_conv2d_strip``), other strides on the copied windows (``_conv2d_im2col``); tests check both
against ``conv2d_naive``, value and gradient.
"""
from __future__ import annotations

import functools

import numpy as np

from .._allocator import tune_allocator_once
from ..tensor import Tensor, as_tensor
from . import init
from ._helpers import _check_dtypes, _out_size, _pair, _tap
from .module import Module, Parameter

__all__ = ["conv2d", "conv2d_naive", "Conv2d"]


def _check_conv(x, w, b, fn="conv2d"):
    if w.ndim != 4:
        raise ValueError(f"{fn}: expected 4-D weight (out, in, kH, kW), got shape {tuple(w.shape)}")
    if x.ndim != 4 or x.shape[1] != w.shape[1]:
        if x.ndim == 4:
            raise ValueError(f"{fn}: expected input with {w.shape[1]} channels (weight shape "
                             f"{tuple(w.shape)}), got input of shape {tuple(x.shape)}")
        raise ValueError(f"{fn}: expected 4-D input (N, {w.shape[1]}, H, W) or unbatched 3-D input "
                         f"({w.shape[1]}, H, W), got input of shape {tuple(x.shape)}")
    if b is not None and b.shape != (w.shape[0],):
        raise ValueError(f"{fn}: expected bias of shape ({w.shape[0]},), got {tuple(b.shape)}")


def _conv_args(fn, input, weight, bias, stride, padding):
    x, w = as_tensor(input), as_tensor(weight)
    b = None if bias is None else as_tensor(bias)
    _check_conv(x, w, b, fn)
    _check_dtypes(fn, x, weight=w, bias=b)
    sh, sw = _pair(stride, "stride")
    ph, pw = _pair(padding, "padding")
    oh, ow = _out_size(fn, x.shape, w.shape[2], w.shape[3], sh, sw, ph, pw)
    return x, w, b, sh, sw, ph, pw, oh, ow


# ============================================================================= readable version
def _unbatched(conv):
    """Let a conv op take an unbatched (C, H, W) input as PyTorch does: run it on a batch of one."""
    @functools.wraps(conv)
    def wrapped(input, weight, bias=None, stride=1, padding=0):
        if getattr(input, "ndim", np.ndim(input)) == 3:
            return conv(as_tensor(input).unsqueeze(0), weight, bias, stride, padding)[0]
        return conv(input, weight, bias, stride, padding)
    return wrapped


@_unbatched
def conv2d_naive(input, weight, bias=None, stride=1, padding=0):
    """The definition of conv2d, written as loops (for reading, and as a test oracle).

    Forward and backward loop over every output pixel: slow, but each line is the formula.

    Book: ch-10-cnn (eq-10-xcorr, eq-10-outsize)."""
    x, w, b, sh, sw, ph, pw, oh, ow = _conv_args("conv2d_naive", input, weight, bias, stride, padding)
    N, O, kh, kw = x.shape[0], w.shape[0], w.shape[2], w.shape[3]
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


# ============================================================================= fast version
@_unbatched
def conv2d(input, weight, bias=None, stride=1, padding=0):
    """2-D cross-correlation on NCHW input, as ``torch.nn.functional.conv2d`` (no ``dilation``,
    no ``groups``):

        y[n, o, i, j] = b[o] + sum_{c, u, v} x_pad[n, c, s_h i + u, s_w j + v] w[o, c, u, v]

    The same numbers as ``conv2d_naive``, computed as matrix products (im2col): stride 1 (the
    common case) by ``_conv2d_strip``, other strides by ``_conv2d_im2col``. An unbatched
    (C, H, W) input gives a (O, OH, OW) output, as in PyTorch.

    Book: ch-10-cnn (eq-10-xcorr, eq-10-outsize, eq-10-im2col)."""
    x, w, b, sh, sw, ph, pw, oh, ow = _conv_args("conv2d", input, weight, bias, stride, padding)
    tune_allocator_once()           # a CNN step page-faults its large arrays without it (nnkit/_allocator.py)
    if (sh, sw) == (1, 1):
        return _conv2d_strip(x, w, b, ph, pw, oh, ow)
    return _conv2d_im2col(x, w, b, sh, sw, ph, pw, oh, ow)


def _conv2d_im2col(x, w, b, sh, sw, ph, pw, oh, ow):
    """conv2d at any stride: the windows of the zero-padded input copied into an
    (N, C*kH*kW, OH*OW) array ``cols`` (one strided slice copy per kernel offset) times the
    flattened weight, one batched matmul that lands directly in NCHW.
    Backward: dW and db from one batched matmul and sums; dx by one batched matmul and the
    adjoint of the copy (col2im): a loop over the kH*kW kernel offsets adding into the slices."""
    O, C, kh, kw = w.shape
    N, H, W = x.shape[0], x.shape[2], x.shape[3]
    P = oh * ow
    xp = np.pad(x.data, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if (ph or pw) else x.data
    # cols[n, (c, u, v), (i, j)] = xp[n, c, s i + u, s j + v]
    cols = np.empty((N, C, kh, kw, oh, ow), dtype=xp.dtype)
    for u in range(kh):
        for v in range(kw):
            cols[:, :, u, v] = _tap(xp, u, v, sh, sw, oh, ow)
    cols = cols.reshape(N, C * kh * kw, P)
    wmat = w.data.reshape(O, C * kh * kw)
    y = np.matmul(wmat, cols)                                            # (N, O, OH*OW): NCHW
    if b is not None:
        y += b.data[:, None]
    out = Tensor._make(y.reshape(N, O, oh, ow), (x, w) if b is None else (x, w, b), "conv2d")
    def _backward():
        g = out.grad.reshape(N, O, P)
        if w.requires_grad:
            w._accum_grad(np.matmul(g, cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape), fresh=True)
        if b is not None and b.requires_grad:
            b._accum_grad(g.sum(axis=(0, 2)), fresh=True)
        if x.requires_grad:
            gc = np.matmul(wmat.T, g).reshape(N, C, kh, kw, oh, ow)
            gxp = np.zeros(xp.shape, dtype=gc.dtype)                      # col2im: kH*kW adds
            for u in range(kh):
                for v in range(kw):
                    _tap(gxp, u, v, sh, sw, oh, ow)[...] += gc[:, :, u, v]
            x._accum_grad(gxp[:, :, ph:ph + H, pw:pw + W] if (ph or pw) else gxp, fresh=not (ph or pw))
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
            w._accum_grad(np.ascontiguousarray(gwb[:, :K]).reshape(w.shape), fresh=True)
            if b is not None:
                b._accum_grad(gwb[:, K].astype(b.data.dtype), fresh=True)
        if x.requires_grad:
            dcols = (wmat[:, :K].T @ gs).reshape(C, kh, kw, L)
            gstrip = np.zeros((C, L + tail), dtype=dcols.dtype)
            for u in range(kh):
                for v in range(kw):
                    gstrip[:, u * Ws + v:u * Ws + v + L] += dcols[:, u, v]
            x._accum_grad(_from_strip(gstrip, N, Hs, Ws, ph, pw, H, W), fresh=True)
    out._backward = _backward
    return out


# ============================================================================= layer
class Conv2d(Module):
    """2-D convolution (cross-correlation). ``weight`` (out_channels, in_channels, kH, kW),
    ``bias`` (out_channels,); init as PyTorch: kaiming_uniform_(a=sqrt(5)) and
    U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = in_channels * kH * kW.
    Output size: floor((H + 2 padding - kH) / stride) + 1.

    Book: ch-10-cnn (eq-10-xcorr, eq-10-outsize)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True,
                 dtype=np.float32):
        super().__init__()
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride, "stride")
        self.padding = _pair(padding, "padding")
        self.weight = Parameter(np.empty((out_channels, in_channels) + self.kernel_size, dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_channels, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        shape = tuple(input.shape)
        if len(shape) not in (3, 4) or shape[-3] != self.in_channels:
            raise ValueError(f"Conv2d: expected input with {self.in_channels} channels (weight shape "
                             f"{tuple(self.weight.shape)}), got input of shape {shape}")
        return conv2d(input, self.weight, self.bias, self.stride, self.padding)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.bias is None:
            s += ", bias=False"
        return s
