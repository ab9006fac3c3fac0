"""Factories of new leaf tensors (as ``torch.zeros``, ``torch.randn``, ...). Without a ``dtype``,
floating-point results are float32 (PyTorch's default), integer ones int64; random ones come
from nnkit's generator (``nnkit.manual_seed``)."""
import numbers

import numpy as np

from .dtypes import get_default_dtype
from .random import get_rng
from .tensor import Tensor, _to_array

__all__ = ["zeros", "ones", "full", "zeros_like", "ones_like", "randn", "rand", "randint", "arange"]


def _size(size):
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


def _leaf(arr, dtype, requires_grad):
    return Tensor(arr if dtype is None else arr.astype(dtype, copy=False), requires_grad=requires_grad)


def zeros(*size, dtype=None, requires_grad=False):
    return Tensor(np.zeros(_size(size), dtype=dtype or get_default_dtype()), requires_grad=requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return Tensor(np.ones(_size(size), dtype=dtype or get_default_dtype()), requires_grad=requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    """``size`` filled with ``fill_value``; the dtype follows the value as in PyTorch (a bool gives
    bool, an int int64, a float float32)."""
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, (bool, np.bool_)) else
                 np.int64 if isinstance(fill_value, numbers.Integral) else get_default_dtype())
    return Tensor(np.full(size, fill_value, dtype=dtype), requires_grad=requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return Tensor(np.zeros_like(_to_array(t), dtype=dtype), requires_grad=requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return Tensor(np.ones_like(_to_array(t), dtype=dtype), requires_grad=requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal samples from nnkit's generator (see ``manual_seed``)."""
    return _leaf(get_rng().standard_normal(_size(size), dtype=np.float32), dtype, requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform [0, 1) samples from nnkit's generator."""
    return _leaf(get_rng().random(_size(size), dtype=np.float32), dtype, requires_grad)


def randint(low, high, size, dtype=None):
    return Tensor(get_rng().integers(low, high, size=size, dtype=dtype or np.int64))


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Like torch.arange: integer arguments give int64, any float gives float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else get_default_dtype()
    return Tensor(np.arange(start, end, step, dtype=dtype), requires_grad=requires_grad)
