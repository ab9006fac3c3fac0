"""nnkit: a small NumPy library with reverse-mode autodiff, written to be read alongside the book.

The names follow PyTorch: ``nnkit.tensor``, ``nnkit.no_grad``, ``x.sum(dim=1, keepdim=True)``, ...
"""
from .autograd import (detect_anomaly, enable_grad, get_rng, is_anomaly_enabled, is_grad_enabled,
                       manual_seed, no_grad, set_anomaly_detection, set_grad_enabled)
from .tensor import (Tensor, abs, arange, argmax, argmin, as_tensor, bool_, cat, clamp, clip, exp, flatten,
                     float16, float32, float64, full, int32, int64, log, log_softmax, matmul, max, mean, min,
                     ones, ones_like, permute, rand, randint, randn, relu, reshape, sigmoid, softmax, sqrt,
                     squeeze, stack, sum, tanh, tensor, transpose, unsqueeze, where, zeros, zeros_like)
from .gradcheck import gradcheck
from . import viz

# subpackages (added by nn/optim/data work)
from . import nn, optim, data
