"""dtypes and PyTorch's type promotion (``torch.result_type``, ``torch.promote_types``).

nnkit's dtypes are NumPy's (``nnkit.float32`` is ``numpy.float32``), but an op on two operands
picks its result dtype by PyTorch's rules, not NumPy's:

- the categories are ordered bool < integer < floating point;
- operands come in three kinds: tensors with at least one dimension, 0-d tensors, and Python
  (or NumPy) scalars. Within one kind the dtypes promote as usual (int32 and int64 give int64,
  float32 and float64 give float64, an integer and a float give the float);
- a 0-d tensor or a scalar changes the result only if its category is higher than that of the
  dimensioned tensors: float32 with a 0-d float64 tensor stays float32, int32 with a Python int
  stays int32, an int tensor with a Python float becomes float32 (the default float dtype; a
  Python int is int64, a Python float float32).

So ``nnkit.tensor([1, 2]) * 0.5`` is float32 and ``nnkit.tensor([1, 2]) / 2`` is float32 (true
division of integers gives the default float dtype), where NumPy would give float64.
"""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["float16", "float32", "float64", "int32", "int64", "bool_", "get_default_dtype",
           "promote_types", "result_type"]

float16, float32, float64 = np.float16, np.float32, np.float64
int32, int64, bool_ = np.int32, np.int64, np.bool_

_DEFAULT_FLOAT = np.dtype(np.float32)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def get_default_dtype():
    """The dtype of Python floats turned into tensors: float32, as PyTorch's default (fixed in nnkit)."""
    return _DEFAULT_FLOAT


def promote_types(type1, type2):
    """The smallest dtype both can be cast to, by PyTorch's table: within a category the wider one
    (int32, int64 -> int64), across categories the higher category's (int64, float32 -> float32;
    NumPy would say float64)."""
    a, b = np.dtype(type1), np.dtype(type2)
    ca, cb = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if ca != cb:
        return a if ca > cb else b
    return np.promote_types(a, b)


def _scalar_dtype(x):
    """The dtype PyTorch gives a Python (or NumPy) scalar taking part in an op."""
    if isinstance(x, (bool, np.bool_)):
        return np.dtype(np.bool_)
    if isinstance(x, numbers.Integral):
        return np.dtype(np.int64)
    if isinstance(x, numbers.Real):
        return _DEFAULT_FLOAT
    return np.dtype(np.complex64)


def _kind_of(x):
    """(dtype, kind) of an operand; kind 0 = tensor with dimensions, 1 = 0-d tensor, 2 = scalar."""
    data = x if isinstance(x, (np.ndarray, np.generic, numbers.Number, list, tuple)) else x.data   # a Tensor
    if isinstance(data, np.ndarray):
        return data.dtype, (0 if data.ndim else 1)
    if isinstance(data, (numbers.Number, np.generic)):
        return _scalar_dtype(data), 2
    a = np.asarray(data)
    if a.dtype == np.float64 and not isinstance(data, np.ndarray):
        a = a.astype(_DEFAULT_FLOAT)            # a list of Python floats becomes float32, as tensor()
    return a.dtype, (0 if a.ndim else 1)


def _combine(higher, lower):
    """PyTorch's combine_categories: ``lower`` (0-d tensors, scalars) wins only with a higher category."""
    if higher is None:
        return lower
    if lower is None or _CATEGORY[lower.kind] <= _CATEGORY[higher.kind]:
        return higher
    return promote_types(higher, lower)


def result_type(*operands):
    """The dtype of an elementwise op on ``operands`` (Tensors, arrays, Python or NumPy scalars),
    as ``torch.result_type``: dimensioned tensors first, then 0-d tensors, then scalars, each
    kind changing the result only if its category is higher (see the module docstring)."""
    best = [None, None, None]
    for x in operands:
        dt, kind = _kind_of(x)
        best[kind] = dt if best[kind] is None else promote_types(best[kind], dt)
    return _combine(best[0], _combine(best[1], best[2]))
