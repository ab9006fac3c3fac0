"""nnkit: a small NumPy library with reverse-mode autodiff, written to be read alongside the book.

The names follow PyTorch: ``nnkit.tensor``, ``nnkit.no_grad``, ``x.sum(dim=1, keepdim=True)``, ...
Where each part lives: ``tensor.py`` (``Tensor``, every op and its backward), ``creation.py`` (the
factories), ``dtypes.py`` (dtypes and PyTorch's type promotion), ``modes.py`` (grad mode, anomaly
detection), ``random.py`` (the generator), ``gradcheck.py``, ``nn/`` (layers and
``nn.functional``), ``optim/``, ``data/``, ``train.py``, ``viz.py`` (graph drawing).
"""
from .modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                    set_anomaly_detection, set_grad_enabled)
from .random import get_rng, manual_seed
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int32, int64, promote_types,
                     result_type)
from .tensor import Tensor, as_tensor, cat, function_form as _function_form, matmul, stack, tensor, where
from .creation import arange, full, ones, ones_like, rand, randint, randn, zeros, zeros_like
from .gradcheck import gradcheck
from . import viz

# Function forms of Tensor methods: nnkit.exp(x) is x.exp(), as torch.exp(x) is x.exp(). Here, and
# only here, sum/max/min/abs/all/any are nnkit's (as torch.sum, torch.max, ... are torch's).
exp, log, log1p, sqrt, square, abs, tanh, sigmoid, relu = map(
    _function_form, ("exp", "log", "log1p", "sqrt", "square", "abs", "tanh", "sigmoid", "relu"))
clamp, clip, softmax, log_softmax = map(_function_form, ("clamp", "clip", "softmax", "log_softmax"))
sum, mean, var, std, prod, cumsum, norm = map(_function_form, ("sum", "mean", "var", "std", "prod", "cumsum",
                                                               "norm"))
max, min, amax, amin, argmax, argmin, all, any = map(_function_form, ("max", "min", "amax", "amin", "argmax",
                                                                      "argmin", "all", "any"))
reshape, flatten, transpose, permute, squeeze, unsqueeze, t, flip = map(
    _function_form, ("reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze", "t", "flip"))
unbind, chunk, clone, gather, masked_fill = map(_function_form, ("unbind", "chunk", "clone", "gather",
                                                                 "masked_fill"))
add, sub, mul, div, pow = map(_function_form, ("add", "sub", "mul", "div", "pow"))

# subpackages
from . import nn, optim, data  # noqa: E402
