"""Activation modules (as ``torch.nn``), plus the book's ``Step`` (the perceptron's threshold)."""
from __future__ import annotations

import numpy as np

from . import functional as F
from .module import Module, Parameter

__all__ = ["ELU", "LeakyReLU", "LogSoftmax", "PReLU", "ReLU", "Sigmoid", "Softmax", "Step", "Tanh"]


class ReLU(Module):
    """max(0, x)."""

    def forward(self, input):
        return F.relu(input)


class LeakyReLU(Module):
    """x if x > 0 else negative_slope * x."""

    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class PReLU(Module):
    """x if x > 0 else a x with a learnable ``weight`` a of shape (num_parameters,), init 0.25."""

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float32):
        super().__init__()
        self.num_parameters = num_parameters
        self.weight = Parameter(np.full(num_parameters, init, dtype=dtype))

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(Module):
    """x if x > 0 else alpha (exp(x) - 1)."""

    def __init__(self, alpha=1.0):
        super().__init__()
        self.alpha = alpha

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class Sigmoid(Module):
    """1 / (1 + exp(-x))."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    def forward(self, input):
        return F.tanh(input)


class Softmax(Module):
    """exp(x_i) / sum_j exp(x_j) along ``dim`` (pass it; ``None`` uses PyTorch's legacy choice)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Step(Module):
    """Heaviside step, 1 if x >= 0 else 0: the perceptron's activation. Not in PyTorch; no
    gradient flows through it (train a perceptron with its own rule, not backprop)."""

    def forward(self, input):
        return F.step(input)


# ============================================================================= GELU
from ..tensor import Tensor


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
    input's dtype."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    x = input if isinstance(input, Tensor) else Tensor(input)
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
    """x Phi(x), the Gaussian error linear unit (``approximate="tanh"`` for the tanh form)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return gelu(input, self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


__all__ += ["GELU", "gelu"]
