"""Activation functions and their modules (as ``torch.nn``), plus the book's ``Step`` (the
perceptron's threshold). ``relu``, ``sigmoid`` and ``tanh`` are ``Tensor`` methods (their
backward is in ``nnkit/tensor.py``); the others are written here, each one graph node with its
backward beside it.
"""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor
from ._helpers import _check_dtypes
from .module import Module, Parameter

__all__ = ["relu", "leaky_relu", "elu", "prelu", "sigmoid", "tanh", "softmax", "log_softmax", "step", "gelu",
           "ReLU", "LeakyReLU", "PReLU", "ELU", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "Step", "GELU"]


# ============================================================================= functions
def relu(input, inplace=False):
    """max(0, x). ``inplace`` is accepted for PyTorch's signature; nnkit always returns a new
    tensor and leaves the input as it is.

    Book: ch-06-activations (eq-06-relu)."""
    return as_tensor(input).relu()


def sigmoid(input):
    """1 / (1 + exp(-x)), computed without overflow (see ``nnkit.tensor.sigmoid_array``).

    Book: ch-06-activations (eq-06-sigmoid)."""
    return as_tensor(input).sigmoid()


def tanh(input):
    """(e^x - e^-x) / (e^x + e^-x).

    Book: ch-06-activations (eq-06-tanh)."""
    return as_tensor(input).tanh()


def _softmax_dim(ndim):  # PyTorch's legacy implicit dim
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (stable: the max is subtracted first).

    Book: ch-07-losses (eq-07-softmax, eq-07-stable)."""
    x = as_tensor(input)
    return x.softmax(_softmax_dim(x.ndim) if dim is None else dim)


def log_softmax(input, dim=None):
    """x_i - log sum_j exp(x_j) along ``dim`` (log-sum-exp with the max subtracted).

    Book: ch-07-losses (eq-07-stable)."""
    x = as_tensor(input)
    return x.log_softmax(_softmax_dim(x.ndim) if dim is None else dim)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x if x > 0 else negative_slope * x (``inplace`` accepted, as in ``relu``).

    Book: ch-06-activations (eq-06-relu)."""
    x = as_tensor(input)
    pos = x.data > 0
    out = Tensor._make(np.where(pos, x.data, x.data * negative_slope).astype(x.data.dtype, copy=False),
                       (x,), "leaky_relu")
    def _backward():
        x._accum_grad(np.where(pos, out.grad, out.grad * negative_slope))
    out._backward = _backward
    return out


def elu(input, alpha=1.0, inplace=False):
    """x if x > 0 else alpha (exp(x) - 1) (``inplace`` accepted, as in ``relu``).

    Book: ch-06-activations (eq-06-elu)."""
    x = as_tensor(input)
    pos = x.data > 0
    em1 = np.expm1(np.minimum(x.data, 0))
    out = Tensor._make(np.where(pos, x.data, alpha * em1).astype(x.data.dtype, copy=False), (x,), "elu")
    def _backward():
        x._accum_grad(np.where(pos, out.grad, out.grad * (alpha * (em1 + 1))))
    out._backward = _backward
    return out


