"""``Linear``: y = x W^T + b (as ``torch.nn.Linear``), plus the book's ``Maxout`` layer."""
from __future__ import annotations

import math

import numpy as np

from . import functional as F
from . import init
from .module import Module, Parameter

__all__ = ["Linear", "Maxout"]


class Linear(Module):
    """Affine map of the last dimension: ``weight`` (out_features, in_features), ``bias``
    (out_features,). Init as PyTorch: weight by kaiming_uniform_(a=sqrt(5)), i.e.
    U(-1/sqrt(in), 1/sqrt(in)), and bias U(-1/sqrt(in), 1/sqrt(in))."""

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
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Maxout(Module):
    """Maxout unit (Goodfellow et al., 2013): ``out_features * pool_size`` affine maps, then the
    maximum over each group of ``pool_size``: y_j = max_k (x W_{jk}^T + b_{jk}).

    Not in PyTorch (the book's own). Parameters ``weight`` (out*pool, in) and ``bias`` (out*pool,)
    are initialised as in ``Linear``; row ``j * pool_size + k`` is piece ``k`` of unit ``j``."""

    def __init__(self, in_features, out_features, pool_size=2, bias=True, dtype=np.float32):
        super().__init__()
        self.in_features, self.out_features, self.pool_size = int(in_features), int(out_features), int(pool_size)
        n = out_features * pool_size
        self.weight = Parameter(np.empty((n, in_features), dtype=dtype))
        if bias:
            self.bias = Parameter(np.empty(n, dtype=dtype))
        else:
            self.register_parameter("bias", None)
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        z = F.linear(input, self.weight, self.bias)
        return z.reshape(*z.shape[:-1], self.out_features, self.pool_size).max(dim=-1)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"pool_size={self.pool_size}, bias={self.bias is not None}")
