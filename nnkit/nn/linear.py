"""``Linear``: y = x W^T + b (as ``torch.nn.Linear``), plus the book's ``Maxout`` layer."""
from __future__ import annotations

import numpy as np

from ..tensor import Tensor, as_tensor
from . import init
from ._helpers import _check_dtypes
from .module import Module, Parameter

__all__ = ["linear", "Linear", "Maxout"]


def linear(input, weight, bias=None):
    """y = x W^T + b, ``x`` of shape (*, in), ``W`` (out, in), ``b`` (out,).

    One matmul forward; backward dx = dy W, dW = dy^T x, db = sum(dy) (two matmuls, one sum).

    Book: ch-02-mlp (eq-02-layer)."""
    x, w = as_tensor(input), as_tensor(weight)
    if x.ndim == 0 or x.shape[-1] != w.shape[-1]:
        raise ValueError(f"linear: expected input with last dimension {w.shape[-1]} (weight shape "
                         f"{tuple(w.shape)}), got input of shape {tuple(x.shape)}")
    b = None if bias is None else as_tensor(bias)
    _check_dtypes("linear", x, weight=w, bias=b)
    y = x.data @ w.data.T
    if b is not None:
        y += b.data
        parents = (x, w, b)
    else:
        parents = (x, w)
    out = Tensor._make(y, parents, "linear")
    def _backward():
        g = out.grad
        if x.requires_grad:
            x._accum_grad(g @ w.data, fresh=True)
        if w.requires_grad or (b is not None and b.requires_grad):
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            if w.requires_grad:
                x2 = x.data.reshape(-1, x.shape[-1]) if x.ndim != 2 else x.data
                w._accum_grad(g2.T @ x2, fresh=True)
            if b is not None and b.requires_grad:
                b._accum_grad(g2.sum(axis=0), fresh=True)
    out._backward = _backward
    return out



class Linear(Module):
    """Affine map of the last dimension: ``weight`` (out_features, in_features), ``bias``
    (out_features,). Init as PyTorch: weight by kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(in), 1/sqrt(in)), and bias U(-1/sqrt(in), 1/sqrt(in)).

    Book: ch-02-mlp (eq-02-layer)."""

    def __init__(self, in_features, out_features, bias=True, dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.empty((out_features, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(out_features, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        return linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Maxout(Module):
    """Maxout unit (Goodfellow et al., 2013): ``out_features * pool_size`` affine maps, then the
    maximum over each group of ``pool_size``: y_j = max_k (x W_{jk}^T + b_{jk}).

    Not in PyTorch (the book's own). Parameters ``weight`` (out*pool, in) and ``bias`` (out*pool,)
    are initialised as in ``Linear``; row ``j * pool_size + k`` is piece ``k`` of unit ``j``.

    Book: ch-06-activations (eq-06-maxout)."""

    def __init__(self, in_features, out_features, pool_size=2, bias=True, dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features, self.pool_size = int(in_features), int(out_features), int(pool_size)
        n = out_features * pool_size
        self.weight = Parameter(np.empty((n, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(n, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        init._reset_weight_and_bias(self.weight, self.bias)

    def forward(self, input):
        z = linear(input, self.weight, self.bias)
        return z.reshape(*z.shape[:-1], self.out_features, self.pool_size).max(dim=-1).values

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"pool_size={self.pool_size}, bias={self.bias is not None}")
