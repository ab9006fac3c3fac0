"""nnkit: a small NumPy library with reverse-mode autodiff, written to be read alongside the book.

The names follow PyTorch: ``nnkit.tensor``, ``nnkit.no_grad``, ``x.sum(dim=1, keepdim=True)``, ...
Where each part lives: ``tensor.py`` (``Tensor``, every op and its backward), ``modes.py`` (grad
mode, anomaly detection), ``random.py`` (the generator), ``gradcheck.py``, ``nn/`` (layers and
``nn.functional``), ``optim/``, ``data/``, ``train.py``, ``viz.py`` (graph drawing).
"""
from .modes import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled, no_grad,
                    set_anomaly_detection, set_grad_enabled)
from .random import get_rng, manual_seed
from .tensor import (Tensor, arange, as_tensor, bool_, cat, float16, float32, float64, full,
                     function_form as _function_form, int32, int64, matmul, ones, ones_like, rand,
                     randint, randn, stack, tensor, where, zeros, zeros_like)
from .gradcheck import gradcheck
from . import viz

# Function forms of Tensor methods: nnkit.exp(x) is x.exp(), as torch.exp(x) is x.exp(). Here, and
# only here, sum/max/min/abs are nnkit's (as torch.sum, torch.max, ... are torch's).
exp, log, sqrt, abs, tanh, sigmoid, relu = map(_function_form, ("exp", "log", "sqrt", "abs", "tanh",
                                                                "sigmoid", "relu"))
clamp, clip, softmax, log_softmax = map(_function_form, ("clamp", "clip", "softmax", "log_softmax"))
sum, mean, max, min, argmax, argmin = map(_function_form, ("sum", "mean", "max", "min", "argmax", "argmin"))
reshape, flatten, transpose, permute, squeeze, unsqueeze = map(
    _function_form, ("reshape", "flatten", "transpose", "permute", "squeeze", "unsqueeze"))

# subpackages
from . import nn, optim, data  # noqa: E402