def prelu(input, weight):
    """x if x > 0 else a x, with learnable ``a`` (one value, or one per channel = dim 1).

    Book: ch-06-activations (eq-06-relu)."""
    x, a = as_tensor(input), as_tensor(weight)
    _check_dtypes("prelu", x, weight=a)
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
    is zero almost everywhere, so nothing flows back).

    Book: ch-01-perceptron (eq-01-perceptron), ch-06-activations (eq-06-step)."""
    x = as_tensor(input)
    out = Tensor._make((x.data >= 0).astype(x.data.dtype if x.data.dtype.kind == "f" else np.float32),
                       (x,), "step")
    out._backward = lambda: None
    return out


# ============================================================================= modules
class ReLU(Module):
    """max(0, x). ``inplace`` is accepted for PyTorch's signature (nnkit returns a new tensor).

    Book: ch-06-activations (eq-06-relu)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return relu(input)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x.

    Book: ch-06-activations (eq-06-relu)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class PReLU(Module):
    """x if x > 0 else a x with a learnable ``weight`` a of shape (num_parameters,), init 0.25.

    Book: ch-06-activations (eq-06-relu)."""

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float32):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, input):
        return prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else alpha (exp(x) - 1).

    Book: ch-06-activations (eq-06-elu)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + exp(-x)).

    Book: ch-06-activations (eq-06-sigmoid)."""

    def forward(self, input):
        return sigmoid(input)


class Tanh(Module):
    """(e^x - e^-x) / (e^x + e^-x).

    Book: ch-06-activations (eq-06-tanh)."""

    def forward(self, input):
        return tanh(input)


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (pass it; ``None`` uses PyTorch's legacy choice).

    Book: ch-07-losses (eq-07-softmax)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x_i - log sum_j exp(x_j) along ``dim``.

    Book: ch-07-losses (eq-07-stable)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Step(Module):
    """Heaviside step, 1 if x >= 0 else 0: the perceptron's activation. Not in PyTorch; no
    gradient flows through it (train a perceptron with its own rule, not backprop).

    Book: ch-01-perceptron (eq-01-perceptron)."""

    def forward(self, input):
        return step(input)


# ============================================================================= GELU
# NumPy has no erf, so the exact GELU uses our own: Chebyshev interpolants of Python's math.erf,
# built once at import (about a millisecond). For |x| < 2, erf(x) = x g(x^2) with g smooth on
# [0, 4]; for 2 <= |x| < 6, erf(x) = 1 - exp(-x^2) h(1/x^2) / x with h(s) = x e^(x^2) erfc(x)
# smooth on [1/36, 1/4]; beyond 6, erf(x) = +-1 to double precision (erfc(6) = 2e-17).
# Absolute error below 1e-14 against math.erf everywhere (tests/test_attention.py checks it).
def _erf_fits(deg=20):
    import math

    from numpy.polynomial import chebyshev as C

    erf, erfc = np.frompyfunc(math.erf, 1, 1), np.frompyfunc(math.erfc, 1, 1)

    def g(t):
        x = np.sqrt(t)
        safe = np.where(x == 0, 1.0, x)
        return np.where(x == 0, 2 / math.sqrt(math.pi), erf(safe).astype(np.float64) / safe)

    def h(s):
        x = 1 / np.sqrt(s)
        return x * np.exp(x * x) * erfc(x).astype(np.float64)

    return (C.Chebyshev.interpolate(g, deg, domain=[0, 4]),
            C.Chebyshev.interpolate(h, deg, domain=[1 / 36, 1 / 4]))


_ERF_SMALL, _ERF_LARGE = _erf_fits()


def _erf(x):
    """The error function of a float64 array (see the note above)."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    out = np.sign(x)                                   # |x| >= 6 (and NaN stays NaN)
    small = a < 2
    out[small] = x[small] * _ERF_SMALL(x[small] * x[small])
    mid = ~small & (a < 6)
    am = a[mid]
    out[mid] = np.sign(x[mid]) * (1 - np.exp(-am * am) * _ERF_LARGE(1 / (am * am)) / am)
    return out


_SQRT_2_OVER_PI = 0.7978845608028654                   # sqrt(2 / pi)
_INV_SQRT_2PI = 0.3989422804014327                     # 1 / sqrt(2 pi)


def gelu(input, approximate="none"):
    """Gaussian error linear unit (Hendrycks and Gimpel, 2016), as ``torch.nn.functional.gelu``:

        gelu(x) = x Phi(x) = x / 2 (1 + erf(x / sqrt(2)))                    (approximate="none")
        gelu(x) ~ x / 2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))            (approximate="tanh")

    where Phi is the standard normal CDF. Gradient Phi(x) + x phi(x) with phi the normal
    density (or the derivative of the tanh form). Computed in float64, returned in the
    input's dtype.

    Book: ch-13-attention (the position-wise MLP)."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = as_tensor(input)
    xd = np.asarray(x.data, dtype=np.float64)
    if approximate == "none":
        cdf = 0.5 * (1 + _erf(xd * 0.7071067811865476))
        y = xd * cdf
        dydx = cdf + xd * _INV_SQRT_2PI * np.exp(-0.5 * xd * xd)
    else:
        inner = _SQRT_2_OVER_PI * (xd + 0.044715 * xd ** 3)
        th = np.tanh(inner)
        y = 0.5 * xd * (1 + th)
        dydx = 0.5 * (1 + th) + 0.5 * xd * (1 - th * th) * _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * xd * xd)
    dt = x.data.dtype if x.data.dtype.kind == "f" else np.float32
    out = Tensor._make(y.astype(dt, copy=False), (x,), "gelu")
    dydx = dydx.astype(dt, copy=False)

    def _backward():
        x._accum_grad(out.grad * dydx)
    out._backward = _backward
    return out


class GELU(Module):
    """x Phi(x), the Gaussian error linear unit (``approximate="tanh"`` for the tanh form).

    Book: ch-13-attention (the position-wise MLP)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"

